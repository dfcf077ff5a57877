/**
 * My own profile changed on another device of mine (a new name or photo): the relay puts a 'profile'
 * update about me in my own log (docs/api.md "Profile photos"), applied after the sync's commit. The
 * stored session takes the new name and photo version (the pages show them from it: Settings, the
 * avatar), and my cached photo goes when it is not that version any more.
 */
import type { PublicUser } from '$lib/api/wire';
import type { CinderDB } from '$lib/store/db';
import type { SessionView } from './protocol';

/** The session with `peer`'s name and photo when it is mine and they changed it (stored), else null. */
export async function applyOwnProfile(db: CinderDB, me: string, peer: PublicUser): Promise<SessionView | null> {
  if (peer.id !== me || peer.deleted) return null;
  return db.transaction('rw', db.meta, db.photos, async () => {
    const stored = (await db.meta.get('session'))?.value as SessionView | undefined;
    // An older relay's profile has no `photo`: the one known stays.
    const photo = peer.photo === undefined ? (stored?.user.photo ?? null) : peer.photo;
    const cached = await db.photos.get(me);
    if (cached && cached.version !== photo) await db.photos.delete(me);
    if (!stored || stored.user.id !== me) return null;
    if (stored.user.displayName === peer.displayName && (stored.user.photo ?? null) === photo) return null;
    const session: SessionView = { ...stored, user: { ...stored.user, displayName: peer.displayName, photo } };
    await db.meta.put({ key: 'session', value: session });
    return session;
  });
}
