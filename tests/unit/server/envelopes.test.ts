import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/lib/api/wire';
import { LIMITS } from '../../../src/lib/api/wire';
import { b64u, call, connect, login, signup, useRelayWith, uuid, type Account } from './helpers';
import { withinBytes } from '../../../src/lib/server/routes/envelopes';

const rig = useRelayWith(['alice', 'bob']);

const put = (from: Account, toDeviceId: string, body: string, id: string = uuid()) =>
  call(rig.ts, 'POST', '/api/envelopes', { token: from.token, body: { id, toDeviceId, body } });
const list = async (who: Account, after = 0) => {
  const r = await call<{ envelopes: Envelope[] }>(rig.ts, 'GET', `/api/envelopes?after=${after}`, { token: who.token });
  expect(r.status).toBe(200);
  return r.body.envelopes;
};

describe('device envelopes', () => {
  it('delivers to exactly one device, in order, until acknowledged', async () => {
    const bob2 = await login(rig.ts, rig.bob, 'Phone');
    const bodies = [b64u(10), b64u(100), b64u(1)];
    const seqs: number[] = [];
    for (const body of bodies) {
      const r = await put(rig.alice, rig.bob.deviceId, body);
      expect(r.status).toBe(200);
      seqs.push(r.body.seq);
    }
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    const got = await list(rig.bob);
    expect(got.map((e) => e.body)).toEqual(bodies);
    expect(got[0]).toMatchObject({ fromDeviceId: rig.alice.deviceId, fromUserId: rig.alice.userId, seq: seqs[0] });
    expect(await list(bob2)).toEqual([]);
    expect(await list(rig.alice)).toEqual([]);
    expect((await list(rig.bob, seqs[0])).map((e) => e.seq)).toEqual(seqs.slice(1));

    expect((await call(rig.ts, 'POST', '/api/envelopes/ack', { token: rig.bob.token, body: { upTo: seqs[1] } })).status).toBe(204);
    expect((await list(rig.bob)).map((e) => e.seq)).toEqual([seqs[2]]);
    // Acks only ever touch the caller's own queue.
    await put(rig.alice, bob2.deviceId, b64u(5));
    await call(rig.ts, 'POST', '/api/envelopes/ack', { token: rig.bob.token, body: { upTo: Number.MAX_SAFE_INTEGER } });
    expect(await list(rig.bob)).toEqual([]);
    expect(await list(bob2)).toHaveLength(1);
  });

  it('is idempotent by id per recipient device', async () => {
    const id = uuid();
    const body = b64u(20);
    const first = await put(rig.alice, rig.bob.deviceId, body, id);
    const again = await put(rig.alice, rig.bob.deviceId, b64u(20), id);
    expect(again.status).toBe(200);
    expect(again.body.seq).toBe(first.body.seq);
    expect((await list(rig.bob)).map((e) => e.body)).toEqual([body]);
    // The same id to another device is a separate envelope.
    const bob2 = await login(rig.ts, rig.bob);
    expect((await put(rig.alice, bob2.deviceId, body, id)).body.seq).toBeGreaterThan(first.body.seq);
    // The same id from another sender to the same device is refused.
    const carol = await signup(rig.ts, 'carol');
    expect((await put(carol, rig.bob.deviceId, body, id)).status).toBe(409);
  });

  it('expires unacknowledged envelopes after the TTL and purges them', async () => {
    const t0 = Date.now();
    rig.ts.clock.now = t0;
    await put(rig.alice, rig.bob.deviceId, b64u(8));
    rig.ts.clock.now = t0 + 6 * 86_400_000;
    await put(rig.alice, rig.bob.deviceId, b64u(8));
    expect(await list(rig.bob)).toHaveLength(2);
    rig.ts.clock.now = t0 + 7 * 86_400_000 + 1;
    expect(await list(rig.bob)).toHaveLength(1);
    expect(await rig.ts.relay.purgeExpired()).toBe(1);
    expect((rig.ts.store.db.prepare('SELECT count(*) AS n FROM envelopes').get() as { n: number }).n).toBe(1);
    rig.ts.clock.now = t0 + 20 * 86_400_000;
    expect(await rig.ts.relay.purgeExpired()).toBe(1);
    expect(await list(rig.bob)).toEqual([]);
  });

  it('refuses unknown or revoked recipients and oversize bodies', async () => {
    expect((await put(rig.alice, 'nosuchdevice', b64u(8))).status).toBe(404);
    const bob2 = await login(rig.ts, rig.bob);
    await put(rig.alice, bob2.deviceId, b64u(8));
    await call(rig.ts, 'DELETE', `/api/devices/${bob2.deviceId}`, { token: rig.bob.token });
    expect((await put(rig.alice, bob2.deviceId, b64u(8))).status).toBe(404);
    // Pending envelopes of a revoked device are dropped.
    expect((rig.ts.store.db.prepare('SELECT count(*) AS n FROM envelopes WHERE to_device_id = ?').get(bob2.deviceId) as { n: number }).n).toBe(0);
    const big = await put(rig.alice, rig.bob.deviceId, b64u(LIMITS.envelopeMax + 1));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('too_large');
    expect((await put(rig.alice, rig.bob.deviceId, b64u(LIMITS.envelopeMax))).status).toBe(200);
  });

  it('pushes new envelopes to the recipient device socket only', async () => {
    const bob2 = await login(rig.ts, rig.bob);
    const [s1, s2] = await Promise.all([connect(rig.ts, rig.bob.token), connect(rig.ts, bob2.token)]);
    try {
      await Promise.all([s1.next(), s2.next()]);
      const body = b64u(16);
      const r = await put(rig.alice, rig.bob.deviceId, body);
      const f = await s1.next((x) => x.t === 'envelope');
      expect(f).toMatchObject({ t: 'envelope', envelope: { seq: r.body.seq, body, fromUserId: rig.alice.userId } });
      // A resend is not pushed again.
      await put(rig.alice, rig.bob.deviceId, body, f.t === 'envelope' ? f.envelope.id : uuid());
      await new Promise((res) => setTimeout(res, 50));
      expect(s1.frames.filter((x) => x.t === 'envelope')).toHaveLength(1);
      expect(s2.frames.map((x) => x.t)).toEqual(['hello']);
    } finally {
      s1.ws.terminate();
      s2.ws.terminate();
    }
  });
});

