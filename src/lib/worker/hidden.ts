/**
 * Cloud messages deleted "for me": removed from this device only (the peer keeps them, the relay
 * keeps them for the peer). Their ids are remembered per chat in `meta` (ids are random UUIDs, no
 * content), so a history page fetched again from the relay or an update replayed does not bring them
 * back on this device.
 */
import type { CinderDB } from '$lib/store/db';
import { clearUnread } from './unread';

/** At most this many ids are remembered per chat (the oldest are forgotten first). */
export const HIDDEN_MAX = 5000;

/** The `meta` row holding a chat's ids deleted for me. */
export const hiddenKey = (peerId: string) => `hidden:${peerId}`;

export const idsOf = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/** The ids deleted for me in a chat (read inside or outside a transaction over `meta`). */
export async function hiddenIds(db: CinderDB, peerId: string): Promise<Set<string>> {
  return new Set(idsOf((await db.meta.get(hiddenKey(peerId)))?.value));
}

/** Deletes messages of one chat on this device only, and remembers them as deleted for me. */
export async function hideMessages(db: CinderDB, peerId: string, ids: string[]): Promise<void> {
  await db.transaction('rw', [db.messages, db.outbox, db.cloudMedia, db.meta, db.chats], async () => {
    // Only this chat's rows: an id of another chat is ignored, not deleted.
    const rows = await db.messages.bulkGet(ids);
    const mine = ids.filter((_, i) => rows[i]?.peerId === peerId);
    await db.messages.bulkDelete(mine);
    await db.outbox.bulkDelete(mine);
    await db.cloudMedia.bulkDelete(mine);
    await clearUnread(db, [peerId]);
    const kept = idsOf((await db.meta.get(hiddenKey(peerId)))?.value).filter((id) => !mine.includes(id));
    await db.meta.put({ key: hiddenKey(peerId), value: [...kept, ...mine].slice(-HIDDEN_MAX) });
  });
}
