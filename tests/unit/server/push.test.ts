/**
 * Web Push: VAPID keys, subscriptions, and content-free pushes to devices without a socket. A fake
 * push service records what the relay POSTs; each body is decrypted with the subscription's keys to
 * prove the payload is exactly `{"t":"envelope"}` / `{"t":"update"}` and nothing else.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import webpush from 'web-push';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/lib/server/config';
import { PUSH_COALESCE_MS, VAPID_FILE, pushEndpointProblem } from '../../../src/lib/server/push';
import { b64u, call, connect, login, sendText, signup, sleep, startServer, tempDir, uuid, type Account, type TestServer } from './helpers';
import { newSubscriber, startFakePushService, verifyVapid, type FakePushService, type Subscriber } from './push-fake';

const INSECURE = { PUSH_ALLOW_INSECURE: 'true' };

const subscribe = (ts: TestServer, who: Account, sub: Pick<Subscriber, 'endpoint' | 'keys'>) =>
  call(ts, 'POST', '/api/push/subscribe', { token: who.token, body: { endpoint: sub.endpoint, expirationTime: null, keys: sub.keys } });
const envelope = (ts: TestServer, from: Account, to: Account) =>
  call(ts, 'POST', '/api/envelopes', { token: from.token, body: { id: uuid(), toDeviceId: to.deviceId, body: b64u(40) } });

/** Waits until the relay no longer counts the device as online (its socket close was processed). */
async function offline(ts: TestServer, deviceId: string) {
  for (let i = 0; i < 200 && (await ts.relay.presence.isOnline(deviceId)); i++) await sleep(5);
}

describe('VAPID keys', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('are generated once into DATA_DIR/vapid.json (0600), reused after a restart, served without auth', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const a = await startServer({ dataDir });
    const first = await call(a, 'GET', '/api/push/key');
    await a.close();
    expect(first.status).toBe(200);
    expect(first.body.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    const file = join(dataDir, VAPID_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).publicKey).toBe(first.body.publicKey);

    const b = await startServer({ dataDir });
    try {
      expect((await call(b, 'GET', '/api/push/key')).body).toEqual({ publicKey: first.body.publicKey });
    } finally {
      await b.close();
    }
  });

  it('come from VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY when set (no file written)', async () => {
    const keys = webpush.generateVAPIDKeys();
    const ts = await startServer({ env: { VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: keys.privateKey } });
    try {
      expect((await call(ts, 'GET', '/api/push/key')).body).toEqual({ publicKey: keys.publicKey });
      expect(() => statSync(join(ts.dataDir, VAPID_FILE))).toThrow();
    } finally {
      await ts.close();
    }
  });

  it('refuses half-set, mismatched or malformed VAPID settings at start', () => {
    const d = tempDir();
    dirs.push(d);
    const a = webpush.generateVAPIDKeys();
    const b = webpush.generateVAPIDKeys();
    const bad = (env: Record<string, string>) => () => loadConfig({ DATA_DIR: d, ...env });
    expect(bad({ VAPID_PUBLIC_KEY: a.publicKey })).toThrow(ConfigError);
    expect(bad({ VAPID_PUBLIC_KEY: a.publicKey, VAPID_PRIVATE_KEY: b.privateKey })).toThrow(/does not belong/);
    expect(bad({ VAPID_PUBLIC_KEY: 'abc', VAPID_PRIVATE_KEY: a.privateKey })).toThrow(ConfigError);
    expect(bad({ VAPID_SUBJECT: 'http://example.com' })).toThrow(/VAPID_SUBJECT/);
    const ok = loadConfig({ DATA_DIR: d, VAPID_PUBLIC_KEY: a.publicKey, VAPID_PRIVATE_KEY: a.privateKey, VAPID_SUBJECT: 'https://cinder.example' });
    expect(ok).toMatchObject({ vapidKeys: a, vapidSubject: 'https://cinder.example', pushAllowInsecure: false });
    expect(loadConfig({ DATA_DIR: d })).toMatchObject({ vapidKeys: null, vapidSubject: 'mailto:admin@localhost' });
  });
});

