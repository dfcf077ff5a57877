/**
 * Profile photos over HTTP, on SQLite and PostgreSQL (docs/api.md "Profile photos"): set, replace (a new
 * version, a new URL; the old one gone), remove; refusals by type, size and magic bytes storing nothing;
 * the profile views carrying the version; those I share a chat with told live ('profile' update), a
 * rename too, and my own other devices; a user who blocked me shows me none (null, 404); a deleted account has none.
 */
import { describe, expect, it } from 'vitest';
import type { PublicUser, ServerFrame, SyncRes } from '../../../src/lib/api/wire';
import { BACKENDS, useRelayOn } from './backends';
import { call, connect, login, sendText, signup, type Account } from './helpers';

type Served = Parameters<typeof call>[0];
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('a tiny jpeg')]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([20, 0, 0, 0]), Buffer.from('WEBPVP8 tiny')]);
const put = (ts: Served, who: Account, bytes: Buffer, type = 'image/jpeg') =>
  call<{ photo: number; error?: { code: string; message: string } }>(ts, 'PUT', '/api/me/photo', { token: who.token, raw: bytes, headers: { 'content-type': type } });
const bytesOf = async (ts: Served, who: Account, userId: string, version: number) => {
  const r = await fetch(`${ts.url}/api/users/${userId}/photo/${version}`, { headers: { authorization: `Bearer ${who.token}` } });
  return { status: r.status, cache: r.headers.get('cache-control'), bytes: Buffer.from(await r.arrayBuffer()) };
};
const userOf = async (ts: Served, who: Account, id: string) => (await call<{ user: PublicUser }>(ts, 'GET', `/api/users/${id}`, { token: who.token })).body.user;
const profiles = async (ts: Served, who: Account) =>
  (await call<SyncRes>(ts, 'GET', '/api/sync?after=0', { token: who.token })).body.updates.flatMap((u) => (u.kind === 'profile' ? [u.peer] : []));

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`profile photos: ${backend.name}`, () => {
    const rig = useRelayOn(backend.name, ['alice', 'bob']);

    it('sets, replaces under a new version (the old URL gone), serves it immutable, removes it; the views carry the version', async () => {
      const { ts, alice, bob } = rig;
      expect((await userOf(ts, bob, alice.userId)).photo).toBeNull();
      const first = await put(ts, alice, JPEG);
      expect(first.status).toBe(200);
      const v1 = first.body.photo;
      expect(v1).toBeGreaterThan(0);
      const got = await bytesOf(ts, bob, alice.userId, v1);
      expect(got).toEqual({ status: 200, cache: 'private, max-age=31536000, immutable', bytes: JPEG });
      expect((await userOf(ts, bob, alice.userId)).photo).toBe(v1);
      expect((await call<{ user: PublicUser }>(ts, 'GET', '/api/me', { token: alice.token })).body.user.photo).toBe(v1);
      // Sealed at rest: the stored bytes are not the photo's.
      expect((await ts.store.getPhoto(alice.userId))!.body.includes(Buffer.from('a tiny jpeg'))).toBe(false);

      const v2 = (await put(ts, alice, WEBP, 'image/webp')).body.photo;
      expect(v2).toBeGreaterThan(v1);
      expect((await bytesOf(ts, bob, alice.userId, v1)).status).toBe(404);
      expect((await bytesOf(ts, bob, alice.userId, v2)).bytes).toEqual(WEBP);
      const found = (await call<{ users: PublicUser[] }>(ts, 'GET', `/api/users?q=${alice.username.slice(0, 4)}`, { token: bob.token })).body.users;
      expect(found.find((u) => u.id === alice.userId)?.photo).toBe(v2);

      expect((await call(ts, 'DELETE', '/api/me/photo', { token: alice.token })).status).toBe(204);
      expect((await bytesOf(ts, bob, alice.userId, v2)).status).toBe(404);
      expect((await userOf(ts, bob, alice.userId)).photo).toBeNull();
      // A removed photo's version is never given again.
      expect((await put(ts, alice, JPEG)).body.photo).toBeGreaterThan(v2);
    });

    it('refuses another type (415), more than 256 KB (413) and bytes that are not what they say (400), storing nothing', async () => {
      const { ts, alice, bob } = rig;
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
      const r415 = await put(ts, alice, png, 'image/png');
      expect([r415.status, r415.body.error?.code]).toEqual([415, 'bad_request']);
      expect(r415.body.error?.message).toMatch(/image\/jpeg or image\/webp/);
      const r400 = await put(ts, alice, png, 'image/jpeg');
      expect([r400.status, r400.body.error?.message]).toEqual([400, 'the bytes are not a JPEG image']);
      expect((await put(ts, alice, JPEG, 'image/webp')).status).toBe(400);
      const big = Buffer.concat([JPEG, Buffer.alloc(256 * 1024)]);
      const r413 = await put(ts, alice, big);
      expect([r413.status, r413.body.error?.code]).toEqual([413, 'too_large']);
      expect((await userOf(ts, bob, alice.userId)).photo).toBeNull();
      expect(await ts.store.getPhoto(alice.userId)).toBeNull();
    });

    it('tells those I chat with live, in their update log, and a rename too', async () => {
      const { ts, alice, bob } = rig;
      await sendText(ts, alice, bob, 'hi');
      const ws = await connect(ts, bob.token);
      await ws.next((f) => f.t === 'hello');
      const v = (await put(ts, alice, JPEG)).body.photo;
      const live = await ws.next((f) => f.t === 'update' && f.update.kind === 'profile');
      expect(live.t === 'update' && live.update.kind === 'profile' && live.update.peer.photo).toBe(v);
      expect((await call(ts, 'PATCH', '/api/me', { token: alice.token, body: { displayName: 'Alice A.' } })).status).toBe(200);
      await call(ts, 'DELETE', '/api/me/photo', { token: alice.token });
      // Each as served now: the latest name, no photo.
      const seen = await profiles(ts, bob);
      expect(seen).toHaveLength(3);
      expect(seen.every((p) => p.id === alice.userId && p.displayName === 'Alice A.' && p.photo === null)).toBe(true);
      ws.close();
    });

    it('tells my own other devices live, in my own log (no Saved Messages needed, none made visible), a rename too', async () => {
      const { ts, alice, bob } = rig;
      const phone = await login(ts, { username: alice.username, password: alice.password }, 'Phone');
      const ws = await connect(ts, phone.token);
      await ws.next((f) => f.t === 'hello');
      const v = (await put(ts, alice, JPEG)).body.photo;
      const live = await ws.next<Extract<ServerFrame, { t: 'update' }>>((f) => f.t === 'update' && f.update.kind === 'profile');
      expect(live.update).toMatchObject({ kind: 'profile', peerId: alice.userId, peer: { id: alice.userId, photo: v } });
      expect((await call(ts, 'PATCH', '/api/me', { token: alice.token, body: { displayName: 'Alice A.' } })).status).toBe(200);
      await ws.next((f) => f.t === 'update' && f.update.kind === 'profile' && f.update.peer.displayName === 'Alice A.');
      await call(ts, 'DELETE', '/api/me/photo', { token: alice.token });
      await ws.next((f) => f.t === 'update' && f.update.kind === 'profile' && f.update.peer.photo === null);
      // By sync too, each as served now; once each (a chat with someone else adds their log, not a second of mine).
      await sendText(ts, alice, bob, 'hi');
      await put(ts, alice, WEBP, 'image/webp');
      const mine = await profiles(ts, phone);
      expect(mine).toHaveLength(4);
      expect(mine.every((p) => p.id === alice.userId && p.displayName === 'Alice A.' && typeof p.photo === 'number')).toBe(true);
      expect(await profiles(ts, bob)).toHaveLength(1);
      // My Saved Messages, never written in, stay out of my list, and answer as a chat never used.
      const chats = (await call<{ chats: { peer: PublicUser }[] }>(ts, 'GET', '/api/cloud/chats', { token: alice.token })).body.chats;
      expect(chats.map((c) => c.peer.id)).toEqual([bob.userId]);
      expect((await call(ts, 'PUT', `/api/cloud/chats/${alice.userId}/settings`, { token: alice.token, body: { pinned: true } })).status).toBe(404);
      // The first note to myself still starts at seq 1.
      expect((await sendText(ts, alice, alice, 'note')).seq).toBe(1);
      ws.close();
    });

    it('tells no one I only scheduled a message to (a chat with no message yet)', async () => {
      const { ts, alice, bob } = rig;
      const carol = await signup(ts);
      const body = { id: crypto.randomUUID(), peerId: carol.userId, text: 'later', at: Date.now() + 3_600_000 };
      expect((await call(ts, 'POST', '/api/cloud/scheduled', { token: alice.token, body })).status).toBe(200);
      await sendText(ts, alice, bob, 'hi');
      await put(ts, alice, JPEG);
      expect(await profiles(ts, bob)).toHaveLength(1);
      expect(await profiles(ts, carol)).toEqual([]);
    });

    it('shows a user who blocked me none of their photo (null, 404, a profile update in my log); unblocked, it is back', async () => {
      const { ts, alice, bob } = rig;
      await sendText(ts, alice, bob, 'hi');
      const v = (await put(ts, alice, JPEG)).body.photo;
      expect((await call(ts, 'PUT', `/api/blocks/${bob.userId}`, { token: alice.token })).status).toBe(200);
      expect((await userOf(ts, bob, alice.userId)).photo).toBeNull();
      expect((await bytesOf(ts, bob, alice.userId, v)).status).toBe(404);
      const chats = (await call<{ chats: { peer: PublicUser }[] }>(ts, 'GET', '/api/cloud/chats', { token: bob.token })).body.chats;
      expect(chats[0].peer.photo).toBeNull();
      expect((await profiles(ts, bob)).at(-1)?.photo).toBeNull();
      // The one who blocked still sees the other's, and everyone else still sees hers.
      const carol = await signup(ts);
      expect((await userOf(ts, carol, alice.userId)).photo).toBe(v);
      expect((await bytesOf(ts, carol, alice.userId, v)).status).toBe(200);

      expect((await call(ts, 'DELETE', `/api/blocks/${bob.userId}`, { token: alice.token })).status).toBe(204);
      expect((await userOf(ts, bob, alice.userId)).photo).toBe(v);
      expect((await bytesOf(ts, bob, alice.userId, v)).status).toBe(200);
    });

    it('a deleted account has no photo, and those who chatted with it are told', async () => {
      const { ts, alice, bob } = rig;
      await sendText(ts, alice, bob, 'hi');
      const v = (await put(ts, alice, JPEG)).body.photo;
      expect((await call(ts, 'POST', '/api/account/delete', { token: alice.token, body: { password: alice.password, confirm: alice.username } })).status).toBe(204);
      const gone = await userOf(ts, bob, alice.userId);
      expect([gone.deleted, gone.photo]).toEqual([true, null]);
      expect((await bytesOf(ts, bob, alice.userId, v)).status).toBe(404);
      expect(await ts.store.getPhoto(alice.userId)).toBeNull();
      expect((await profiles(ts, bob)).map((p) => [p.deleted, p.photo])).toEqual([
        [true, null],
        [true, null]
      ]);
    });
  });
}
