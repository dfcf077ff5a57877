import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../../src/lib/api/wire';
import { b64u, call, deviceKeys, signup, startServer, uuid, type Account, type TestServer } from './helpers';

let ts: TestServer;
let a: Account;
let b: Account;
beforeAll(async () => {
  ts = await startServer();
  a = await signup(ts);
  b = await signup(ts);
  // A chat must exist for the per-chat endpoints to get as far as body validation.
  await call(ts, 'POST', '/api/cloud/messages', { token: a.token, body: { id: uuid(), toUserId: b.userId, text: 'hi' } });
});
afterAll(async () => {
  await ts.close();
});

const expect400 = async (method: string, path: string, body: unknown, token?: string) => {
  const r = await call(ts, method, path, { body, token: token ?? a.token });
  expect(r.status, `${method} ${path} ${JSON.stringify(body)} → ${r.text}`).toBe(400);
  expect(r.body.error.code).toBe('bad_request');
  expect(typeof r.body.error.message).toBe('string');
  return r;
};

describe('request validation', () => {
  it('signup rejects bad bodies with 400 naming the field', async () => {
    const ok = { username: 'valid_name', password: 'long enough', device: deviceKeys() };
    const r = await expect400('POST', '/api/auth/signup', { ...ok, username: 'ab' });
    expect(r.body.error.message).toMatch(/^username: username must be at least 3/);
    await expect400('POST', '/api/auth/signup', { ...ok, username: 'has space' });
    await expect400('POST', '/api/auth/signup', { ...ok, username: 'x'.repeat(33) });
    await expect400('POST', '/api/auth/signup', { ...ok, password: 'short' });
    await expect400('POST', '/api/auth/signup', { ...ok, password: 'x'.repeat(LIMITS.passwordMax + 1) });
    await expect400('POST', '/api/auth/signup', { ...ok, displayName: '   ' });
    const dev = await expect400('POST', '/api/auth/signup', { ...ok, device: { ...ok.device, signPub: b64u(31) } });
    expect(dev.body.error.message).toMatch(/^device\.signPub:/);
    await expect400('POST', '/api/auth/signup', { ...ok, device: { ...ok.device, dhPub: 'not+base64/url' } });
    await expect400('POST', '/api/auth/signup', { ...ok, device: undefined });
    await expect400('POST', '/api/auth/signup', [ok]);
    await expect400('POST', '/api/auth/signup', null);
    await expect400('POST', '/api/auth/signup', 'string');
  });

  it('login, profile, cloud, read, delete and envelope endpoints reject bad bodies', async () => {
    await expect400('POST', '/api/auth/login', { username: 'x', password: '', device: deviceKeys() });
    await expect400('POST', '/api/auth/login', { username: 'x', password: 'y' });
    await expect400('PATCH', '/api/me', { displayName: '' });
    await expect400('PATCH', '/api/me', { displayName: 'x'.repeat(65) });
    await expect400('PATCH', '/api/me', {});

    const msg = { id: uuid(), toUserId: b.userId, text: 'hello' };
    await expect400('POST', '/api/cloud/messages', { ...msg, id: 'not-a-uuid' });
    await expect400('POST', '/api/cloud/messages', { ...msg, id: uuid().toUpperCase() });
    await expect400('POST', '/api/cloud/messages', { ...msg, text: '' });
    await expect400('POST', '/api/cloud/messages', { ...msg, text: 'x'.repeat(LIMITS.textMax + 1) });
    await expect400('POST', '/api/cloud/messages', { ...msg, toUserId: 'bad id!' });
    await expect400('POST', '/api/cloud/messages', { ...msg, replyTo: 42 });
    await expect400('POST', '/api/cloud/messages', { ...msg, text: 7 });

    await expect400('POST', `/api/cloud/chats/${b.userId}/read`, { seq: 0 });
    await expect400('POST', `/api/cloud/chats/${b.userId}/read`, { seq: 1.5 });
    await expect400('POST', `/api/cloud/chats/${b.userId}/read`, { seq: '3' });
    await expect400('POST', `/api/cloud/chats/${b.userId}/delete`, { ids: [] });
    await expect400('POST', `/api/cloud/chats/${b.userId}/delete`, { ids: ['x'] });
    await expect400('POST', `/api/cloud/chats/${b.userId}/delete`, { ids: Array.from({ length: 101 }, uuid) });

    const env = { id: uuid(), toDeviceId: b.deviceId, body: b64u(10) };
    await expect400('POST', '/api/envelopes', { ...env, body: 'a+b=' });
    await expect400('POST', '/api/envelopes', { ...env, body: '' });
    await expect400('POST', '/api/envelopes', { ...env, body: 'abcde' }); // impossible base64 length
    await expect400('POST', '/api/envelopes', { ...env, id: 'x' });
    await expect400('POST', '/api/envelopes/ack', { upTo: -1 });
    await expect400('POST', '/api/envelopes/ack', {});
  });

  it('rejects bad path and query parameters with 400', async () => {
    for (const path of [
      '/api/users/bad%20id',
      '/api/users?q=',
      '/api/users',
      `/api/cloud/chats/${b.userId}/messages?limit=0`,
      `/api/cloud/chats/${b.userId}/messages?limit=201`,
      `/api/cloud/chats/${b.userId}/messages?before=-1`,
      `/api/cloud/chats/${b.userId}/messages?before=abc`,
      '/api/cloud/chats/bad!id/messages',
      '/api/sync?after=1e3',
      '/api/sync?limit=501',
      '/api/envelopes?after=x'
    ]) {
      const r = await call(ts, 'GET', path, { token: a.token });
      expect(r.status, path).toBe(400);
      expect(r.body.error.code).toBe('bad_request');
    }
  });

  it('answers invalid JSON with 400 invalid_json, and non-JSON content types with 415', async () => {
    for (const raw of ['{', '', '{"a":1}x', Buffer.from([0x7b, 0xff, 0x7d])]) {
      const r = await call(ts, 'POST', '/api/cloud/messages', { token: a.token, raw });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid_json');
    }
    const form = await call(ts, 'POST', '/api/auth/signup', { raw: 'username=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('bad_request');
    const charset = await call(ts, 'PATCH', '/api/me', { token: a.token, raw: '{"displayName":"ok"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(charset.status).toBe(200);
  });

  it('refuses an oversize body with 413 too_large, by declared length or by streaming', async () => {
    const big = JSON.stringify({ displayName: 'x'.repeat(LIMITS.jsonBodyMax) });
    const r = await call(ts, 'PATCH', '/api/me', { token: a.token, raw: big });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('too_large');

    // Chunked upload without Content-Length: the limit is enforced while streaming.
    const { port } = new URL(ts.url);
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/api/cloud/messages', headers: { 'content-type': 'application/json', authorization: `Bearer ${a.token}` } },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        }
      );
      req.on('error', reject);
      const chunk = 'x'.repeat(64 * 1024);
      req.write('{"text":"');
      let sent = 0;
      const pump = () => {
        // Keep sending well past the limit unless the server already answered.
        while (sent < 8 * 1024 * 1024 && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end('"}');
      };
      pump();
    });
    expect(status.status).toBe(413);
    expect(JSON.parse(status.body).error.code).toBe('too_large');
  });

  it('answers unknown routes with 404 and wrong methods with 405 + Allow, with security headers', async () => {
    const r = await call(ts, 'GET', '/api/nope', { token: a.token });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const bad = await call(ts, 'GET', '/api/%E0%A4%A', { token: a.token });
    expect(bad.status).toBe(404);
    const m = await call(ts, 'PUT', '/api/me', { token: a.token, body: {} });
    expect(m.status).toBe(405);
    expect(m.body.error.code).toBe('method_not_allowed');
    expect(m.headers.get('allow')).toBe('GET, PATCH');
    expect((await call(ts, 'GET', '/healthz')).body).toMatchObject({ ok: true, checks: { db: { ok: true } } });
    // Not the relay's path: left to the app.
    expect((await call(ts, 'GET', '/apix')).status).toBe(418);
  });

  it('answers 404 for a message to an unknown user and never 500s on junk', async () => {
    const r = await call(ts, 'POST', '/api/cloud/messages', { token: a.token, body: { id: uuid(), toUserId: 'nosuchuser', text: 'x' } });
    expect(r.status).toBe(404);
    const junk: unknown[] = [0, true, [], {}, { id: {} }, { ids: null }, { seq: 1e308 }, { upTo: Number.MAX_SAFE_INTEGER + 2 }, '\u0000'];
    const endpoints: [string, string][] = [
      ['POST', '/api/auth/signup'],
      ['POST', '/api/auth/login'],
      ['PATCH', '/api/me'],
      ['POST', '/api/cloud/messages'],
      ['POST', `/api/cloud/chats/${b.userId}/read`],
      ['POST', `/api/cloud/chats/${b.userId}/delete`],
      ['POST', '/api/envelopes'],
      ['POST', '/api/envelopes/ack']
    ];
    for (const [method, path] of endpoints) {
      for (const body of junk) {
        const res = await call(ts, method, path, { token: a.token, body });
        expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
      }
    }
    expect(ts.logs.join('\n')).not.toContain('"level":"error"');
  });
});