describe('push subscriptions', () => {
  let ts: TestServer;
  let alice: Account;
  beforeEach(async () => {
    ts = await startServer();
    alice = await signup(ts, 'alice');
  });
  afterEach(async () => {
    await ts.close();
  });

  const good = () => newSubscriber({ origin: 'https://fcm.googleapis.com' }, 'fcm');
  const row = () =>
    ts.store.db.prepare('SELECT * FROM push_subscriptions WHERE device_id = ?').get(alice.deviceId) as { endpoint: string; p256dh: string; auth: string } | undefined;

  it('stores one subscription per device, replaced on resubscribe, deleted by DELETE', async () => {
    const s1 = good();
    expect((await subscribe(ts, alice, s1)).status).toBe(204);
    expect(row()).toMatchObject({ endpoint: s1.endpoint, p256dh: s1.keys.p256dh, auth: s1.keys.auth });
    const s2 = good();
    // Padded base64url (as some browsers produce) is accepted and stored unpadded.
    expect((await subscribe(ts, alice, { endpoint: s2.endpoint, keys: { p256dh: s2.keys.p256dh + '=', auth: s2.keys.auth + '==' } })).status).toBe(204);
    expect(row()).toMatchObject({ endpoint: s2.endpoint, p256dh: s2.keys.p256dh, auth: s2.keys.auth });
    expect(ts.store.db.prepare('SELECT count(*) AS n FROM push_subscriptions').get()).toEqual({ n: 1 });
    expect((await call(ts, 'DELETE', '/api/push/subscribe', { token: alice.token })).status).toBe(204);
    expect(row()).toBeUndefined();
    expect((await call(ts, 'DELETE', '/api/push/subscribe', { token: alice.token })).status).toBe(204);
  });

  it('validates the body and refuses endpoints the relay must not call', async () => {
    const s = good();
    const cases: Array<[unknown, RegExp]> = [
      [{}, /endpoint/],
      [{ endpoint: s.endpoint }, /keys/],
      [{ endpoint: 'not a url', keys: s.keys }, /endpoint: must be a URL/],
      [{ endpoint: 'ftp://push.example.com/x', keys: s.keys }, /endpoint: must be an https URL/],
      [{ endpoint: 'http://push.example.com/x', keys: s.keys }, /endpoint: must be an https URL/],
      [{ endpoint: 'http://127.0.0.1:9/x', keys: s.keys }, /endpoint: must be an https URL/],
      [{ endpoint: 'https://169.254.169.254/latest', keys: s.keys }, /IP address/],
      [{ endpoint: 'https://[::1]/x', keys: s.keys }, /IP address/],
      [{ endpoint: 'https://push.example.com:8443/x', keys: s.keys }, /default https port/],
      [{ endpoint: 'https://localhost/x', keys: s.keys }, /public push service/],
      [{ endpoint: 'https://db.internal/x', keys: s.keys }, /public push service/],
      [{ endpoint: 'https://user:pw@push.example.com/x', keys: s.keys }, /credentials/],
      [{ endpoint: 'https://push.example.com/' + 'a'.repeat(2100), keys: s.keys }, /endpoint: must be at most/],
      [{ endpoint: s.endpoint, keys: { ...s.keys, p256dh: b64u(32) } }, /keys.p256dh/],
      [{ endpoint: s.endpoint, keys: { ...s.keys, p256dh: 'A' + s.keys.p256dh.slice(1) } }, /uncompressed/],
      [{ endpoint: s.endpoint, keys: { ...s.keys, auth: b64u(15) } }, /keys.auth/],
      [{ endpoint: s.endpoint, keys: { ...s.keys, auth: '!!!!' } }, /keys.auth/]
    ];
    for (const [body, message] of cases) {
      const r = await call(ts, 'POST', '/api/push/subscribe', { token: alice.token, body });
      expect({ body, status: r.status, code: r.body?.error?.code }).toEqual({ body, status: 400, code: 'bad_request' });
      expect(r.body.error.message).toMatch(message);
    }
    expect(row()).toBeUndefined();
    expect((await call(ts, 'POST', '/api/push/subscribe', { body: { endpoint: s.endpoint, keys: s.keys } })).status).toBe(401);
    expect((await call(ts, 'DELETE', '/api/push/subscribe')).status).toBe(401);
  });

  it('accepts loopback http endpoints only with PUSH_ALLOW_INSECURE', () => {
    expect(pushEndpointProblem('http://127.0.0.1:4000/p', false)).toMatch(/https/);
    expect(pushEndpointProblem('http://127.0.0.1:4000/p', true)).toBeNull();
    expect(pushEndpointProblem('http://localhost:4000/p', true)).toBeNull();
    expect(pushEndpointProblem('http://10.0.0.1:4000/p', true)).toMatch(/https/);
    expect(pushEndpointProblem('https://updates.push.services.mozilla.com/wpush/v2/abc', false)).toBeNull();
    expect(pushEndpointProblem('https://web.push.apple.com/QGx', false)).toBeNull();
  });
});

