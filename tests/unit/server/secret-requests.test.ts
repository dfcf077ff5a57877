import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Envelope, type ServerFrame } from '../../../src/lib/api/wire';
import { MIGRATIONS } from '../../../src/lib/server/store/sqlite/migrations';
import { migrate } from '../../../src/lib/server/store/sqlite';
import { b64u, call, connect, login, signup, useRelayWith, uuid, type Account } from './helpers';

const rig = useRelayWith(['alice', 'bob']);

const put = (from: Account, toDeviceId: string, requestId?: string, id: string = uuid()) =>
  call(rig.ts, 'POST', '/api/envelopes', { token: from.token, body: { id, toDeviceId, body: b64u(24), ...(requestId ? { requestId } : {}) } });
const list = async (who: Account) => {
  const r = await call<{ envelopes: Envelope[] }>(rig.ts, 'GET', '/api/envelopes', { token: who.token });
  expect(r.status).toBe(200);
  for (const e of r.body.envelopes) expect(Envelope.safeParse(e).success).toBe(true);
  return r.body.envelopes;
};
const claim = (who: Account, requestId: string) => call(rig.ts, 'POST', '/api/secret/claim', { token: who.token, body: { requestId } });
const withdraw = (who: Account, requestId: string) => call(rig.ts, 'POST', '/api/secret/withdraw', { token: who.token, body: { requestId } });

