/**
 * Account security over HTTP, on SQLite and PostgreSQL: changing the password (current one required,
 * counted by the sign-in backoff) and "sign out all other devices" revoke every other device at once:
 * sessions 401, sockets get `revoked`; the calling device stays signed in. Devices report last activity.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { call, connect, login, signup, type Account } from './helpers';

const T0 = 1_800_000_000_000;
const NEW = 'a brand new passphrase';

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`account security (${backend.name})`, () => {
    let ts: AnyServer;
    afterEach(async () => {
      await ts?.close();
    });

    const change = (a: Account, currentPassword: string, newPassword: string, headers: Record<string, string> = {}) =>
      call(ts, 'POST', '/api/auth/password', { token: a.token, body: { currentPassword, newPassword }, headers });
    const status = async (a: Account) => (await call(ts, 'GET', '/api/me', { token: a.token })).status;

    it('changes the password, revoking every other device at once; the caller stays signed in', async () => {
      ts = await startOn(backend.name);
      const alice = await signup(ts);
      const [phone, tablet] = [await login(ts, alice, 'Phone'), await login(ts, alice, 'Tablet')];
      const bob = await signup(ts);
      const sockets = await Promise.all([connect(ts, alice.token), connect(ts, phone.token), connect(ts, tablet.token), connect(ts, bob.token)]);
      await Promise.all(sockets.map((s) => s.next((f) => f.t === 'hello')));
      expect(await status(phone)).toBe(200); // cached now

      // Validated like sign-up; nothing changes.
      const short = await change(alice, alice.password, 'short');
      expect(short.status).toBe(400);
      expect(short.text).toContain('at least 8 characters');
      expect((await call(ts, 'POST', '/api/auth/password', { token: alice.token, body: { newPassword: NEW } })).status).toBe(400);
      const wrong = await change(alice, 'not my password', NEW);
      expect([wrong.status, wrong.body.error.code, wrong.body.error.message]).toEqual([401, 'bad_credentials', 'the current password is wrong']);
      expect(await status(alice)).toBe(200); // a wrong password is not a lost session
      expect(await status(phone)).toBe(200);
      expect((await call(ts, 'POST', '/api/auth/password', { body: { currentPassword: alice.password, newPassword: NEW } })).status).toBe(401);
      expect((await change(alice, alice.password, NEW, { origin: 'https://evil.example' })).status).toBe(403);

      const ok = await change(alice, alice.password, NEW);
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ signedOut: 2 });
      expect(ok.headers.getSetCookie().some((c) => c.startsWith('cinder_known_device='))).toBe(true);
      for (const s of [sockets[1], sockets[2]]) {
        expect(await s.next((f) => f.t === 'revoked')).toEqual({ t: 'revoked' });
        expect((await s.closed).code).toBe(4001);
      }
      expect(await status(phone)).toBe(401);
      expect(await status(tablet)).toBe(401);
      expect(await status(alice)).toBe(200);
      expect(await status(bob)).toBe(200);
      expect(sockets[0].frames.some((f) => f.t === 'revoked')).toBe(false);
      expect(sockets[3].frames.some((f) => f.t === 'revoked')).toBe(false);
      const devices = await call(ts, 'GET', '/api/devices', { token: alice.token });
      expect(devices.body.devices.map((d: { id: string }) => d.id)).toEqual([alice.deviceId]);

      // Only the new password signs in now.
      await expect(login(ts, alice)).rejects.toThrow(/401/);
      const back = await login(ts, { username: alice.username, password: NEW });
      expect(back.userId).toBe(alice.userId);
      // The old password no longer counts as the current one.
      expect((await change(alice, alice.password, 'yet another passphrase')).status).toBe(401);
      for (const s of sockets) s.close();
    });

    it('counts wrong current passwords toward the account sign-in backoff', async () => {
      ts = await startOn(backend.name, { LOGIN_BACKOFF_AFTER: '2', LOGIN_BACKOFF_MAX: '900' });
      ts.clock.now = T0;
      const alice = await signup(ts);
      expect((await change(alice, 'guess 1', NEW)).status).toBe(401);
      expect((await change(alice, 'guess 2', NEW)).status).toBe(401);
      const r = await change(alice, alice.password, NEW); // even the right one waits
      expect([r.status, r.headers.get('retry-after')]).toEqual([429, '1']);
      // The same count as sign-in's: a login for the account waits too.
      expect(
        (
          await call(ts, 'POST', '/api/auth/login', {
            body: { username: alice.username, password: alice.password, device: { name: 'x', signPub: 'A'.repeat(43), dhPub: 'A'.repeat(43) } }
          })
        ).status
      ).toBe(429);
      ts.clock.now = T0 + 60_000;
      expect((await change(alice, alice.password, NEW)).status).toBe(200);
      expect(await status(alice)).toBe(200);
    });

    it("renames the caller's own devices, validated like other human strings", async () => {
      ts = await startOn(backend.name);
      const alice = await signup(ts);
      const phone = await login(ts, alice, 'Chrome on Linux');
      const bob = await signup(ts);
      const rename = (who: Account, id: string, name: unknown, headers: Record<string, string> = {}) =>
        call(ts, 'PATCH', `/api/devices/${id}`, { token: who.token, body: { name }, headers });

      const ok = await rename(alice, phone.deviceId, '  Pixel at work  ');
      expect(ok.status).toBe(200);
      expect(ok.body.device).toMatchObject({ id: phone.deviceId, name: 'Pixel at work', current: false });
      expect((await rename(alice, alice.deviceId, 'This laptop')).body.device).toMatchObject({ name: 'This laptop', current: true });
      const names = async () => (await call(ts, 'GET', '/api/devices', { token: alice.token })).body.devices.map((d: { name: string }) => d.name);
      expect(await names()).toEqual(['This laptop', 'Pixel at work']);
      expect((await call(ts, 'GET', '/api/me', { token: phone.token })).body.device.name).toBe('Pixel at work');

      // Refused, nothing changed: empty, too long, control or bidi characters, not a string, someone else's device, cross-site.
      for (const bad of ['   ', 'x'.repeat(65), 'evil\u202Egnp.exe', 'a\u0000b', 42]) {
        const r = await rename(alice, phone.deviceId, bad);
        expect([r.status, r.body.error.code]).toEqual([400, 'bad_request']);
      }
      expect((await rename(alice, phone.deviceId, '')).text).toContain('device name must not be empty');
      expect((await rename(bob, phone.deviceId, 'Mine now')).status).toBe(404);
      expect((await rename(alice, 'no-such-device', 'Ghost')).status).toBe(404);
      expect((await rename(alice, phone.deviceId, 'Cross-site', { origin: 'https://evil.example' })).status).toBe(403);
      expect((await call(ts, 'PATCH', `/api/devices/${phone.deviceId}`, { body: { name: 'Anonymous' } })).status).toBe(401);
      expect(await names()).toEqual(['This laptop', 'Pixel at work']);

      // A signed-out device cannot be renamed.
      expect((await call(ts, 'DELETE', `/api/devices/${phone.deviceId}`, { token: alice.token })).status).toBe(204);
      expect((await rename(alice, phone.deviceId, 'Gone')).status).toBe(404);
    });

    it('signs out all other devices, and shows when each device was last active', async () => {
      ts = await startOn(backend.name);
      ts.clock.now = T0;
      const alice = await signup(ts);
      const phone = await login(ts, alice, 'Phone');
      const laptop = await login(ts, alice, 'Laptop');
      const ws = await connect(ts, phone.token);
      await ws.next((f) => f.t === 'hello');

      // Activity is recorded at most once a minute per device, on requests and socket connects.
      ts.clock.now = T0 + 30_000;
      await status(laptop);
      ts.clock.now = T0 + 90_000;
      await status(laptop);
      ts.clock.now = T0 + 120_000;
      await status(laptop); // within the minute: not written
      const seen = async () =>
        Object.fromEntries(
          (await call(ts, 'GET', '/api/devices', { token: alice.token })).body.devices.map((d: { name: string; lastSeenAt: number }) => [d.name, d.lastSeenAt])
        );
      expect((await seen()).Laptop).toBe(T0 + 90_000);
      ts.clock.now = T0 + 200_000;
      const ws2 = await connect(ts, phone.token);
      await ws2.next((f) => f.t === 'hello');
      expect((await seen()).Phone).toBe(T0 + 200_000);

      expect((await call(ts, 'POST', '/api/devices/revoke-others', { token: alice.token, headers: { origin: 'https://evil.example' } })).status).toBe(403);
      const r = await call(ts, 'POST', '/api/devices/revoke-others', { token: alice.token });
      expect([r.status, r.body]).toEqual([200, { signedOut: 2 }]);
      expect(await ws.next((f) => f.t === 'revoked')).toEqual({ t: 'revoked' });
      expect(await ws2.next((f) => f.t === 'revoked')).toEqual({ t: 'revoked' });
      expect(await status(phone)).toBe(401);
      expect(await status(laptop)).toBe(401);
      expect(await status(alice)).toBe(200);
      expect((await call(ts, 'POST', '/api/devices/revoke-others', { token: alice.token })).body).toEqual({ signedOut: 0 });
      // The password is unchanged.
      expect((await login(ts, alice)).userId).toBe(alice.userId);
    });
  });
}
