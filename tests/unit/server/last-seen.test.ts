/**
 * "Online" / "last seen" over HTTP and WebSockets, on SQLite and PostgreSQL (docs/api.md "Last seen"):
 * the privacy matrix (everybody / my chats / nobody), reciprocity (hiding mine hides others' from me), a
 * user who blocked me, a deleted account, times rounded to the minute, the approximate forms by age, the
 * setting's endpoint and its 400s, the live `presence` frames on user-level transitions only, on a
 * block and an unblock, and on an account's deletion, and the periodic refresh of the online users' stored time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LastSeen, PublicUser, ServerFrame } from '../../../src/lib/api/wire';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { call, connect, login, sendText, signup, type Account, type WsClient } from './helpers';

type Served = Parameters<typeof call>[0];
const seenBy = async (ts: Served, viewer: Account, id: string): Promise<LastSeen | undefined> =>
  (await call<{ user: PublicUser }>(ts, 'GET', `/api/users/${id}`, { token: viewer.token })).body.user.lastSeen;
const setPrivacy = (ts: Served, who: Account, lastSeen: unknown) => call(ts, 'PUT', '/api/me/privacy', { token: who.token, body: { lastSeen } });
const presenceOf =
  (userId: string, pred: (l: LastSeen) => boolean = () => true) =>
  (f: ServerFrame) =>
    f.t === 'presence' && f.userId === userId && f.lastSeen !== undefined && pred(f.lastSeen);
const MIN = 60_000;
const DAY = 86_400_000;
/** A moment ahead of the real clock (rate limiters refill from the clock: it must not go back), `h:m:s.ms` into its day. */
const ahead = (h: number, m: number, s = 0, ms = 0) => (Math.floor(Date.now() / DAY) + 60) * DAY + ((h * 60 + m) * 60 + s) * 1000 + ms;

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`last seen: ${backend.name}`, () => {
    let ts: AnyServer;
    let alice: Account;
    let bob: Account;
    let carol: Account;
    const sockets: WsClient[] = [];
    const open = async (who: Account) => {
      const ws = await connect(ts, who.token);
      sockets.push(ws);
      await ws.next((f) => f.t === 'hello');
      return ws;
    };
    beforeEach(async () => {
      ts = await startOn(backend.name);
      [alice, bob, carol] = [await signup(ts), await signup(ts), await signup(ts)];
      // Alice and Bob share a cloud chat; Carol shares none with either.
      await sendText(ts, alice, bob, 'hi');
    });
    afterEach(async () => {
      for (const ws of sockets.splice(0)) ws.close();
      await ts.close();
    });

    it('shows "online" while any device holds a socket, then the minute the last one closed; tells chat partners live, strangers nothing', async () => {
      const T = ahead(10, 30, 42, 123);
      ts.clock.now = T;
      const wsBob = await open(bob);
      const wsCarol = await open(carol);
      expect(await seenBy(ts, bob, alice.userId)).toEqual({ approx: 'long' }); // never online yet

      const phone = await open(alice);
      await wsBob.next(presenceOf(alice.userId, (l) => 'online' in l));
      expect(await seenBy(ts, bob, alice.userId)).toEqual({ online: true });
      // Default "my chats": a stranger gets only the approximate form.
      expect(await seenBy(ts, carol, alice.userId)).toEqual({ approx: 'recently' });

      // A second device coming and going is no transition: no frame.
      const laptop = await login(ts, alice, 'Laptop');
      const wsLaptop = await open(laptop);
      ts.clock.now = T + 5 * MIN;
      wsLaptop.close();
      await wsLaptop.closed;
      expect(await seenBy(ts, bob, alice.userId)).toEqual({ online: true });

      ts.clock.now = T + 10 * MIN + 17_000;
      phone.close();
      const off = await wsBob.next(presenceOf(alice.userId, (l) => 'at' in l));
      // Rounded down to the minute: no sub-minute socket timing leaks.
      expect(off).toEqual({ t: 'presence', userId: alice.userId, lastSeen: { at: ahead(10, 40) } });
      expect(await seenBy(ts, bob, alice.userId)).toEqual({ at: ahead(10, 40) });
      expect((await ts.store.getUser(alice.userId))?.lastSeenAt).toBe(T + 10 * MIN + 17_000);
      // Exactly one online and one offline frame reached Bob; none reached Carol.
      expect(wsBob.frames.filter(presenceOf(alice.userId))).toHaveLength(2);
      expect(wsCarol.frames.filter((f) => f.t === 'presence')).toEqual([]);
      // Myself: nothing (Saved Messages shows none).
      expect(await seenBy(ts, alice, alice.userId)).toBeUndefined();
    });

    it('the setting: everybody, my chats, nobody; reciprocity; clear 400s; my devices and my partners told live', async () => {
      expect((await call(ts, 'GET', '/api/me/privacy', { token: alice.token })).body).toEqual({ lastSeen: 'chats' });
      for (const bad of ['friends', 1, null]) {
        const r = await setPrivacy(ts, alice, bad);
        expect(r.status).toBe(400);
        expect(r.body.error.message).toMatch(/^lastSeen: /);
      }
      expect((await call(ts, 'PUT', '/api/me/privacy', { token: alice.token, body: {} })).status).toBe(400);
      expect((await call(ts, 'GET', '/api/me/privacy', { token: alice.token })).body).toEqual({ lastSeen: 'chats' });

      const T = ahead(9, 0, 30);
      ts.clock.now = T;
      await ts.store.setLastSeenAt(alice.userId, T - 20 * MIN);
      const wsBob = await open(bob);
      const wsAliceOther = await open(await login(ts, alice, 'Laptop'));
      // Alice's laptop is online now: set her offline time again for the matrix below.
      wsAliceOther.close();
      await wsBob.next(presenceOf(alice.userId, (l) => 'at' in l));
      const at = (await ts.store.getUser(alice.userId))!.lastSeenAt!;

      expect((await setPrivacy(ts, alice, 'everybody')).body).toEqual({ lastSeen: 'everybody' });
      expect(await seenBy(ts, carol, alice.userId)).toEqual({ at: Math.floor(at / MIN) * MIN });
      expect(await seenBy(ts, bob, alice.userId)).toEqual({ at: Math.floor(at / MIN) * MIN });

      const wsAlice = await open(alice);
      await wsBob.next(presenceOf(alice.userId, (l) => 'online' in l));
      expect((await setPrivacy(ts, alice, 'nobody')).status).toBe(200);
      // Bob (online, a partner) is told the approximate form at once; Alice's devices the setting.
      await wsBob.next(presenceOf(alice.userId, (l) => 'approx' in l && l.approx === 'recently'));
      await wsAlice.next((f) => f.t === 'privacy' && f.lastSeen === 'nobody');
      expect(await seenBy(ts, bob, alice.userId)).toEqual({ approx: 'recently' });
      expect(await seenBy(ts, carol, alice.userId)).toEqual({ approx: 'recently' });
      expect((await call(ts, 'GET', '/api/me/privacy', { token: alice.token })).body).toEqual({ lastSeen: 'nobody' });

      // Reciprocity: Alice hides hers, so she sees only the approximate form of Bob, who shows his to everybody.
      await setPrivacy(ts, bob, 'everybody');
      expect(await seenBy(ts, alice, bob.userId)).toEqual({ approx: 'recently' });
      expect(await seenBy(ts, carol, bob.userId)).toEqual({ online: true });
      await setPrivacy(ts, alice, 'chats');
      expect(await seenBy(ts, alice, bob.userId)).toEqual({ online: true });
    });

    it('a chat holding only a scheduled message is no chat yet: its peer sees the approximate form and gets no frame', async () => {
      const T = ahead(11, 0);
      ts.clock.now = T;
      const r = await call(ts, 'POST', '/api/cloud/scheduled', {
        token: alice.token,
        body: { id: crypto.randomUUID(), peerId: carol.userId, text: 'later', replyTo: null, at: T + DAY }
      });
      expect(r.status).toBe(200);
      const wsCarol = await open(carol);
      const wsBob = await open(bob);
      await open(alice);
      await wsBob.next(presenceOf(alice.userId, (l) => 'online' in l));
      expect(await seenBy(ts, carol, alice.userId)).toEqual({ approx: 'recently' });
      expect(wsCarol.frames.filter((f) => f.t === 'presence')).toEqual([]);
    });

    it("a chat's first message shows each one online the other's exact last seen at once (they now share a chat)", async () => {
      ts.clock.now = ahead(12, 0);
      const wsCarol = await open(carol);
      const wsAlice = await open(alice);
      expect(await seenBy(ts, carol, alice.userId)).toEqual({ approx: 'recently' });
      await sendText(ts, alice, carol, 'hello Carol');
      await wsCarol.next(presenceOf(alice.userId, (l) => 'online' in l));
      await wsAlice.next(presenceOf(carol.userId, (l) => 'online' in l));
      // The second message starts nothing.
      await sendText(ts, carol, alice, 'hi');
      await wsAlice.next((f) => f.t === 'update' && f.update.kind === 'message' && f.update.message.text === 'hi');
      expect(wsAlice.frames.filter(presenceOf(carol.userId))).toHaveLength(1);
      expect(wsCarol.frames.filter(presenceOf(alice.userId))).toHaveLength(1);
    });

    it('the approximate forms by age; a user who blocked me shows "a long time ago"; a deleted account none', async () => {
      const T = ahead(12, 0);
      ts.clock.now = T;
      for (const [ago, approx] of [
        [2 * DAY, 'recently'],
        [5 * DAY, 'week'],
        [20 * DAY, 'month'],
        [40 * DAY, 'long']
      ] as const) {
        await ts.store.setLastSeenAt(alice.userId, T - ago);
        expect(await seenBy(ts, carol, alice.userId)).toEqual({ approx });
        expect(await seenBy(ts, bob, alice.userId)).toEqual({ at: T - ago });
      }

      expect((await call(ts, 'PUT', `/api/blocks/${bob.userId}`, { token: alice.token })).status).toBeLessThan(300);
      expect(await seenBy(ts, bob, alice.userId)).toEqual({ approx: 'long' });
      await setPrivacy(ts, alice, 'everybody');
      expect(await seenBy(ts, bob, alice.userId)).toEqual({ approx: 'long' });
      // The blocker still sees the blocked one's (as allowed).
      expect(await seenBy(ts, alice, bob.userId)).toEqual({ approx: 'long' }); // never online

      const del = await call(ts, 'POST', '/api/account/delete', { token: carol.token, body: { password: carol.password, confirm: carol.username } });
      expect(del.status).toBe(204);
      const gone = (await call<{ user: PublicUser }>(ts, 'GET', `/api/users/${carol.userId}`, { token: bob.token })).body.user;
      expect(gone.deleted).toBe(true);
      expect(gone.lastSeen).toBeUndefined();
    });

    it('a block shows the blocked one "a long time ago" live, an unblock what he may see again', async () => {
      ts.clock.now = ahead(13, 0);
      const wsBob = await open(bob);
      await open(alice);
      await wsBob.next(presenceOf(alice.userId, (l) => 'online' in l));

      expect((await call(ts, 'PUT', `/api/blocks/${bob.userId}`, { token: alice.token })).status).toBeLessThan(300);
      await wsBob.next(presenceOf(alice.userId, (l) => 'approx' in l && l.approx === 'long'));
      expect((await call(ts, 'DELETE', `/api/blocks/${bob.userId}`, { token: alice.token })).status).toBeLessThan(300);
      await wsBob.next(presenceOf(alice.userId, (l) => 'online' in l));
      expect(await seenBy(ts, bob, alice.userId)).toEqual({ online: true });

      // Carol, who shares no chat with Bob, blocks him: she shows him "a long time ago" too, as the API does.
      expect((await call(ts, 'PUT', `/api/blocks/${bob.userId}`, { token: carol.token })).status).toBeLessThan(300);
      await wsBob.next(presenceOf(carol.userId, (l) => 'approx' in l && l.approx === 'long'));
    });

    it('a deleted account tells its partners online at once that it shows no last seen any more', async () => {
      ts.clock.now = ahead(14, 0);
      const wsBob = await open(bob);
      await open(alice);
      await wsBob.next(presenceOf(alice.userId, (l) => 'online' in l));

      // Alice deletes her account: Bob's header must stop showing her online.
      const del = await call(ts, 'POST', '/api/account/delete', { token: alice.token, body: { password: alice.password, confirm: alice.username } });
      expect(del.status).toBe(204);
      const gone = await wsBob.next((f) => f.t === 'presence' && f.userId === alice.userId);
      expect(gone).toEqual({ t: 'presence', userId: alice.userId });
      expect(await seenBy(ts, bob, alice.userId)).toBeUndefined();
    });

    it('while users are online the node stores now as their last seen on each refresh (what a crash leaves), only for those it holds', async () => {
      const T = ahead(15, 0, 7);
      ts.clock.now = T;
      const stored = async (who: Account) => (await ts.store.getUser(who.userId))?.lastSeenAt ?? null;
      await open(alice);
      const wsBob = await open(bob);
      await expect.poll(() => stored(bob)).toBe(T);
      await expect.poll(() => stored(alice)).toBe(T);

      ts.clock.now = T + 5 * MIN;
      expect(await ts.relay.runLastSeenRefresh()).toBe(2);
      expect([await stored(alice), await stored(bob), await stored(carol)]).toEqual([T + 5 * MIN, T + 5 * MIN, null]);

      ts.clock.now = T + 6 * MIN;
      wsBob.close();
      await expect.poll(() => stored(bob)).toBe(T + 6 * MIN);
      ts.clock.now = T + 10 * MIN;
      expect(await ts.relay.runLastSeenRefresh()).toBe(1);
      expect([await stored(alice), await stored(bob)]).toEqual([T + 10 * MIN, T + 6 * MIN]);
    });
  });
}
