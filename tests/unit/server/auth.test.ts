import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, deviceKeys, login, signup, startServer, tokenFrom, type TestServer } from './helpers';

let ts: TestServer;
beforeEach(async () => {
  ts = await startServer();
});
afterEach(async () => {
  await ts.close();
});

describe('sign-up and sessions', () => {
  it('signs up, sets an HttpOnly SameSite=Strict cookie, and answers /api/me with cookie or bearer', async () => {
    const r = await call(ts, 'POST', '/api/auth/signup', {
      body: { username: 'Alice_1', password: 'correct horse', displayName: '  Alice  ', device: deviceKeys('Laptop') }
    });
    expect(r.status).toBe(201);
    expect(r.body.user).toMatchObject({ username: 'alice_1', displayName: 'Alice' });
    expect(r.body.device.name).toBe('Laptop');
    // No secret field anywhere in the answer (ids are random text, so keys are matched, not the text)...
    const keys = (v: unknown): string[] => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]) : []);
    expect(keys(r.body).filter((k) => /token|pw|hash/i.test(k))).toEqual([]);
    const cookie = r.headers.get('set-cookie')!;
    // Persistent, so quitting the browser does not sign the device out (and wipe it on the next start).
    expect(cookie).toMatch(/^cinder_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=34560000$/);
    const token = tokenFrom(r);
    // ...nor any secret value: the session token and the password are not in the body.
    expect(r.text).not.toContain(token);
    expect(r.text).not.toContain('correct horse');

    const viaCookie = await call(ts, 'GET', '/api/me', { headers: { cookie: `other=1; cinder_session=${token}` } });
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.body).toEqual(r.body);
    const viaBearer = await call(ts, 'GET', '/api/me', { token });
    expect(viaBearer.body).toEqual(r.body);

    // Only the SHA-256 is stored.
    const row = ts.store.db.prepare('SELECT token_hash FROM devices').get() as { token_hash: string };
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.token_hash).not.toContain(token);
  });

  it('adds Secure to the cookie only for TLS as reported by a trusted proxy', async () => {
    const body = () => ({ username: `u${Math.random().toString(36).slice(2, 10)}`, password: 'password1', device: deviceKeys() });
    const plain = await call(ts, 'POST', '/api/auth/signup', { body: body(), headers: { 'x-forwarded-proto': 'https' } });
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/);
    await ts.close();
    ts = await startServer({ env: { TRUST_PROXY: 'true' } });
    const proxied = await call(ts, 'POST', '/api/auth/signup', { body: body(), headers: { 'x-forwarded-proto': 'https' } });
    expect(proxied.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('refuses missing, malformed and unknown tokens with 401 unauthorized', async () => {
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: 'Bearer nope' },
      { authorization: `Bearer ${'A'.repeat(43)}` },
      { cookie: 'cinder_session=' }
    ]) {
      const r = await call(ts, 'GET', '/api/me', { headers });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
  });

  it('rejects a duplicate username case-insensitively with 409 username_taken', async () => {
    await signup(ts, 'bob_smith');
    const r = await call(ts, 'POST', '/api/auth/signup', { body: { username: 'BOB_Smith', password: 'another password', device: deviceKeys() } });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('username_taken');
    expect(r.headers.get('set-cookie')).toBeNull();
  });

  it('logs in as a new device; wrong password and unknown user get byte-identical 401s', async () => {
    const a = await signup(ts, 'carol');
    const b = await login(ts, { username: 'CAROL', password: a.password });
    expect(b.userId).toBe(a.userId);
    expect(b.deviceId).not.toBe(a.deviceId);
    expect(b.token).not.toBe(a.token);

    const wrong = await call(ts, 'POST', '/api/auth/login', { body: { username: 'carol', password: 'wrong password', device: deviceKeys() } });
    const unknown = await call(ts, 'POST', '/api/auth/login', { body: { username: 'nobody_here', password: 'wrong password', device: deviceKeys() } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.code).toBe('bad_credentials');
    expect(unknown.text).toBe(wrong.text);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('lists devices, revokes another device (401 afterwards), and logout revokes the current one', async () => {
    const a = await signup(ts, 'dave');
    const b = await login(ts, a, 'Phone');
    const list = await call(ts, 'GET', '/api/devices', { token: a.token });
    expect(list.status).toBe(200);
    expect(list.body.devices).toHaveLength(2);
    expect(list.body.devices.find((d: { id: string }) => d.id === a.deviceId).current).toBe(true);
    expect(list.body.devices.find((d: { id: string }) => d.id === b.deviceId)).toMatchObject({ name: 'Phone', current: false });

    const del = await call(ts, 'DELETE', `/api/devices/${b.deviceId}`, { token: a.token });
    expect(del.status).toBe(204);
    expect((await call(ts, 'GET', '/api/me', { token: b.token })).status).toBe(401);
    expect((await call(ts, 'GET', '/api/devices', { token: a.token })).body.devices).toHaveLength(1);
    // Revoking again, or someone else's device, is 404.
    expect((await call(ts, 'DELETE', `/api/devices/${b.deviceId}`, { token: a.token })).status).toBe(404);
    const other = await signup(ts, 'eve');
    expect((await call(ts, 'DELETE', `/api/devices/${other.deviceId}`, { token: a.token })).status).toBe(404);
    expect((await call(ts, 'GET', '/api/me', { token: other.token })).status).toBe(200);

    const out = await call(ts, 'POST', '/api/auth/logout', { token: a.token });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^cinder_session=; .*Max-Age=0/);
    expect((await call(ts, 'GET', '/api/me', { token: a.token })).status).toBe(401);
  });

  it('updates the display name', async () => {
    const a = await signup(ts, 'frank');
    const r = await call(ts, 'PATCH', '/api/me', { token: a.token, body: { displayName: 'Frank F.' } });
    expect(r.status).toBe(200);
    expect(r.body.user.displayName).toBe('Frank F.');
    expect((await call(ts, 'GET', '/api/me', { token: a.token })).body.user.displayName).toBe('Frank F.');
  });

  it('refuses state-changing requests from a foreign Origin', async () => {
    const a = await signup(ts, 'grace');
    const evil = await call(ts, 'PATCH', '/api/me', { token: a.token, body: { displayName: 'pwned' }, headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.body.error.code).toBe('forbidden');
    const same = await call(ts, 'PATCH', '/api/me', { token: a.token, body: { displayName: 'ok' }, headers: { origin: ts.url } });
    expect(same.status).toBe(200);
  });

  it('never logs passwords, tokens or message text', async () => {
    const a = await signup(ts, 'heidi', 'super secret password 42');
    const b = await signup(ts, 'ivan');
    await call(ts, 'POST', '/api/auth/login', { body: { username: 'heidi', password: 'wrong secret guess', device: deviceKeys() } });
    await call(ts, 'POST', '/api/cloud/messages', {
      token: a.token,
      body: { id: crypto.randomUUID(), toUserId: b.userId, text: 'the eagle lands at midnight' }
    });
    const logs = ts.logs.join('\n');
    expect(logs).toContain('"msg":"signup"');
    for (const secret of ['super secret password 42', 'wrong secret guess', a.token, b.token, 'eagle lands']) {
      expect(logs).not.toContain(secret);
    }
  });
});

describe('directory', () => {
  it('searches by prefix, finds by name and id, and lists public device keys', async () => {
    const a = await signup(ts, 'judy_a');
    await signup(ts, 'judy_b');
    await signup(ts, 'judyxc'); // '_' must not act as a LIKE wildcard
    await signup(ts, 'karl');
    const s = await call(ts, 'GET', '/api/users?q=JUDY_', { token: a.token });
    expect(s.status).toBe(200);
    expect(s.body.users.map((u: { username: string }) => u.username)).toEqual(['judy_a', 'judy_b']);
    expect(Object.keys(s.body.users[0]).sort()).toEqual(['displayName', 'id', 'photo', 'username']);
    expect((await call(ts, 'GET', '/api/users?q=zz%25', { token: a.token })).body.users).toEqual([]);

    const byName = await call(ts, 'GET', '/api/users/by-name/KARL', { token: a.token });
    expect(byName.body.user.username).toBe('karl');
    expect((await call(ts, 'GET', '/api/users/by-name/nobody', { token: a.token })).status).toBe(404);
    const byId = await call(ts, 'GET', `/api/users/${byName.body.user.id}`, { token: a.token });
    expect(byId.body.user).toEqual(byName.body.user);
    expect((await call(ts, 'GET', '/api/users/doesnotexist', { token: a.token })).status).toBe(404);

    const second = await login(ts, a);
    await call(ts, 'DELETE', `/api/devices/${second.deviceId}`, { token: a.token });
    const third = await login(ts, a);
    const devs = await call(ts, 'GET', `/api/users/${a.userId}/devices`, { token: third.token });
    expect(devs.status).toBe(200);
    expect(devs.body.devices.map((d: { id: string }) => d.id).sort()).toEqual([a.deviceId, third.deviceId].sort());
    expect(Object.keys(devs.body.devices[0]).sort()).toEqual(['dhPub', 'id', 'protocol', 'signPub']);
    expect((await call(ts, 'GET', '/api/users?q=judy', {})).status).toBe(401);
  });
});

describe('rate limiting', () => {
  it('limits sign-up + login attempts per client address with 429 and Retry-After', async () => {
    await ts.close();
    ts = await startServer({ env: { AUTH_RATE_LIMIT: '3' } });
    const attempt = () => call(ts, 'POST', '/api/auth/login', { body: { username: 'nobody', password: 'whatever1', device: deviceKeys() } });
    const a = await signup(ts, 'limited');
    expect(a.userId).toBeTruthy();
    expect((await attempt()).status).toBe(401);
    expect((await attempt()).status).toBe(401);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Sign-up shares the budget.
    expect((await call(ts, 'POST', '/api/auth/signup', { body: { username: 'another', password: 'password1', device: deviceKeys() } })).status).toBe(429);
  });

  it('keys by X-Forwarded-For only when TRUST_PROXY is on', async () => {
    await ts.close();
    ts = await startServer({ env: { AUTH_RATE_LIMIT: '1', TRUST_PROXY: 'true' } });
    const attempt = (ip: string) =>
      call(ts, 'POST', '/api/auth/login', {
        body: { username: 'nobody', password: 'whatever1', device: deviceKeys() },
        headers: { 'x-forwarded-for': `6.6.6.6, ${ip}` }
      });
    expect((await attempt('10.0.0.1')).status).toBe(401);
    expect((await attempt('10.0.0.1')).status).toBe(429);
    expect((await attempt('10.0.0.2')).status).toBe(401);
  });

  it('limits message sends per device', async () => {
    await ts.close();
    ts = await startServer({ env: { SEND_RATE_BURST: '2', SEND_RATE_PER_SEC: '1' } });
    const a = await signup(ts);
    const b = await signup(ts);
    const send = () => call(ts, 'POST', '/api/cloud/messages', { token: a.token, body: { id: crypto.randomUUID(), toUserId: b.userId, text: 'hi' } });
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    const r = await send();
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('rate_limited');
    // Another device of the same user has its own budget.
    const a2 = await login(ts, a);
    expect((await call(ts, 'POST', '/api/cloud/messages', { token: a2.token, body: { id: crypto.randomUUID(), toUserId: b.userId, text: 'hi' } })).status).toBe(200);
  });
});