describe('pushes to devices without a socket', () => {
  let ts: TestServer;
  let fake: FakePushService;
  let alice: Account;
  let bob: Account;
  let aliceSub: Subscriber;
  beforeEach(async () => {
    fake = await startFakePushService();
    ts = await startServer({ env: INSECURE, pushCoalesceMs: 300 });
    alice = await signup(ts, 'alice');
    bob = await signup(ts, 'bob');
    aliceSub = newSubscriber(fake, 'alice');
    expect((await subscribe(ts, alice, aliceSub)).status).toBe(204);
  });
  afterEach(async () => {
    await ts.close();
    await fake.close();
  });

  it('sends exactly {"t":"envelope"}, encrypted to the subscription and signed with the VAPID key', async () => {
    expect((await envelope(ts, bob, alice)).status).toBe(200);
    const [push] = await fake.waitFor(aliceSub.path);
    expect(aliceSub.decrypt(push.body)).toBe('{"t":"envelope"}');
    expect(push.headers).toMatchObject({
      'content-encoding': 'aes128gcm',
      'content-type': 'application/octet-stream',
      ttl: '86400',
      urgency: 'high',
      topic: 'envelope'
    });
    // Content-free: the ciphertext is header (86) + 16-byte payload + delimiter + tag, whatever was sent.
    expect(push.body.length).toBe(86 + 16 + 1 + 16);
    const { k, claims } = verifyVapid(push.headers.authorization, fake.origin);
    expect(k).toBe((await call(ts, 'GET', '/api/push/key')).body.publicKey);
    expect(claims.sub).toBe('mailto:admin@localhost');
    expect(claims.exp * 1000).toBeGreaterThan(Date.now());
  });

  it('sends {"t":"update"} for a new cloud message to each other device of the recipient, not for reads or own messages', async () => {
    const alice2 = await login(ts, alice, 'Phone');
    const alice2Sub = newSubscriber(fake, 'alice2');
    const bobSub = newSubscriber(fake, 'bob');
    await subscribe(ts, alice2, alice2Sub);
    await subscribe(ts, bob, bobSub);

    const m = await sendText(ts, bob, alice, 'the actual secret text');
    const [p1] = await fake.waitFor(aliceSub.path);
    const [p2] = await fake.waitFor(alice2Sub.path);
    for (const [p, s] of [
      [p1, aliceSub],
      [p2, alice2Sub]
    ] as const) {
      expect(s.decrypt(p.body)).toBe('{"t":"update"}');
      expect(p.headers.topic).toBe('update');
    }
    await sleep(400); // past the coalescing window
    // Bob's own message doesn't push bob; alice reading it doesn't push anyone.
    expect((await call(ts, 'POST', `/api/cloud/chats/${bob.userId}/read`, { token: alice.token, body: { seq: m.seq } })).status).toBe(204);
    await sendText(ts, alice, alice, 'note to self'); // own message: alice's other device is not pushed
    await sleep(300);
    expect(fake.to(bobSub.path)).toHaveLength(0);
    expect(fake.to(aliceSub.path)).toHaveLength(1);
    expect(fake.to(alice2Sub.path)).toHaveLength(1);
    // A message from alice pushes bob.
    await sendText(ts, alice, bob, 'hi');
    expect(bobSub.decrypt((await fake.waitFor(bobSub.path))[0].body)).toBe('{"t":"update"}');
  });

  it('does not push a device with an open socket; pushes again once it is closed', async () => {
    const ws = await connect(ts, alice.token);
    await ws.next((f) => f.t === 'hello');
    await envelope(ts, bob, alice);
    await sendText(ts, bob, alice, 'hello');
    await ws.next((f) => f.t === 'envelope');
    await ws.next((f) => f.t === 'update');
    await sleep(300);
    expect(fake.records).toHaveLength(0);

    ws.close();
    await ws.closed;
    await offline(ts, alice.deviceId);
    await envelope(ts, bob, alice);
    expect(aliceSub.decrypt((await fake.waitFor(aliceSub.path))[0].body)).toBe('{"t":"envelope"}');
  });

  it('coalesces: one push at once, one trailing push per window, envelope winning over update', async () => {
    const window = 1000;
    const slow = await startServer({ env: INSECURE, pushCoalesceMs: window });
    try {
      const a = await signup(slow, 'alice');
      const b = await signup(slow, 'bob');
      const sub = newSubscriber(fake, 'coalesced');
      await subscribe(slow, a, sub);
      // The first push leaves after the burst starts, the trailing one a window after the first: so it
      // arrives a window or more after the burst started, however slow the machine (arrival times of
      // the two pushes alone are not a bound: the first can be the one delayed).
      const burst = Date.now();
      await Promise.all([...Array.from({ length: 5 }, () => envelope(slow, b, a)), sendText(slow, b, a, 'x')]);
      const [first] = await fake.waitFor(sub.path, 1);
      const [, trailing] = await fake.waitFor(sub.path, 2);
      expect(trailing.at - burst).toBeGreaterThanOrEqual(window - 2); // 2 ms: whole-millisecond clocks
      expect(sub.decrypt(first.body)).toMatch(/^\{"t":"(envelope|update)"\}$/);
      expect(sub.decrypt(trailing.body)).toBe('{"t":"envelope"}');
      await sleep(window + 300); // nothing happened in the second window: no third push
      expect(fake.to(sub.path)).toHaveLength(2);
    } finally {
      await slow.close();
    }
    expect(PUSH_COALESCE_MS).toBe(2000);
  });

  it('deletes the subscription when the push service answers 410 (or 404), keeps it on 500', async () => {
    fake.status.set(aliceSub.path, 500);
    expect((await envelope(ts, bob, alice)).status).toBe(200);
    await fake.waitFor(aliceSub.path, 1);
    await sleep(50);
    expect(await ts.store.getPushSubscription(alice.deviceId)).not.toBeNull();
    expect(ts.relay.metrics.get('cinder_push_failed_total')).toBe(1);

    await sleep(350);
    fake.status.set(aliceSub.path, 410);
    expect((await envelope(ts, bob, alice)).status).toBe(200);
    await fake.waitFor(aliceSub.path, 2);
    for (let i = 0; i < 100 && (await ts.store.getPushSubscription(alice.deviceId)); i++) await sleep(10);
    expect(await ts.store.getPushSubscription(alice.deviceId)).toBeNull();
    // Logs name the push service host, never the endpoint path or keys.
    const logs = ts.logs.join('\n');
    expect(logs).toContain('push subscription expired');
    expect(logs).not.toContain(aliceSub.path);
    expect(logs).not.toContain(aliceSub.keys.auth);

    const bobSub = newSubscriber(fake, 'bob');
    fake.status.set(bobSub.path, 404);
    await subscribe(ts, bob, bobSub);
    await envelope(ts, alice, bob);
    await fake.waitFor(bobSub.path);
    for (let i = 0; i < 100 && (await ts.store.getPushSubscription(bob.deviceId)); i++) await sleep(10);
    expect(await ts.store.getPushSubscription(bob.deviceId)).toBeNull();
  });

  it('a 410 for a replaced endpoint does not delete the new subscription', async () => {
    const fresh = newSubscriber(fake, 'alice-new');
    await subscribe(ts, alice, fresh);
    expect(await ts.store.deletePushSubscription(alice.deviceId, aliceSub.endpoint)).toBe(false);
    expect((await ts.store.getPushSubscription(alice.deviceId))?.endpoint).toBe(fresh.endpoint);
  });

  it('an unreachable push service neither fails nor delays the request that triggered it', async () => {
    const dead = await startFakePushService();
    const sub = newSubscriber(dead, 'dead');
    await dead.close(); // nothing listens there any more
    await subscribe(ts, alice, sub);
    const started = Date.now();
    expect((await envelope(ts, bob, alice)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    for (let i = 0; i < 100 && !ts.logs.some((l) => l.includes('"push failed"')); i++) await sleep(10);
    expect(ts.logs.some((l) => l.includes('"push failed"'))).toBe(true);
    expect(await ts.store.getPushSubscription(alice.deviceId)).not.toBeNull();
  });
});
