/**
 * Every abuse limit of the relay in one place, each with the clear error a client sees:
 * sign-up and login per address, sends per device (cloud messages, envelopes and blobs share one
 * budget), JSON body and envelope size, media size and per-user storage, WebSocket frame size,
 * frame rate and sockets per device.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../../src/lib/api/wire';
import { MAX_BAD_FRAMES, MAX_SOCKETS_PER_DEVICE } from '../../../src/lib/server/ws';
import { b64u, call, connect, deviceKeys, login, signup, startServer, uuid, type Account, type TestServer, type WsClient } from './helpers';

let ts: TestServer;
afterEach(async () => {
  await ts?.close();
});

const expectLimited = (r: { status: number; body: any; headers: Headers }) => {
  expect(r.status).toBe(429);
  expect(r.body.error).toEqual({ code: 'rate_limited', message: expect.stringMatching(/too many/) });
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
};

describe('limits', () => {
  it('sign-up and login share one budget per client address (429 rate_limited + Retry-After)', async () => {
    ts = await startServer({ env: { AUTH_RATE_LIMIT: '3' } });
    const a = await signup(ts, 'limited_a');
    await signup(ts, 'limited_b');
    await login(ts, a);
    const su = await call(ts, 'POST', '/api/auth/signup', { body: { username: 'limited_c', password: 'password123', device: deviceKeys() } });
    expectLimited(su);
    const li = await call(ts, 'POST', '/api/auth/login', { body: { username: a.username, password: a.password, device: deviceKeys() } });
    expectLimited(li);
    // Refused before any work: the account was not created.
    expect(await ts.store.getUserByName('limited_c')).toBeFalsy();
  });

  it('sends are limited per device across cloud messages, envelopes and blobs; other devices keep their budget', async () => {
    ts = await startServer({ env: { SEND_RATE_BURST: '4', SEND_RATE_PER_SEC: '1' } });
    const alice = await signup(ts, 'sender');
    const bob = await signup(ts, 'receiver');
    const text = (from: Account) => call(ts, 'POST', '/api/cloud/messages', { token: from.token, body: { id: uuid(), toUserId: bob.userId, text: 'hi' } });
    const env = (from: Account) => call(ts, 'POST', '/api/envelopes', { token: from.token, body: { id: uuid(), toDeviceId: bob.deviceId, body: b64u(32) } });
    const blob = (from: Account) =>
      call(ts, 'POST', '/api/blobs', {
        token: from.token,
        raw: Buffer.from('ciphertext'),
        headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-device': bob.deviceId }
      });
    expect((await text(alice)).status).toBe(200);
    expect((await env(alice)).status).toBe(200);
    expect((await blob(alice)).status).toBe(201);
    expect((await text(alice)).status).toBe(200);
    expectLimited(await text(alice));
    expectLimited(await env(alice));
    expectLimited(await blob(alice));
    // Alice's second device has its own budget.
    const alice2 = await login(ts, alice, 'Phone');
    expect((await text(alice2)).status).toBe(200);
    // Reads are not limited by it.
    expect((await call(ts, 'GET', '/api/cloud/chats', { token: alice.token })).status).toBe(200);
  });

  it('refuses JSON bodies over LIMITS.jsonBodyMax and envelopes over LIMITS.envelopeMax (413 too_large)', async () => {
    ts = await startServer();
    const a = await signup(ts, 'big');
    const body = await call(ts, 'PATCH', '/api/me', { token: a.token, raw: JSON.stringify({ displayName: 'x', pad: 'y'.repeat(LIMITS.jsonBodyMax) }) });
    expect(body.status).toBe(413);
    expect(body.body.error.code).toBe('too_large');
    const env = await call(ts, 'POST', '/api/envelopes', {
      token: a.token,
      body: { id: uuid(), toDeviceId: a.deviceId, body: b64u(LIMITS.envelopeMax + 1) }
    });
    expect(env.status).toBe(413);
    expect(env.body.error).toEqual({ code: 'too_large', message: `envelope body exceeds ${LIMITS.envelopeMax} bytes` });
    // A message over LIMITS.textMax is a 400 naming the field.
    const text = await call(ts, 'POST', '/api/cloud/messages', { token: a.token, body: { id: uuid(), toUserId: a.userId, text: 'x'.repeat(LIMITS.textMax + 1) } });
    expect(text.status).toBe(400);
    expect(text.body.error.message).toBe('text: message is too long');
  });

  it('refuses media over MAX_BLOB_BYTES (413 too_large) and over the per-user quota (413 quota_exceeded)', async () => {
    ts = await startServer({ env: { MAX_BLOB_BYTES: '1000', BLOB_QUOTA_BYTES: '2500' } });
    const a = await signup(ts, 'media');
    const a2 = await login(ts, a, 'Phone');
    const b = await signup(ts, 'media_peer');
    const up = (from: Account, n: number) =>
      call(ts, 'POST', '/api/blobs', {
        token: from.token,
        raw: Buffer.alloc(n, 7),
        headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-device': b.deviceId }
      });
    const big = await up(a, 1001);
    expect(big.status).toBe(413);
    expect(big.body.error).toEqual({ code: 'too_large', message: 'blob exceeds 1000 bytes' });
    expect((await up(a, 1000)).status).toBe(201);
    expect((await up(a2, 1000)).status).toBe(201); // the quota is per user, across devices
    const over = await up(a, 600);
    expect(over.status).toBe(413);
    expect(over.body.error).toEqual({ code: 'quota_exceeded', message: 'blob storage quota of 2500 bytes exceeded' });
    expect((await up(a, 500)).status).toBe(201);
    // Another user has a quota of their own.
    expect((await up(b, 1000)).status).toBe(201);
  });

  it('closes a WebSocket sending a frame over LIMITS.wsFrameMax (1009)', async () => {
    ts = await startServer();
    const a = await signup(ts, 'wsbig');
    const c = await connect(ts, a.token);
    await c.next((f) => f.t === 'hello');
    c.send(JSON.stringify({ t: 'ping', pad: 'x'.repeat(LIMITS.wsFrameMax) }));
    expect((await c.closed).code).toBe(1009);
  });

  it('answers frames over the per-socket rate with rate_limited, then closes the socket (1008)', async () => {
    ts = await startServer({ env: { WS_FRAME_BURST: '3', WS_FRAME_PER_SEC: '1' } });
    const a = await signup(ts, 'wsflood');
    const c = await connect(ts, a.token);
    await c.next((f) => f.t === 'hello');
    for (let i = 0; i < 3 + MAX_BAD_FRAMES; i++) c.send({ t: 'ping', n: i });
    expect((await c.closed).code).toBe(1008);
    expect(c.frames.filter((f) => f.t === 'pong')).toHaveLength(3);
    expect(c.frames.filter((f) => f.t === 'error')).toEqual(
      Array.from({ length: MAX_BAD_FRAMES }, () => ({ t: 'error', code: 'rate_limited', message: 'too many frames' }))
    );
  });

  it(`refuses more than ${MAX_SOCKETS_PER_DEVICE} open sockets per device (429), not per user`, async () => {
    ts = await startServer();
    const a = await signup(ts, 'tabs');
    const open: WsClient[] = [];
    for (let i = 0; i < MAX_SOCKETS_PER_DEVICE; i++) open.push(await connect(ts, a.token));
    await expect(connect(ts, a.token)).rejects.toMatchObject({ status: 429 });
    const a2 = await login(ts, a, 'Phone');
    const other = await connect(ts, a2.token);
    // Closing one frees a slot.
    open[0].close();
    await open[0].closed;
    for (let i = 0; i < 50 && ts.relay.sockets > MAX_SOCKETS_PER_DEVICE; i++) await new Promise((r) => setTimeout(r, 10));
    open[0] = await connect(ts, a.token);
    for (const c of [...open, other]) c.close();
  });
});
