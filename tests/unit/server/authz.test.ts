/**
 * Authorization matrix. Every route registered in src/lib/server (found by reading the sources, so a
 * new endpoint is covered without editing this file) refuses a caller without a live session; and for
 * each resource, a device reaches only what is its own: its envelope queue, its user's chats, its
 * secret requests, blobs it uploaded or was sent. Revoked and logged-out devices are refused
 * everywhere and their sockets are closed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudMessage, Envelope } from '../../../src/lib/api/wire';
import { CLOSE_REVOKED } from '../../../src/lib/server/ws';
import { b64u, call, connect, login, sendText, signup, startServer, uuid, type Account, type TestServer } from './helpers';

const SERVER_DIR = join(__dirname, '..', '..', '..', 'src', 'lib', 'server');
// GET /api/push/key is public by design: it serves only the relay's VAPID public key (docs/api.md "Web Push").
// POST /api/sealed is anonymous by design: a mailbox's capability MAC stands in for the session (sealed.test.ts).
const PUBLIC = new Set(['GET /healthz', 'POST /api/auth/signup', 'POST /api/auth/login', 'GET /api/push/key', 'POST /api/sealed']);

/** Every `router.add('METHOD', '/path', ...)` in the server sources. */
function discoverRoutes(): { method: string; pattern: string }[] {
  const out: { method: string; pattern: string }[] = [];
  for (const f of readdirSync(SERVER_DIR, { recursive: true }) as string[]) {
    if (!f.endsWith('.ts')) continue;
    const src = readFileSync(join(SERVER_DIR, f), 'utf8');
    for (const m of src.matchAll(/\.add\(\s*'([A-Z]+)'\s*,\s*'([^']+)'/g)) out.push({ method: m[1], pattern: m[2] });
  }
  return out;
}

const ROUTES = discoverRoutes();
const PROTECTED = ROUTES.filter((r) => !PUBLIC.has(`${r.method} ${r.pattern}`));

/** A plausible request for a route: params filled with well-formed ids, a JSON body for writes. */
function probe(route: { method: string; pattern: string }, ids: Record<string, string> = {}) {
  const path = route.pattern.replace(/:(\w+)/g, (_m, name: string) => ids[name] ?? (name === 'username' ? 'somebody' : b64u(16)));
  const query = route.pattern === '/api/users' ? '?q=ab' : '';
  const isBlobUpload = route.method === 'POST' && route.pattern === '/api/blobs';
  const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
  return {
    path: path + query,
    body: hasBody && !isBlobUpload ? {} : undefined,
    raw: isBlobUpload ? Buffer.from('xyz') : undefined,
    headers: isBlobUpload ? { 'content-type': 'application/octet-stream', 'x-cinder-to-device': b64u(16) } : undefined
  };
}

let ts: TestServer;
let alice: Account;
let alice2: Account;
let bob: Account;
let eve: Account;
beforeEach(async () => {
  ts = await startServer();
  alice = await signup(ts, 'alice');
  alice2 = await login(ts, alice, 'Alice phone');
  bob = await signup(ts, 'bob');
  eve = await signup(ts, 'eve');
});
afterEach(async () => {
  await ts.close();
});

const envelopes = async (who: Account) => {
  const r = await call<{ envelopes: Envelope[] }>(ts, 'GET', '/api/envelopes', { token: who.token });
  expect(r.status).toBe(200);
  return r.body.envelopes;
};
const putEnvelope = (from: Account, toDeviceId: string, extra: Record<string, unknown> = {}) =>
  call(ts, 'POST', '/api/envelopes', { token: from.token, body: { id: uuid(), toDeviceId, body: b64u(40), ...extra } });
const history = async (who: Account, peer: Account) => {
  const r = await call<{ messages: CloudMessage[] }>(ts, 'GET', `/api/cloud/chats/${peer.userId}/messages`, { token: who.token });
  expect(r.status).toBe(200);
  return r.body.messages;
};
const upload = (from: Account, toDeviceId: string) =>
  call(ts, 'POST', '/api/blobs', {
    token: from.token,
    raw: Buffer.from('opaque ciphertext'),
    headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-device': toDeviceId }
  });

describe('authorization: every endpoint needs a live session', () => {
  it('finds the routes it checks', () => {
    expect(PROTECTED.length).toBeGreaterThanOrEqual(20);
    for (const r of ['GET /api/envelopes', 'POST /api/secret/claim', 'GET /api/blobs/:id', 'GET /api/sync', 'PATCH /api/me']) {
      expect(PROTECTED.map((x) => `${x.method} ${x.pattern}`)).toContain(r);
    }
  });

  const bad: [string, (a: Account) => Record<string, string>][] = [
    ['no credentials', () => ({})],
    ['a malformed bearer token', () => ({ authorization: 'Bearer not-a-token' })],
    ['an unknown token of the right shape', () => ({ authorization: `Bearer ${b64u(32)}` })],
    ['a token in the wrong cookie', (a) => ({ cookie: `other_session=${a.token}` })],
    ['a Basic authorization header', (a) => ({ authorization: `Basic ${Buffer.from(`x:${a.token}`).toString('base64')}` })]
  ];
  for (const [what, headers] of bad) {
    it(`answers 401 unauthorized to ${what} on every protected route`, async () => {
      for (const route of PROTECTED) {
        const p = probe(route);
        const r = await call(ts, route.method, p.path, { body: p.body, raw: p.raw, headers: { ...p.headers, ...headers(alice) } });
        expect({ route: `${route.method} ${route.pattern}`, status: r.status, code: r.body?.error?.code }).toEqual({
          route: `${route.method} ${route.pattern}`,
          status: 401,
          code: 'unauthorized'
        });
      }
    });
  }

  it('refuses the WebSocket without a session (401)', async () => {
    await expect(connect(ts, null)).rejects.toMatchObject({ status: 401 });
    await expect(connect(ts, b64u(32))).rejects.toMatchObject({ status: 401 });
  });
});

describe('authorization: a device reaches only its own resources', () => {
  it('fetches and acknowledges only its own envelope queue', async () => {
    expect((await putEnvelope(bob, alice.deviceId)).status).toBe(200);
    const [e] = await envelopes(alice);
    expect(e.fromDeviceId).toBe(bob.deviceId);
    // Not the user's other device, not another user, whatever the cursor.
    for (const other of [alice2, eve, bob]) {
      expect(await envelopes(other)).toEqual([]);
      const r = await call<{ envelopes: Envelope[] }>(ts, 'GET', '/api/envelopes?after=0&limit=200', { token: other.token });
      expect(r.body.envelopes).toEqual([]);
      // An ack by anyone else leaves Alice's queue alone.
      expect((await call(ts, 'POST', '/api/envelopes/ack', { token: other.token, body: { upTo: Number.MAX_SAFE_INTEGER } })).status).toBe(204);
    }
    expect((await envelopes(alice)).map((x) => x.id)).toEqual([e.id]);
    // Extra fields naming another queue are ignored.
    await call(ts, 'POST', '/api/envelopes/ack', { token: eve.token, body: { upTo: e.seq, deviceId: alice.deviceId, toDeviceId: alice.deviceId } });
    expect(await envelopes(alice)).toHaveLength(1);
  });

  it('posts only as itself: sender fields in the body are ignored', async () => {
    const r = await call(ts, 'POST', '/api/cloud/messages', {
      token: eve.token,
      body: { id: uuid(), toUserId: bob.userId, text: 'hi', senderId: alice.userId, senderDeviceId: alice.deviceId, fromUserId: alice.userId }
    });
    expect(r.status).toBe(200);
    expect(r.body.message).toMatchObject({ senderId: eve.userId, senderDeviceId: eve.deviceId, peerId: bob.userId });
    expect((await history(bob, eve))[0].senderId).toBe(eve.userId);
    expect(await history(bob, alice)).toEqual([]);

    const e = await putEnvelope(eve, bob.deviceId, { fromDeviceId: alice.deviceId, fromUserId: alice.userId });
    expect(e.status).toBe(200);
    const [got] = await envelopes(bob);
    expect(got).toMatchObject({ fromDeviceId: eve.deviceId, fromUserId: eve.userId });
  });

  it('cannot take over, read, mark or delete another pair’s cloud chat', async () => {
    const m = await sendText(ts, alice, bob, 'for Bob only');
    // Eve names Alice (or Bob) as peer: she sees only her own chat with them, which does not exist.
    expect(await history(eve, alice)).toEqual([]);
    expect(await history(eve, bob)).toEqual([]);
    for (const peer of [alice, bob]) {
      expect((await call(ts, 'POST', `/api/cloud/chats/${peer.userId}/read`, { token: eve.token, body: { seq: 1 } })).status).toBe(404);
      expect((await call(ts, 'POST', `/api/cloud/chats/${peer.userId}/delete`, { token: eve.token, body: { ids: [m.id] } })).status).toBe(404);
    }
    const chats = await call(ts, 'GET', '/api/cloud/chats', { token: eve.token });
    expect(chats.body.chats).toEqual([]);
    const sync = await call(ts, 'GET', '/api/sync', { token: eve.token });
    expect(JSON.stringify(sync.body)).not.toContain('for Bob only');

    // Once Eve has her own chat with Alice, Alice–Bob message ids are still out of her reach.
    await sendText(ts, eve, alice, 'hello Alice');
    expect((await call(ts, 'POST', `/api/cloud/chats/${alice.userId}/delete`, { token: eve.token, body: { ids: [m.id] } })).status).toBe(204);
    expect((await history(bob, alice)).map((x) => x.id)).toEqual([m.id]);
    // Reusing the id cannot overwrite or hijack the message.
    const reuse = await call(ts, 'POST', '/api/cloud/messages', { token: eve.token, body: { id: m.id, toUserId: bob.userId, text: 'forged' } });
    expect(reuse.status).toBe(409);
    expect((await history(alice, bob))[0].text).toBe('for Bob only');
    // And her history with Alice holds only her own chat.
    expect((await history(eve, alice)).map((x) => x.text)).toEqual(['hello Alice']);
  });

  it('cannot claim or withdraw someone else’s secret request', async () => {
    const requestId = uuid();
    expect((await putEnvelope(alice, bob.deviceId, { requestId })).status).toBe(200);
    const claim = (who: Account) => call(ts, 'POST', '/api/secret/claim', { token: who.token, body: { requestId } });
    const withdraw = (who: Account) => call(ts, 'POST', '/api/secret/withdraw', { token: who.token, body: { requestId } });
    // Not addressed to them: 404, as if it did not exist.
    expect((await claim(eve)).status).toBe(404);
    expect((await claim(alice)).status).toBe(404);
    expect((await claim(alice2)).status).toBe(404);
    // Only the sending device may withdraw: not the target, not the sender's other device, not a stranger.
    for (const who of [eve, bob, alice2]) expect((await withdraw(who)).status).toBe(404);
    // Another device may not join the fan-out of a request it did not start.
    expect((await putEnvelope(eve, bob.deviceId, { requestId })).status).toBe(409);
    expect((await putEnvelope(alice2, bob.deviceId, { requestId })).status).toBe(409);
    // The request is intact: Bob claims it.
    expect((await claim(bob)).status).toBe(204);
    expect((await envelopes(bob)).map((e) => e.requestId)).toEqual([requestId]);
  });

  it('cannot download or delete others’ blobs', async () => {
    const bob2 = await login(ts, bob, 'Bob phone');
    const up = await upload(alice, bob.deviceId);
    expect(up.status).toBe(201);
    const id = up.body.id as string;
    // Neither strangers, nor the other devices of the uploader or of the recipient.
    for (const who of [eve, alice2, bob2]) {
      expect((await call(ts, 'GET', `/api/blobs/${id}`, { token: who.token })).status).toBe(404);
      expect((await call(ts, 'DELETE', `/api/blobs/${id}`, { token: who.token })).status).toBe(404);
    }
    expect((await call(ts, 'GET', `/api/blobs/${id}`, { token: bob.token })).status).toBe(200);
    expect((await call(ts, 'GET', `/api/blobs/${id}`, { token: alice.token })).status).toBe(200);
  });

  it('cannot revoke another user’s device', async () => {
    expect((await call(ts, 'DELETE', `/api/devices/${alice.deviceId}`, { token: eve.token })).status).toBe(404);
    expect((await call(ts, 'GET', '/api/me', { token: alice.token })).status).toBe(200);
    const list = await call(ts, 'GET', '/api/devices', { token: eve.token });
    expect(list.body.devices.map((d: { id: string }) => d.id)).toEqual([eve.deviceId]);
  });

  it('changes only its own profile, whatever ids the body carries', async () => {
    const r = await call(ts, 'PATCH', '/api/me', { token: eve.token, body: { displayName: 'Not Alice', id: alice.userId, userId: alice.userId } });
    expect(r.status).toBe(200);
    const a = await call(ts, 'GET', `/api/users/${alice.userId}`, { token: bob.token });
    expect(a.body.user.displayName).toBe(alice.username);
  });

  it('sends typing only to users it shares a chat with', async () => {
    const ws = await connect(ts, eve.token);
    await ws.next((f) => f.t === 'hello');
    ws.send({ t: 'typing', peerId: alice.userId });
    expect(await ws.next((f) => f.t === 'error')).toMatchObject({ code: 'not_found' });
    ws.close();
  });
});

describe('authorization: revoked and logged-out devices', () => {
  const everywhere = async (who: Account) => {
    for (const route of PROTECTED) {
      const p = probe(route, { id: who.deviceId, peerId: bob.userId, username: bob.username });
      const r = await call(ts, route.method, p.path, { token: who.token, body: p.body, raw: p.raw, headers: p.headers });
      expect(`${route.method} ${route.pattern} -> ${r.status}`).toBe(`${route.method} ${route.pattern} -> 401`);
    }
    await expect(connect(ts, who.token)).rejects.toMatchObject({ status: 401 });
  };

  it('a logged-out device is refused everywhere and its sockets are closed (4001)', async () => {
    const ws = await connect(ts, alice2.token);
    await ws.next((f) => f.t === 'hello');
    const other = await connect(ts, alice.token);
    await other.next((f) => f.t === 'hello');
    const r = await call(ts, 'POST', '/api/auth/logout', { token: alice2.token });
    expect(r.status).toBe(204);
    expect(r.headers.get('set-cookie')).toMatch(/cinder_session=;.*Max-Age=0/);
    await ws.next((f) => f.t === 'revoked');
    expect((await ws.closed).code).toBe(CLOSE_REVOKED);
    await everywhere(alice2);
    // The user's other device is untouched.
    expect(other.ws.readyState).toBe(other.ws.OPEN);
    expect((await call(ts, 'GET', '/api/me', { token: alice.token })).status).toBe(200);
    other.close();
  });

  it('a device revoked from another device is refused everywhere and its sockets are closed (4001)', async () => {
    const s1 = await connect(ts, alice2.token);
    const s2 = await connect(ts, alice2.token);
    await s1.next((f) => f.t === 'hello');
    await s2.next((f) => f.t === 'hello');
    // Pending envelopes for it are dropped with it.
    expect((await putEnvelope(bob, alice2.deviceId)).status).toBe(200);
    expect((await call(ts, 'DELETE', `/api/devices/${alice2.deviceId}`, { token: alice.token })).status).toBe(204);
    for (const s of [s1, s2]) expect((await s.closed).code).toBe(CLOSE_REVOKED);
    await everywhere(alice2);
    // Nothing can be sent to it any more.
    expect((await putEnvelope(bob, alice2.deviceId)).status).toBe(404);
    expect((await upload(bob, alice2.deviceId)).status).toBe(404);
    // The session cannot be revived by logging in again with the old token.
    expect((await call(ts, 'GET', '/api/me', { headers: { cookie: `cinder_session=${alice2.token}` } })).status).toBe(401);
  });
});

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/, Secure only over TLS, and never readable from the body', async () => {
    const r = await call(ts, 'POST', '/api/auth/login', {
      body: { username: bob.username, password: bob.password, device: { name: 'x', signPub: b64u(32), dhPub: b64u(32) } }
    });
    const cookie = r.headers.get('set-cookie')!;
    const attrs = cookie.split(';').map((s) => s.trim());
    expect(attrs[0]).toMatch(/^cinder_session=[A-Za-z0-9_-]{43}$/);
    expect(attrs).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));
    expect(attrs).not.toContain('Secure');
    expect(attrs.some((a) => /^Domain=/i.test(a))).toBe(false);
    expect(r.text).not.toContain(attrs[0].split('=')[1]);
    // X-Forwarded-Proto is ignored without TRUST_PROXY.
    const spoof = await call(ts, 'POST', '/api/auth/login', {
      headers: { 'x-forwarded-proto': 'https' },
      body: { username: bob.username, password: bob.password, device: { name: 'x', signPub: b64u(32), dhPub: b64u(32) } }
    });
    expect(spoof.headers.get('set-cookie')).not.toContain('Secure');
  });

  it('is Secure behind a trusted TLS proxy', async () => {
    const proxied = await startServer({ env: { TRUST_PROXY: 'true' } });
    try {
      const r = await call(proxied, 'POST', '/api/auth/signup', {
        headers: { 'x-forwarded-proto': 'https' },
        body: { username: 'tlsuser', password: 'correct horse battery', device: { name: 'x', signPub: b64u(32), dhPub: b64u(32) } }
      });
      expect(r.status).toBe(201);
      expect(r.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+; Secure$/);
    } finally {
      await proxied.close();
    }
  });
});
