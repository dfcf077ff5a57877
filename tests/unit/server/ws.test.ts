import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../../src/lib/api/wire';
import { CLOSE_REVOKED, MAX_BAD_FRAMES } from '../../../src/lib/server/ws';
import { call, connect, login, sendText, signup, sleep, startServer, type Account, type TestServer, type WsClient } from './helpers';

let ts: TestServer;
let alice: Account;
let bob: Account;
const open: WsClient[] = [];
const ws = async (a: Account | null, headers?: Record<string, string>) => {
  const c = await connect(ts, a?.token ?? null, headers);
  open.push(c);
  return c;
};
const isUpdate = (kind: string) => (f: ServerFrame) => f.t === 'update' && f.update.kind === kind;

beforeEach(async () => {
  ts = await startServer();
  alice = await signup(ts, 'alice');
  bob = await signup(ts, 'bob');
});
afterEach(async () => {
  for (const c of open.splice(0)) c.ws.terminate();
  await ts.close();
});

describe('websocket', () => {
  it('requires authentication (401) and refuses a foreign Origin (403)', async () => {
    await expect(ws(null)).rejects.toMatchObject({ status: 401 });
    await expect(connect(ts, 'A'.repeat(43))).rejects.toMatchObject({ status: 401 });
    await expect(ws(alice, { origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403 });
    const ok = await ws(alice, { origin: ts.url });
    expect((await ok.next()).t).toBe('hello');
    // Cookie auth works for the upgrade too.
    const viaCookie = await connect(ts, null, { cookie: `cinder_session=${alice.token}` });
    open.push(viaCookie);
    expect((await viaCookie.next()).t).toBe('hello');
  });

  it('says hello with the latest cursor and pending envelopes, and answers ping', async () => {
    await sendText(ts, alice, bob, 'before connect');
    await call(ts, 'POST', '/api/envelopes', { token: alice.token, body: { id: crypto.randomUUID(), toDeviceId: bob.deviceId, body: 'AAAA' } });
    const c = await ws(bob);
    const hello = await c.next();
    const { cursor } = (await call(ts, 'GET', '/api/sync?after=0', { token: bob.token })).body;
    expect(hello).toEqual({ t: 'hello', cursor, envelopes: 1 });
    c.send({ t: 'ping', n: 7 });
    expect(await c.next((f) => f.t === 'pong')).toEqual({ t: 'pong', n: 7 });
  });

  it('pushes updates to every device of both users', async () => {
    const alice2 = await login(ts, alice, 'Phone');
    const sockets = await Promise.all([ws(alice), ws(alice2), ws(bob)]);
    await Promise.all(sockets.map((s) => s.next((f) => f.t === 'hello')));
    const m = await sendText(ts, alice, bob, 'live!');
    const [a1, a2, b1] = await Promise.all(sockets.map((s) => s.next(isUpdate('message'))));
    for (const f of [a1, a2]) expect(f.t === 'update' && f.update.kind === 'message' && f.update.message).toMatchObject({ id: m.id, peerId: bob.userId, text: 'live!' });
    expect(b1.t === 'update' && b1.update.kind === 'message' && b1.update).toMatchObject({ message: { id: m.id, peerId: alice.userId }, peer: { id: alice.userId } });

    await call(ts, 'POST', `/api/cloud/chats/${alice.userId}/read`, { token: bob.token, body: { seq: 1 } });
    for (const s of sockets) expect(await s.next(isUpdate('read'))).toMatchObject({ update: { readerId: bob.userId, seq: 1 } });
    await call(ts, 'POST', `/api/cloud/chats/${bob.userId}/delete`, { token: alice2.token, body: { ids: [m.id] } });
    for (const s of sockets) expect(await s.next(isUpdate('delete'))).toMatchObject({ update: { ids: [m.id] } });

    // The pushed cursors are the sync cursors.
    const synced = (await call(ts, 'GET', '/api/sync?after=0', { token: bob.token })).body;
    const pushed = sockets[2].frames.filter((f) => f.t === 'update').map((f) => (f.t === 'update' ? f.update.cursor : 0));
    expect(pushed.at(-1)).toBe(synced.cursor);
    // A third user hears nothing.
    const carol = await signup(ts, 'carol');
    const c = await ws(carol);
    await c.next((f) => f.t === 'hello');
    await sendText(ts, alice, bob, 'private');
    await sockets[2].next(isUpdate('message'));
    await sleep(50);
    expect(c.frames.map((f) => f.t)).toEqual(['hello']);
  });

  it('relays typing to the peer user only, without storing it', async () => {
    await sendText(ts, alice, bob, 'hi');
    const [a, b] = await Promise.all([ws(alice), ws(bob)]);
    await Promise.all([a.next(), b.next()]);
    const before = (await call(ts, 'GET', '/api/sync?after=0', { token: bob.token })).body.cursor;
    a.send({ t: 'typing', peerId: bob.userId });
    expect(await b.next((f) => f.t === 'typing')).toEqual({ t: 'typing', peerId: alice.userId });
    expect((await call(ts, 'GET', '/api/sync?after=0', { token: bob.token })).body.cursor).toBe(before);
    expect(a.frames.some((f) => f.t === 'typing')).toBe(false);
    // No chat with carol: refused, nothing relayed.
    const carol = await signup(ts, 'carol');
    const c = await ws(carol);
    await c.next();
    a.send({ t: 'typing', peerId: carol.userId });
    expect(await a.next((f) => f.t === 'error')).toMatchObject({ code: 'not_found' });
    expect(c.frames.map((f) => f.t)).toEqual(['hello']);
  });

  it('answers malformed frames with errors and closes with 1008 after repeated abuse', async () => {
    const c = await ws(alice);
    await c.next();
    c.send('not json');
    expect(await c.next((f) => f.t === 'error')).toMatchObject({ t: 'error', code: 'invalid_json' });
    c.send({ t: 'launch_missiles' });
    expect(await c.next((f) => f.t === 'error')).toMatchObject({ code: 'bad_request' });
    c.send({ t: 'typing', peerId: 'bad id!' });
    expect(await c.next((f) => f.t === 'error')).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/^peerId:/) });
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await c.next((f) => f.t === 'error')).toMatchObject({ code: 'bad_request' });
    // Still usable after a few mistakes.
    c.send({ t: 'ping' });
    expect(await c.next((f) => f.t === 'pong')).toEqual({ t: 'pong' });
    for (let i = 4; i < MAX_BAD_FRAMES; i++) c.send('{');
    expect((await c.closed).code).toBe(1008);
  });

  it('closes a socket that exceeds the frame rate', async () => {
    await ts.close();
    ts = await startServer({ env: { WS_FRAME_BURST: '5', WS_FRAME_PER_SEC: '1' } });
    const a = await signup(ts, 'flood');
    const c = await ws(a);
    await c.next();
    for (let i = 0; i < 30; i++) c.send({ t: 'ping', n: i });
    expect((await c.closed).code).toBe(1008);
    expect(c.frames.filter((f) => f.t === 'pong')).toHaveLength(5);
    expect(c.frames.some((f) => f.t === 'error' && f.code === 'rate_limited')).toBe(true);
  });

  it('closes an oversize frame (1009)', async () => {
    const c = await ws(alice);
    await c.next();
    c.send(JSON.stringify({ t: 'ping', pad: 'x'.repeat(300 * 1024) }));
    expect((await c.closed).code).toBe(1009);
  });

  it('tells a revoked device and closes its sockets, leaving other devices connected', async () => {
    const alice2 = await login(ts, alice, 'Phone');
    const [s1, s2] = await Promise.all([ws(alice), ws(alice2)]);
    await Promise.all([s1.next(), s2.next()]);
    expect((await call(ts, 'DELETE', `/api/devices/${alice2.deviceId}`, { token: alice.token })).status).toBe(204);
    expect(await s2.next((f) => f.t === 'revoked')).toEqual({ t: 'revoked' });
    expect((await s2.closed).code).toBe(CLOSE_REVOKED);
    await expect(connect(ts, alice2.token)).rejects.toMatchObject({ status: 401 });
    // Logout does the same for the current device.
    await call(ts, 'POST', '/api/auth/logout', { token: alice.token });
    expect((await s1.closed).code).toBe(CLOSE_REVOKED);
    expect(s1.frames.at(-1)).toEqual({ t: 'revoked' });
  });

  it('terminates sockets that stop answering pings', async () => {
    await ts.close();
    // Heartbeats far apart enough that a loaded machine's late timers (relay and client share this
    // process) do not take a live client for a silent one; the silent one is waited for, not timed.
    ts = await startServer({ heartbeatMs: 300 });
    const a = await signup(ts, 'sleepy');
    const c = await ws(a);
    await c.next();
    await sleep(1_000);
    expect(ts.relay.sockets).toBe(1); // a live client answers pings automatically
    // Stop answering: the ws client auto-pongs from the socket, so pause the socket to go silent.
    c.ws.pause();
    await expect.poll(() => ts.relay.sockets, { timeout: 15_000 }).toBe(0);
  });

  it('closes sockets with 1001 when the relay shuts down', async () => {
    const c = await ws(alice);
    await c.next();
    await ts.relay.close();
    expect((await c.closed).code).toBe(1001);
  });
});
