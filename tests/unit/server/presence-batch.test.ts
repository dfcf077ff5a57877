/**
 * `POST /api/presence` on SQLite and PostgreSQL (docs/api.md "Last seen"): many users' "online" / "last
 * seen" in one request, each exactly as their profile shows it to the caller (the privacy matrix,
 * reciprocity, a user who blocked the caller), leaving out the caller, unknown ids and deleted accounts;
 * clear 400s, 401 and the send rate limit; a fixed number of store queries however many ids are asked.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LastSeen, PresenceRes, PublicUser } from '../../../src/lib/api/wire';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { call, connect, sendText, signup, type Account, type WsClient } from './helpers';
import { storeSpy } from './store-spy';

type Served = Parameters<typeof call>[0];
const batch = (ts: Served, who: Account | null, userIds: unknown) =>
  call<PresenceRes & { error?: { message: string } }>(ts, 'POST', '/api/presence', { token: who?.token, body: { userIds } });
const asked = async (ts: Served, who: Account, ids: string[]): Promise<Record<string, LastSeen>> => {
  const r = await batch(ts, who, ids);
  expect(r.status).toBe(200);
  return Object.fromEntries(r.body.users.map((u) => [u.userId, u.lastSeen]));
};
const profile = async (ts: Served, viewer: Account, id: string) =>
  (await call<{ user: PublicUser }>(ts, 'GET', `/api/users/${id}`, { token: viewer.token })).body.user.lastSeen;
const setPrivacy = (ts: Served, who: Account, lastSeen: string) => call(ts, 'PUT', '/api/me/privacy', { token: who.token, body: { lastSeen } });

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`presence batch: ${backend.name}`, () => {
    let ts: AnyServer;
    let alice: Account;
    let bob: Account;
    let carol: Account;
    const sockets: WsClient[] = [];
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

    it('answers each as its profile would for the caller: privacy, reciprocity, a block; leaves out me, unknown and deleted', async () => {
      const ws = await connect(ts, alice.token);
      sockets.push(ws);
      await ws.next((f) => f.t === 'hello');
      await expect.poll(() => profile(ts, bob, alice.userId)).toEqual({ online: true });

      // Default "my chats": Bob (a partner) sees her online, Carol only "recently".
      expect(await asked(ts, bob, [alice.userId, carol.userId, bob.userId, 'no-such-user', alice.userId])).toEqual({
        [alice.userId]: { online: true },
        [carol.userId]: { approx: 'long' }
      });
      expect(await asked(ts, carol, [alice.userId])).toEqual({ [alice.userId]: { approx: 'recently' } });

      await setPrivacy(ts, alice, 'everybody');
      expect(await asked(ts, carol, [alice.userId])).toEqual({ [alice.userId]: { online: true } });
      await setPrivacy(ts, alice, 'nobody');
      expect(await asked(ts, bob, [alice.userId])).toEqual({ [alice.userId]: { approx: 'recently' } });
      await setPrivacy(ts, alice, 'chats');
      // Reciprocity: Bob hiding his hides hers from him.
      await setPrivacy(ts, bob, 'nobody');
      expect(await asked(ts, bob, [alice.userId])).toEqual({ [alice.userId]: { approx: 'recently' } });
      await setPrivacy(ts, bob, 'chats');
      for (const id of [alice.userId, carol.userId]) expect((await asked(ts, bob, [id]))[id]).toEqual(await profile(ts, bob, id));

      // Alice blocks Bob: "a long time ago" to him, as her profile says.
      expect((await call(ts, 'PUT', `/api/blocks/${bob.userId}`, { token: alice.token })).status).toBeLessThan(300);
      expect(await asked(ts, bob, [alice.userId])).toEqual({ [alice.userId]: { approx: 'long' } });

      const del = await call(ts, 'POST', '/api/account/delete', { token: carol.token, body: { password: carol.password, confirm: carol.username } });
      expect(del.status).toBe(204);
      expect(await asked(ts, bob, [carol.userId])).toEqual({});
    });

    it('costs the same few store queries for 100 ids as for one', async () => {
      const spy = storeSpy();
      const spied = await startOn(backend.name, {}, spy.wrap);
      try {
        const [me, partner] = [await signup(spied), await signup(spied)];
        await sendText(spied, me, partner, 'hi');
        const others = [partner];
        for (let i = 0; i < 12; i++) others.push(await signup(spied));
        await call(spied, 'PUT', `/api/blocks/${me.userId}`, { token: others[1].token });
        await call(spied, 'PUT', '/api/me/privacy', { token: others[2].token, body: { lastSeen: 'everybody' } });
        const cost = async (ids: string[]) => {
          spy.calls.length = 0;
          spy.on = true;
          const seen = await asked(spied, me, ids);
          spy.on = false;
          return { seen, calls: [...spy.calls] };
        };
        await cost([partner.userId]); // the session is cached from here on
        const one = await cost([partner.userId]);
        const many = await cost([...others.map((o) => o.userId), ...Array.from({ length: 100 - others.length }, (_, i) => `nobody${i}`)]);
        expect(one.seen).toEqual({ [partner.userId]: { approx: 'long' } });
        expect(Object.keys(many.seen)).toHaveLength(others.length);
        expect(many.seen[others[1].userId]).toEqual({ approx: 'long' }); // blocked me
        expect(many.calls.length).toBe(one.calls.length);
        expect(many.calls.length).toBeLessThanOrEqual(5);
      } finally {
        await spied.close();
      }
    });

    it('refuses a bad body clearly, without a session, and beyond the send rate', async () => {
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `u${i}`);
      expect((await batch(ts, bob, ids(100))).status).toBe(200);
      for (const bad of [[], ids(101), ['has space'], 'abc', [7]]) {
        const r = await batch(ts, bob, bad);
        expect(r.status, JSON.stringify(bad)).toBe(400);
        expect(r.body.error?.message).toMatch(/userIds/);
      }
      expect((await batch(ts, null, [alice.userId])).status).toBe(401);

      const limited = await startOn(backend.name, { SEND_RATE_BURST: '2', SEND_RATE_PER_SEC: '1' });
      try {
        const dave = await signup(limited);
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await batch(limited, dave, [dave.userId])).status);
        expect(statuses).toEqual([200, 200, 429]);
      } finally {
        await limited.close();
      }
    });
  });
}
