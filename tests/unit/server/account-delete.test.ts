/**
 * Account deletion over HTTP, on SQLite and PostgreSQL: guarded by the password (403), the typed
 * username (400), the address limiter and the sign-in backoff (429); once done, every device is signed
 * out at once (sockets get `revoked`), peers get the 'delete' updates of the messages the account sent
 * and an 'account_deleted' notice per secret-chat device pair, the username is quarantined, and the
 * "delete if away" sweep deletes an idle account at the injected clock's time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../../src/lib/api/wire';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { b64u, call, connect, deviceKeys, login, sendText, signup, uuid, type Account } from './helpers';

const DAY = 86_400_000;

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`account deletion (${backend.name})`, () => {
    let ts: AnyServer;
    afterEach(async () => {
      await ts?.close();
    });

    const del = (a: Account, body: unknown, headers: Record<string, string> = {}) => call(ts, 'POST', '/api/account/delete', { token: a.token, body, headers });
    const status = async (a: Account) => (await call(ts, 'GET', '/api/me', { token: a.token })).status;

    it('refuses without the right password (403), the typed username (400), a session (401) or from another origin (403)', async () => {
      ts = await startOn(backend.name);
      const alice = await signup(ts);
      expect((await del(alice, { password: alice.password })).status).toBe(400);
      const mismatch = await del(alice, { password: alice.password, confirm: 'someone_else' });
      expect([mismatch.status, mismatch.body.error.code]).toEqual([400, 'bad_request']);
      expect(mismatch.body.error.message).toContain('type your username');
      const wrong = await del(alice, { password: 'not my password', confirm: alice.username });
      expect([wrong.status, wrong.body.error.code]).toEqual([403, 'bad_credentials']);
      expect((await call(ts, 'POST', '/api/account/delete', { body: { password: alice.password, confirm: alice.username } })).status).toBe(401);
      expect((await del(alice, { password: alice.password, confirm: alice.username }, { origin: 'https://evil.example' })).status).toBe(403);
      // Nothing happened.
      expect(await status(alice)).toBe(200);
      // The typed username is compared without case, as sign-in does.
      expect((await del(alice, { password: alice.password, confirm: alice.username.toUpperCase() })).status).toBe(204);
      expect(await status(alice)).toBe(401);
    });

    it('is rate limited per address and counted by the sign-in backoff', async () => {
      ts = await startOn(backend.name, { AUTH_RATE_LIMIT: '4', LOGIN_BACKOFF_AFTER: '2' });
      const alice = await signup(ts);
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await del(alice, { password: 'wrong ' + i, confirm: alice.username })).status);
      // Two wrong guesses, then the account's backoff; then the address limiter (4 a minute, sign-up included).
      expect(codes.slice(0, 2)).toEqual([403, 403]);
      expect(codes.slice(2)).toContain(429);
      expect(await status(alice)).toBe(200);
    });

    it('deletes the account: devices signed out at once, peers told, messages deleted, the username quarantined', async () => {
      ts = await startOn(backend.name);
      const alice = await signup(ts);
      const phone = await login(ts, alice, 'Phone');
      const bob = await signup(ts);
      const bobSocket = await connect(ts, bob.token);
      const aliceSockets = await Promise.all([connect(ts, alice.token), connect(ts, phone.token)]);
      await Promise.all([bobSocket, ...aliceSockets].map((s) => s.next((f) => f.t === 'hello')));

      const fromAlice = [await sendText(ts, alice, bob, 'hi bob'), await sendText(ts, phone, bob, 'from my phone')];
      const fromBob = await sendText(ts, bob, alice, 'hi alice');
      // A secret-chat exchange between Alice's phone and Bob (the relay records the pair).
      for (const [from, to] of [
        [phone, bob],
        [bob, phone]
      ] as const) {
        expect((await call(ts, 'POST', '/api/envelopes', { token: from.token, body: { id: uuid(), toDeviceId: to.deviceId, body: b64u(48) } })).status).toBe(200);
      }
      expect((await call(ts, 'GET', '/api/envelopes', { token: bob.token })).body.envelopes).toHaveLength(1);

      const ok = await del(alice, { password: alice.password, confirm: alice.username });
      expect(ok.status).toBe(204);
      expect(ok.headers.getSetCookie().some((c) => /^cinder_session=;/.test(c))).toBe(true);

      // Every device of Alice: revoked at once, sessions dead.
      for (const s of aliceSockets) {
        expect(await s.next((f) => f.t === 'revoked')).toEqual({ t: 'revoked' });
        expect((await s.closed).code).toBe(4001);
      }
      expect(await status(alice)).toBe(401);
      expect(await status(phone)).toBe(401);
      expect(bobSocket.frames.some((f) => f.t === 'revoked')).toBe(false);

      // Bob: the messages Alice sent are deleted through his update log (live and by sync); his own stays.
      const deleted = await bobSocket.next<Extract<ServerFrame, { t: 'update' }>>((f) => f.t === 'update' && f.update.kind === 'delete');
      expect(deleted.update.kind === 'delete' && new Set(deleted.update.ids)).toEqual(new Set(fromAlice.map((m) => m.id)));
      const page = await call(ts, 'GET', `/api/cloud/chats/${alice.userId}/messages`, { token: bob.token });
      expect(page.body.messages.map((m: { id: string }) => m.id)).toEqual([fromBob.id]);

      // Bob's device gets the notice, live and on pull: from Alice's phone, relay-made, empty body; the
      // envelope Alice's phone had queued for him is gone.
      const live = await bobSocket.next<Extract<ServerFrame, { t: 'envelope' }>>((f) => f.t === 'envelope' && f.envelope.notice === 'account_deleted');
      expect(live.envelope).toMatchObject({ fromDeviceId: phone.deviceId, fromUserId: alice.userId, body: '', requestId: null });
      const pulled = (await call(ts, 'GET', '/api/envelopes', { token: bob.token })).body.envelopes as { notice?: string; fromDeviceId: string; body: string }[];
      expect(pulled).toEqual([expect.objectContaining({ notice: 'account_deleted', fromDeviceId: phone.deviceId, body: '' })]);

      // Bob sees "Deleted account" and cannot write to it.
      const user = await call(ts, 'GET', `/api/users/${alice.userId}`, { token: bob.token });
      expect(user.body.user).toEqual({ id: alice.userId, username: '', displayName: 'Deleted account', deleted: true, photo: null });
      const chats = await call(ts, 'GET', '/api/cloud/chats', { token: bob.token });
      expect(chats.body.chats[0].peer).toMatchObject({ id: alice.userId, deleted: true });
      const write = await call(ts, 'POST', '/api/cloud/messages', { token: bob.token, body: { id: uuid(), toUserId: alice.userId, text: 'still there?' } });
      expect([write.status, write.body.error.code]).toEqual([410, 'gone']);
      expect((await call(ts, 'POST', '/api/envelopes', { token: bob.token, body: { id: uuid(), toDeviceId: phone.deviceId, body: b64u(48) } })).status).toBe(404);
      expect((await call(ts, 'GET', `/api/users/by-name/${alice.username}`, { token: bob.token })).status).toBe(404);

      // The old password signs in to nothing; the username is quarantined for 30 days.
      const again = await call(ts, 'POST', '/api/auth/login', { body: { username: alice.username, password: alice.password, device: deviceKeys() } });
      expect(again.status).toBe(401);
      const taken = await call(ts, 'POST', '/api/auth/signup', { body: { username: alice.username, password: 'another good passphrase', device: deviceKeys() } });
      expect([taken.status, taken.body.error.code]).toEqual([409, 'username_quarantined']);
      expect(taken.body.error.message).toMatch(/deleted account; it can be taken again from \d{4}-\d{2}-\d{2}/);
      // After the quarantine (the clock moved on), the name is free again.
      ts.clock.now = Date.now() + 31 * DAY;
      expect((await call(ts, 'POST', '/api/auth/signup', { body: { username: alice.username, password: 'another good passphrase', device: deviceKeys() } })).status).toBe(
        201
      );
      bobSocket.close();
    });

    it('USERNAME_QUARANTINE_DAYS=0 frees the username at once', async () => {
      ts = await startOn(backend.name, { USERNAME_QUARANTINE_DAYS: '0' });
      const alice = await signup(ts);
      expect((await del(alice, { password: alice.password, confirm: alice.username })).status).toBe(204);
      const fresh = await signup(ts, alice.username, 'a different passphrase');
      expect(fresh.userId).not.toBe(alice.userId);
    });

    it('"delete my account if away": off by default, one of 1/3/6/12 months, enforced by the sweep', async () => {
      ts = await startOn(backend.name);
      const alice = await signup(ts);
      const bob = await signup(ts);
      expect((await call(ts, 'GET', '/api/account/auto-delete', { token: alice.token })).body).toEqual({ months: 0 });
      for (const months of [2, -1, 1.5, '3', 24]) {
        expect((await call(ts, 'PUT', '/api/account/auto-delete', { token: alice.token, body: { months } })).status).toBe(400);
      }
      expect((await call(ts, 'PUT', '/api/account/auto-delete', { token: alice.token, body: { months: 1 } })).body).toEqual({ months: 1 });
      expect((await call(ts, 'GET', '/api/account/auto-delete', { token: alice.token })).body).toEqual({ months: 1 });
      await sendText(ts, alice, bob, 'bye');

      // Not yet away: nothing happens.
      expect(await ts.relay.runAccountSweep()).toBe(0);
      // 31 days later neither was seen; only Alice opted in.
      ts.clock.now = Date.now() + 31 * DAY;
      expect(await ts.relay.runAccountSweep()).toBe(1);
      expect(await status(alice)).toBe(401);
      const user = await call(ts, 'GET', `/api/users/${alice.userId}`, { token: bob.token });
      expect(user.body.user.deleted).toBe(true);
      expect(await ts.relay.runAccountSweep()).toBe(0);
    });
  });
}
