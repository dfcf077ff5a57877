// Profile photos on the device (worker/photos.ts): each version fetched once and cached per user, so an
// avatar shows offline; a newer version replaces the row; a 'profile' update naming another version or
// none drops the old bytes; my own upload is cached under the relay's version; one about me (from my other
// device) updates my stored session.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Update } from '$lib/api/wire';
import { applyUpdates } from '$lib/worker/cloud-sync';
import type { SessionView } from '$lib/worker/protocol';
import { photoBlob, uploadPhoto } from '$lib/worker/photos';
import { unlockedStore } from '../support/store';
import { bob, ME, msg, nextCursor } from '../support/cloud-updates';

let dbs = 0;
const jpeg = (tag: string) => new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new TextEncoder().encode(tag)]);
const text = async (b: Blob | null) => (b ? new TextDecoder().decode((await b.arrayBuffer()).slice(4)) : null);

/** The relay serving `photos[userId][version]`; counts the fetches. `down`: every fetch fails. */
function relay(photos: Record<string, Record<number, Uint8Array>>) {
  const state = { fetches: [] as string[], down: false };
  vi.stubGlobal('fetch', async (path: string) => {
    if (state.down) throw new TypeError('Failed to fetch');
    state.fetches.push(path);
    const m = /^\/api\/users\/([^/]+)\/photo\/(\d+)$/.exec(path);
    const bytes = m && photos[m[1]]?.[Number(m[2])];
    return bytes
      ? new Response(bytes.slice(), { status: 200 })
      : new Response(JSON.stringify({ error: { code: 'not_found', message: 'no such photo' } }), { status: 404 });
  });
  return state;
}

const profile = (photo: number | null): Update => ({ kind: 'profile', cursor: nextCursor(), peerId: 'bob', peer: { ...bob, photo } });

describe('profile photos on the device', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('fetches a version once (calls at the same time share it) and serves it from the cache, offline too', async () => {
    const { db } = await unlockedStore(`photos-${dbs++}`);
    const r = relay({ bob: { 1: jpeg('one') } });
    const [a, b] = await Promise.all([photoBlob(db, 'bob', 1), photoBlob(db, 'bob', 1)]);
    expect([await text(a), await text(b), a?.type]).toEqual(['one', 'one', 'image/jpeg']);
    expect(r.fetches).toEqual(['/api/users/bob/photo/1']);
    r.down = true;
    expect(await text(await photoBlob(db, 'bob', 1))).toBe('one');
    // Without a version: only the cache (a secret chat's peer whose version this device never heard of).
    expect(await text(await photoBlob(db, 'bob', undefined))).toBe('one');
    expect(await photoBlob(db, 'carol', undefined)).toBeNull();
  });

  it('a newer version replaces the cached one; while it cannot be fetched the older one shows', async () => {
    const { db } = await unlockedStore(`photos-${dbs++}`);
    const r = relay({ bob: { 1: jpeg('one'), 2: jpeg('two') } });
    await photoBlob(db, 'bob', 1);
    r.down = true;
    expect(await text(await photoBlob(db, 'bob', 2))).toBe('one');
    r.down = false;
    expect(await text(await photoBlob(db, 'bob', 2))).toBe('two');
    expect((await db.photos.toArray()).map((p) => [p.userId, p.version])).toEqual([['bob', 2]]);
    // An older version asked late does not take the newer one's place.
    await photoBlob(db, 'bob', 1);
    expect((await db.photos.get('bob'))?.version).toBe(2);
  });

  it("a 'profile' update stores the peer's new version and drops the old bytes; one without a photo drops them too", async () => {
    const { db, vault } = await unlockedStore(`photos-${dbs++}`);
    relay({ bob: { 1: jpeg('one'), 2: jpeg('two') } });
    await applyUpdates(db, vault, ME, [msg(1, 'bob')]);
    await photoBlob(db, 'bob', 1);
    const applied = await applyUpdates(db, vault, ME, [profile(2)]);
    expect([...applied.peers]).toEqual(['bob']);
    expect((await db.chats.get('bob'))?.peer.photo).toBe(2);
    expect(await db.photos.get('bob')).toBeUndefined();
    await photoBlob(db, 'bob', 2);
    expect((await db.photos.get('bob'))?.version).toBe(2);
    // The same profile again changes nothing and keeps the bytes.
    expect([...(await applyUpdates(db, vault, ME, [profile(2)])).peers]).toEqual([]);
    expect((await db.photos.get('bob'))?.version).toBe(2);
    await applyUpdates(db, vault, ME, [profile(null)]);
    expect((await db.chats.get('bob'))?.peer.photo).toBeNull();
    expect(await db.photos.get('bob')).toBeUndefined();
  });

  it("a 'profile' update about me (my other device renamed me or changed my photo) updates my stored session and drops my stale cached photo", async () => {
    const { db, vault } = await unlockedStore(`photos-${dbs++}`);
    relay({});
    const session: SessionView = { user: { id: ME, username: 'me', displayName: 'Me', photo: 3 }, device: { id: 'dev', name: 'Laptop' } };
    await db.meta.put({ key: 'session', value: session });
    await db.photos.put({ userId: ME, version: 3, type: 'image/jpeg', bytes: jpeg('three') });
    const mine = (displayName: string, photo: number | null): Update => ({
      kind: 'profile',
      cursor: nextCursor(),
      peerId: ME,
      peer: { id: ME, username: 'me', displayName, photo }
    });

    const renamed = await applyUpdates(db, vault, ME, [mine('Me, renamed', 3)]);
    const want = { ...session, user: { ...session.user, displayName: 'Me, renamed' } };
    expect(renamed.session).toEqual(want);
    expect((await db.meta.get('session'))?.value).toEqual(want);
    expect((await db.photos.get(ME))?.version).toBe(3);

    const newPhoto = await applyUpdates(db, vault, ME, [mine('Me, renamed', 4)]);
    expect(newPhoto.session?.user).toMatchObject({ displayName: 'Me, renamed', photo: 4 });
    expect(await db.photos.get(ME)).toBeUndefined();
    // Seen again (a replay): nothing changes, no session to announce.
    expect((await applyUpdates(db, vault, ME, [mine('Me, renamed', 4)])).session).toBeUndefined();
    // Removed; and a peer's profile never touches mine.
    expect((await applyUpdates(db, vault, ME, [mine('Me, renamed', null)])).session?.user.photo).toBeNull();
    expect((await applyUpdates(db, vault, ME, [profile(9)])).session).toBeUndefined();
    expect(((await db.meta.get('session'))?.value as SessionView).user).toEqual({ id: ME, username: 'me', displayName: 'Me, renamed', photo: null });
  });

  it('my upload is cached under the version the relay gave it; a refusal says why', async () => {
    const { db } = await unlockedStore(`photos-${dbs++}`);
    vi.stubGlobal('fetch', async (_path: string, init: RequestInit) =>
      (init.headers as Record<string, string>)['content-type'] === 'image/jpeg'
        ? new Response(JSON.stringify({ photo: 7 }), { status: 200 })
        : new Response(JSON.stringify({ error: { code: 'bad_request', message: 'a profile photo must be image/jpeg or image/webp' } }), { status: 415 })
    );
    expect(await uploadPhoto(db, ME, jpeg('me'), 'image/jpeg')).toBe(7);
    expect(await text(await photoBlob(db, ME, 7))).toBe('me');
    await expect(uploadPhoto(db, ME, jpeg('me'), 'image/png')).rejects.toThrow('a profile photo must be image/jpeg or image/webp');
  });
});