describe('secret-chat requests', () => {
  it('fans out to every device; the first claim wins and removes the request from the other devices', async () => {
    const bob2 = await login(rig.ts, rig.bob, 'Phone');
    const requestId = uuid();
    expect((await put(rig.alice, rig.bob.deviceId, requestId)).status).toBe(200);
    expect((await put(rig.alice, bob2.deviceId, requestId)).status).toBe(200);
    const [e1] = await list(rig.bob);
    const [e2] = await list(bob2);
    expect(e1.requestId).toBe(requestId);
    expect(e2.requestId).toBe(requestId);

    expect((await claim(bob2, requestId)).status).toBe(204);
    // Idempotent for the winner.
    expect((await claim(bob2, requestId)).status).toBe(204);
    const lost = await claim(rig.bob, requestId);
    expect(lost.status).toBe(409);
    expect(lost.body.error.code).toBe('conflict');
    // The loser's queued copy is gone; the winner keeps its own until it acks.
    expect(await list(rig.bob)).toEqual([]);
    expect((await list(bob2)).map((e) => e.id)).toEqual([e2.id]);
    // No new request envelopes once claimed (an idempotent resend of a pending one is still fine).
    const late = await put(rig.alice, rig.bob.deviceId, requestId);
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('gone');
    expect((await put(rig.alice, bob2.deviceId, requestId, e2.id)).body.seq).toBe(e2.seq);
    expect(rig.ts.store.db.prepare('SELECT claimed_by_device_id AS c FROM secret_requests WHERE id = ?').get(requestId)).toEqual({ c: bob2.deviceId });
  });

  it('leaves ordinary envelopes alone and reports requestId null for them', async () => {
    const bob2 = await login(rig.ts, rig.bob);
    const requestId = uuid();
    await put(rig.alice, rig.bob.deviceId, requestId);
    await put(rig.alice, bob2.deviceId, requestId);
    await put(rig.alice, bob2.deviceId); // a plain envelope to the losing device
    const plain = (await list(bob2)).find((e) => e.requestId === null);
    expect(plain).toBeDefined();
    expect((await claim(rig.bob, requestId)).status).toBe(204);
    expect((await list(bob2)).map((e) => e.id)).toEqual([plain!.id]);
  });

  it('withdraw removes every queued copy and later claims get 410 gone', async () => {
    const bob2 = await login(rig.ts, rig.bob);
    const requestId = uuid();
    await put(rig.alice, rig.bob.deviceId, requestId);
    await put(rig.alice, bob2.deviceId, requestId);
    // Only the initiating device may withdraw.
    const alice2 = await login(rig.ts, rig.alice);
    expect((await withdraw(alice2, requestId)).status).toBe(404);
    expect((await withdraw(rig.bob, requestId)).status).toBe(404);
    expect((await withdraw(rig.alice, uuid())).status).toBe(404);

    expect((await withdraw(rig.alice, requestId)).status).toBe(204);
    expect((await withdraw(rig.alice, requestId)).status).toBe(204);
    expect(await list(rig.bob)).toEqual([]);
    expect(await list(bob2)).toEqual([]);
    const c = await claim(rig.bob, requestId);
    expect(c.status).toBe(410);
    expect(c.body.error.code).toBe('gone');
    expect((await put(rig.alice, rig.bob.deviceId, requestId)).status).toBe(410);
  });

  it('refuses a requestId reused by another sender device or for another user (409)', async () => {
    const requestId = uuid();
    expect((await put(rig.alice, rig.bob.deviceId, requestId)).status).toBe(200);
    const alice2 = await login(rig.ts, rig.alice);
    const otherSender = await put(alice2, rig.bob.deviceId, requestId);
    expect(otherSender.status).toBe(409);
    expect(otherSender.body.error.code).toBe('conflict');
    const carol = await signup(rig.ts, 'carol');
    expect((await put(rig.alice, carol.deviceId, requestId)).status).toBe(409);
    // The same envelope id under another request is a conflict too.
    const id = uuid();
    await put(rig.alice, rig.bob.deviceId, requestId, id);
    expect((await put(rig.alice, rig.bob.deviceId, uuid(), id)).status).toBe(409);
    expect((await put(rig.alice, rig.bob.deviceId, undefined, id)).status).toBe(409);
    // None of the refused ones were queued.
    expect((await list(rig.bob)).length).toBe(2);
    expect(await list(carol)).toEqual([]);
  });

  it('answers 404 to a claim by another user or for an unknown request, and validates the body', async () => {
    const requestId = uuid();
    await put(rig.alice, rig.bob.deviceId, requestId);
    const carol = await signup(rig.ts, 'carol');
    const other = await claim(carol, requestId);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('not_found');
    expect((await claim(rig.alice, requestId)).status).toBe(404);
    expect((await claim(rig.bob, uuid())).status).toBe(404);
    expect((await call(rig.ts, 'POST', '/api/secret/claim', { token: rig.bob.token, body: { requestId: 'nope' } })).status).toBe(400);
    expect((await call(rig.ts, 'POST', '/api/secret/claim', { body: { requestId } })).status).toBe(401);
    // Still claimable by its addressee.
    expect((await claim(rig.bob, requestId)).status).toBe(204);
  });

  it('carries requestId in envelope frames over the WebSocket', async () => {
    const s = await connect(rig.ts, rig.bob.token);
    try {
      await s.next((f) => f.t === 'hello');
      const requestId = uuid();
      await put(rig.alice, rig.bob.deviceId, requestId);
      await put(rig.alice, rig.bob.deviceId);
      const f1 = await s.next<Extract<ServerFrame, { t: 'envelope' }>>((f) => f.t === 'envelope');
      const f2 = await s.next<Extract<ServerFrame, { t: 'envelope' }>>((f) => f.t === 'envelope');
      expect(f1.envelope.requestId).toBe(requestId);
      expect(f2.envelope.requestId).toBeNull();
      expect(Envelope.safeParse(f1.envelope).success).toBe(true);
    } finally {
      s.ws.terminate();
    }
  });

  it('purges request rows after the envelope TTL', async () => {
    const t0 = Date.now();
    rig.ts.clock.now = t0;
    const requestId = uuid();
    await put(rig.alice, rig.bob.deviceId, requestId);
    rig.ts.clock.now = t0 + 7 * 86_400_000 + 1;
    await rig.ts.relay.purgeExpired();
    expect(rig.ts.store.db.prepare('SELECT count(*) AS n FROM secret_requests').get()).toEqual({ n: 0 });
    expect((await claim(rig.bob, requestId)).status).toBe(404);
  });

  it('answers an expired request 404 before the purge has run; its id may start a new request', async () => {
    const t0 = Date.now();
    rig.ts.clock.now = t0;
    const requestId = uuid();
    expect((await put(rig.alice, rig.bob.deviceId, requestId)).status).toBe(200);
    expect((await claim(rig.bob, requestId)).status).toBe(204);
    rig.ts.clock.now = t0 + 7 * 86_400_000;
    expect((await claim(rig.bob, requestId)).status).toBe(404);
    expect((await withdraw(rig.alice, requestId)).status).toBe(404);
    // Claimed before it expired, yet no 410: the id is unknown now.
    expect((await put(rig.alice, rig.bob.deviceId, requestId)).status).toBe(200);
    expect((await claim(rig.bob, requestId)).status).toBe(204);
  });
});

describe('migration 2', () => {
  it('upgrades a version-1 database in place: envelopes gain request_id, new tables appear', () => {
    const db = new Database(':memory:');
    try {
      expect(
        migrate(
          db,
          MIGRATIONS.filter((m) => m.version === 1)
        )
      ).toEqual([1]);
      expect(migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 2).map((m) => m.version));
      const cols = (db.prepare('PRAGMA table_info(envelopes)').all() as { name: string }[]).map((c) => c.name);
      expect(cols).toContain('request_id');
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['secret_requests', 'blobs']));
    } finally {
      db.close();
    }
  });
});
