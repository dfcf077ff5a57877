/**
 * Self-destruct wake-ups: devices register times, the relay sends a content-free `{"t":"wake"}` push at
 * each (times within 1 s together), exactly once even with two relay processes on one database.
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PUSH_LIMITS } from '../../../src/lib/api/wire';
import { CLAIM_STALE_MS, GROUP_MS } from '../../../src/lib/server/wakeups';
import { call, login, signup, sleep, startServer, tempDir, type Account, type TestServer } from './helpers';
import { newSubscriber, startFakePushService, type FakePushService, type Subscriber } from './push-fake';

const INSECURE = { PUSH_ALLOW_INSECURE: 'true' };
const DAY = 86_400_000;

async function until(cond: () => boolean, timeoutMs = 3000) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const register = (ts: TestServer, who: Account, at: unknown) => call(ts, 'POST', '/api/wakeups', { token: who.token, body: { at } });
const subscribe = (ts: TestServer, who: Account, sub: Subscriber) =>
  call(ts, 'POST', '/api/push/subscribe', { token: who.token, body: { endpoint: sub.endpoint, keys: sub.keys } });
const rows = (ts: TestServer, deviceId?: string) =>
  (deviceId === undefined
    ? ts.store.db.prepare('SELECT * FROM wakeups ORDER BY at').all()
    : ts.store.db.prepare('SELECT * FROM wakeups WHERE device_id = ? ORDER BY at').all(deviceId)) as {
    id: number;
    device_id: string;
    at: number;
    claimed_by: string | null;
    claimed_at: number | null;
  }[];

describe('POST /api/wakeups', () => {
  let ts: TestServer;
  let alice: Account;
  beforeEach(async () => {
    ts = await startServer();
    alice = await signup(ts, 'alice');
  });
  afterEach(async () => {
    await ts.close();
  });

  it('validates the times: 1-100 whole ms epoch values, each between now and now + 8 days', async () => {
    const now = Date.now();
    const bad: Array<[unknown, RegExp]> = [
      [undefined, /at/],
      ['soon', /at/],
      [[], /at least one/],
      [Array.from({ length: 101 }, (_, i) => now + 60_000 + i), /at most 100/],
      [[now + 1000.5], /whole/],
      [[now + 60_000, 'x'], /at.1/],
      [[now + 60_000, now + 8 * DAY + 60_000], /at.1: must be between now and now \+ 8 days/],
      [[now - 5 * 60_000], /at.0: must be between/]
    ];
    for (const [at, message] of bad) {
      const r = await register(ts, alice, at);
      expect({ at, status: r.status }).toEqual({ at, status: 400 });
      expect(r.body.error.message).toMatch(message);
    }
    expect(rows(ts)).toEqual([]);
    expect((await call(ts, 'POST', '/api/wakeups', { body: { at: [now + 60_000] } })).status).toBe(401);

    // Exactly 100, up to the horizon, a little in the past (clock skew) are fine; duplicates collapse.
    const times = Array.from({ length: 100 }, (_, i) => now + 60_000 + (i % 50) * 1000);
    expect((await register(ts, alice, times)).status).toBe(204);
    expect((await register(ts, alice, [now + 8 * DAY - 60_000, now - 10_000, now + 60_000])).status).toBe(204);
    // (The one in the past may already have fired: alice has no subscription, so it is simply dropped.)
    expect(
      rows(ts, alice.deviceId)
        .map((r) => r.at)
        .filter((at) => at > now)
    ).toEqual([...new Set([...times, now + 8 * DAY - 60_000])].sort((a, b) => a - b));
  });

  it(`caps pending wake-ups at ${PUSH_LIMITS.wakeupsPerDevice} per device (409)`, async () => {
    const base = Date.now() + 3_600_000;
    for (let c = 0; c < PUSH_LIMITS.wakeupsPerDevice / 100; c++) {
      expect(
        (
          await register(
            ts,
            alice,
            Array.from({ length: 100 }, (_, i) => base + c * 100_000 + i * 1000)
          )
        ).status
      ).toBe(204);
    }
    const r = await register(ts, alice, [base - 1000]);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('conflict');
    // Re-registering stored times is not "more".
    expect((await register(ts, alice, [base])).status).toBe(204);
  });
});

describe('wake-up pushes', () => {
  let fake: FakePushService;
  const servers: TestServer[] = [];
  const dirs: string[] = [];
  beforeEach(async () => {
    fake = await startFakePushService();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    await fake.close();
  });
  const start = async (dataDir?: string) => {
    const ts = await startServer({ env: INSECURE, dataDir });
    servers.push(ts);
    return ts;
  };
  const sharedDir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  const subscribed = async (ts: TestServer, name: string) => {
    const a = await signup(ts, `${name}_${Math.random().toString(36).slice(2, 8)}`);
    const sub = newSubscriber(fake, name);
    expect((await subscribe(ts, a, sub)).status).toBe(204);
    return { account: a, sub };
  };

  it('fires {"t":"wake"} at the registered time, grouping times within 1 s into one push (never early)', async () => {
    const ts = await start();
    const { account, sub } = await subscribed(ts, 'alice');
    const t0 = Date.now();
    const t1 = t0 + 500;
    const t2 = t0 + 800; // within GROUP_MS of t1: same push, at t2
    const t3 = t1 + GROUP_MS + 800; // next group
    expect((await register(ts, account, [t3, t1, t2])).status).toBe(204);

    // (Upper bounds are loose: a loaded test machine delays timers and requests.)
    const [first] = await fake.waitFor(sub.path, 1, 4000);
    expect(first.at).toBeGreaterThanOrEqual(t2);
    expect(first.at).toBeLessThan(t2 + 900);
    expect(sub.decrypt(first.body)).toBe('{"t":"wake"}');
    expect(first.headers).toMatchObject({ topic: 'wake', urgency: 'high', ttl: String(8 * 86_400) });
    await until(() => rows(ts).length === 1);
    expect(rows(ts).map((r) => r.at)).toEqual([t3]);

    const [, second] = await fake.waitFor(sub.path, 2, 4000);
    expect(second.at).toBeGreaterThanOrEqual(t3);
    expect(second.at).toBeLessThan(t3 + 900);
    await until(() => rows(ts).length === 0);
    await sleep(200);
    expect(fake.to(sub.path)).toHaveLength(2);
  });

  it('fires each wake-up exactly once with two relays sharing one DATA_DIR', async () => {
    const dir = sharedDir();
    const a = await start(dir);
    const b = await start(dir);
    expect((await call(a, 'GET', '/api/push/key')).body).toEqual((await call(b, 'GET', '/api/push/key')).body);

    const devices = await Promise.all(['d0', 'd1', 'd2', 'd3', 'd4', 'd5'].map((n, i) => subscribed(i % 2 ? a : b, n)));
    const t = Date.now() + 600;
    // Each device registers through both relays, so both arm timers for the same rows.
    for (const [i, d] of devices.entries()) {
      expect((await register(a, d.account, [t + i * 10])).status).toBe(204);
      expect((await register(b, d.account, [t + i * 10])).status).toBe(204);
    }
    for (const d of devices) await fake.waitFor(d.sub.path, 1, 4000);
    await until(() => rows(a).length === 0);
    // Plus explicit concurrent runs on both, for rows that are already due.
    const due = Date.now() - 50;
    for (const d of devices) a.store.db.prepare('INSERT INTO wakeups (device_id, at) VALUES (?, ?)').run(d.account.deviceId, due);
    await Promise.all([a.relay.runWakeups(), b.relay.runWakeups(), b.relay.runWakeups(), a.relay.runWakeups()]);
    await until(() => rows(a).length === 0);
    await sleep(300);
    for (const d of devices) {
      expect(fake.to(d.sub.path)).toHaveLength(2);
      expect(d.sub.decrypt(fake.to(d.sub.path)[1].body)).toBe('{"t":"wake"}');
    }
    expect(rows(a)).toEqual([]);
  });

  it('retakes a stale claim (a node died mid-send) but leaves a fresh one alone', async () => {
    const ts = await start();
    const { account: stale, sub: staleSub } = await subscribed(ts, 'stale');
    const { account: busy, sub: busySub } = await subscribed(ts, 'busy');
    const now = Date.now();
    const insert = ts.store.db.prepare('INSERT INTO wakeups (device_id, at, claimed_by, claimed_at) VALUES (?, ?, ?, ?)');
    insert.run(stale.deviceId, now - 40_000, 'dead-node', now - CLAIM_STALE_MS - 5_000);
    insert.run(busy.deviceId, now - 1_000, 'busy-node', now - 5_000);

    expect(await ts.relay.runWakeups()).toBe(1);
    expect(staleSub.decrypt((await fake.waitFor(staleSub.path))[0].body)).toBe('{"t":"wake"}');
    expect(fake.to(busySub.path)).toHaveLength(0);
    expect(rows(ts).map((r) => [r.device_id, r.claimed_by])).toEqual([[busy.deviceId, 'busy-node']]);
    // The busy claim becomes retakable 30 s after it was made; the scheduler knows when.
    expect(await ts.store.nextWakeupAt(CLAIM_STALE_MS, GROUP_MS)).toBe(now - 5_000 + CLAIM_STALE_MS);
  });

  it('keeps the claim on a transient push failure (retried once stale); drops rows with no subscription', async () => {
    const ts = await start();
    const { account, sub } = await subscribed(ts, 'flaky');
    const lonely = await signup(ts, 'lonely');
    fake.status.set(sub.path, 503);
    const due = Date.now() - 10;
    const insert = ts.store.db.prepare('INSERT INTO wakeups (device_id, at) VALUES (?, ?)');
    insert.run(account.deviceId, due);
    insert.run(lonely.deviceId, due);

    expect(await ts.relay.runWakeups()).toBe(0);
    await fake.waitFor(sub.path);
    const left = rows(ts);
    expect(left.map((r) => r.device_id)).toEqual([account.deviceId]);
    expect(left[0].claimed_by).not.toBeNull();
    expect(await ts.relay.runWakeups()).toBe(0); // claimed, not stale: not retried yet
    expect(fake.to(sub.path)).toHaveLength(1);

    fake.status.delete(sub.path);
    ts.store.db.prepare('UPDATE wakeups SET claimed_at = claimed_at - ?').run(CLAIM_STALE_MS + 1);
    expect(await ts.relay.runWakeups()).toBe(1);
    expect(fake.to(sub.path)).toHaveLength(2);
    expect(rows(ts)).toEqual([]);
  });

  it('revoking or logging out a device deletes its subscription and wake-ups', async () => {
    const ts = await start();
    const { account: alice, sub } = await subscribed(ts, 'alice');
    const phone = await login(ts, alice, 'Phone');
    await subscribe(ts, phone, newSubscriber(fake, 'phone'));
    const later = Date.now() + 3_600_000;
    await register(ts, alice, [later, later + 1000]);
    await register(ts, phone, [later]);
    expect(rows(ts)).toHaveLength(3);

    expect((await call(ts, 'DELETE', `/api/devices/${phone.deviceId}`, { token: alice.token })).status).toBe(204);
    expect(rows(ts).map((r) => r.device_id)).toEqual([alice.deviceId, alice.deviceId]);
    expect(await ts.store.getPushSubscription(phone.deviceId)).toBeNull();

    expect((await call(ts, 'POST', '/api/auth/logout', { token: alice.token })).status).toBe(204);
    expect(rows(ts)).toEqual([]);
    expect(await ts.store.getPushSubscription(alice.deviceId)).toBeNull();
    expect(fake.to(sub.path)).toHaveLength(0);
  });
});