describe('group commit of envelopes', () => {
  it('a burst posted at once is stored in order, each answered after the commit, and a conflicting one fails alone', async () => {
    const clash = uuid();
    expect((await put(rig.alice, rig.bob.deviceId, b64u(5), clash)).status).toBe(200);
    const bodies = Array.from({ length: 40 }, (_, i) => b64u(8 + i));
    // All requests in flight together: the store commits them in batches.
    const results = await Promise.all([
      ...bodies.map((b) => put(rig.alice, rig.bob.deviceId, b)),
      // Same id as an envelope already queued, different sender: refused, without touching the others.
      put(rig.bob, rig.bob.deviceId, b64u(5), clash)
    ]);
    expect(results.slice(0, 40).every((r) => r.status === 200)).toBe(true);
    expect(results[40].status).toBe(409);
    const seqs = results.slice(0, 40).map((r) => r.body.seq as number);
    expect(new Set(seqs).size).toBe(40);
    const got = await list(rig.bob);
    expect(got).toHaveLength(41);
    // Stored exactly as acknowledged: every acknowledged seq is on the relay with its own body.
    for (const [i, seq] of seqs.entries()) expect(got.find((e) => e.seq === seq)?.body).toBe(bodies[i]);
  });
});

describe('envelope pages', () => {
  it('hold up to LIMITS.envelopePageMax envelopes and end early at the byte budget, saying more: true', async () => {
    const dana = await signup(rig.ts, 'dana');
    const page = (after: number, limit: number) =>
      call<{ envelopes: Envelope[]; more?: boolean }>(rig.ts, 'GET', `/api/envelopes?after=${after}&limit=${limit}`, { token: dana.token });
    // 40 envelopes of 120 KiB: 4.7 MiB, over the 4 MiB a page carries.
    const big = 120 * 1024;
    for (let i = 0; i < 40; i++) expect((await put(rig.alice, dana.deviceId, b64u(big))).status).toBe(200);
    const first = await page(0, LIMITS.envelopePageMax);
    expect(first.status).toBe(200);
    expect(first.body.envelopes).toHaveLength(Math.floor(LIMITS.envelopePageBytes / (big + 64)));
    expect(first.body.more).toBe(true);
    const rest = await page(first.body.envelopes.at(-1)!.seq, LIMITS.envelopePageMax);
    expect(rest.body.envelopes).toHaveLength(40 - first.body.envelopes.length);
    expect(rest.body.more).toBeUndefined();
    // Small ones: a page is the count asked for, up to the maximum.
    for (let i = 0; i < 3; i++) await put(rig.alice, dana.deviceId, b64u(10));
    const after = rest.body.envelopes.at(-1)!.seq;
    expect((await page(after, 2)).body).toEqual({ envelopes: [expect.anything(), expect.anything()] });
    expect((await page(after, LIMITS.envelopePageMax + 1)).status).toBe(400);
  });

  it('withinBytes keeps the rows that fit, and always the first', () => {
    const rows = (...sizes: number[]) => sizes.map((n) => ({ body: new Uint8Array(n) }));
    expect(withinBytes(rows(3, 3, 3), 6)).toHaveLength(2);
    expect(withinBytes(rows(3, 3, 3), 9)).toHaveLength(3);
    expect(withinBytes(rows(10, 1), 5)).toHaveLength(1);
    expect(withinBytes([], 5)).toEqual([]);
  });
});
