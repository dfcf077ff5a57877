/**
 * Unread counts of cloud chats, stored on each chat row (`ChatRow.unread`) and kept in the same
 * transaction as the rows they count, so listing the chats reads one number per chat instead of
 * walking every unread message (a 5,000-message backlog walked 5,000 rows on every list read).
 * A writer that cannot keep the count clears it instead (`unread` absent); the next list read
 * counts it again, in a transaction of its own so no write can slip between the count and its store.
 */
import { Dexie } from 'dexie';
import type { ChatRow, CinderDB } from '$lib/store/db';

/** The peer's stored messages after the read marker: the walk the stored count saves. */
export function countUnread(db: CinderDB, peerId: string, myReadSeq: number, me: string): Promise<number> {
  return db.messages
    .where('[peerId+seq]')
    .between([peerId, myReadSeq + 1], [peerId, Dexie.maxKey])
    .filter((m) => m.senderId !== me)
    .count();
}

/** Counts again and stores the counts of `peerIds`; called inside a rw transaction over chats and messages. */
export async function recountUnread(db: CinderDB, peerIds: Iterable<string>, me: string): Promise<void> {
  for (const peerId of new Set(peerIds)) {
    const chat = await db.chats.get(peerId);
    if (chat) await db.chats.update(peerId, { unread: await countUnread(db, peerId, chat.myReadSeq, me) });
  }
}

/**
 * Moves my read marker of a cloud chat to `seq` (never back) and counts its unread messages again; the
 * outbox's flush tells the relay (the peer's ticks, my other devices). False when it did not move.
 */
export function advanceRead(db: CinderDB, peerId: string, seq: number, me: string): Promise<boolean> {
  return db.transaction('rw', db.chats, db.messages, async () => {
    const chat = await db.chats.get(peerId);
    if (!chat || seq <= chat.myReadSeq) return false;
    await db.chats.update(peerId, { myReadSeq: seq });
    await recountUnread(db, [peerId], me);
    return true;
  });
}

/** Forgets the stored counts of `peerIds` (for a writer without the user's id); inside its transaction. */
export async function clearUnread(db: CinderDB, peerIds: Iterable<string>): Promise<void> {
  // undefined makes Dexie's update() remove the property.
  for (const peerId of new Set(peerIds)) await db.chats.update(peerId, { unread: undefined });
}

/** A chat's unread count for the list: the stored one, else counted and stored now. */
export async function unreadOf(db: CinderDB, chat: ChatRow, me: string): Promise<number> {
  if (typeof chat.unread === 'number') return chat.unread;
  return db.transaction('rw', db.chats, db.messages, async () => {
    const current = await db.chats.get(chat.peerId);
    if (!current) return 0;
    if (typeof current.unread === 'number') return current.unread;
    const unread = await countUnread(db, chat.peerId, current.myReadSeq, me);
    await db.chats.update(chat.peerId, { unread });
    return unread;
  });
}

/** The peer's oldest stored message after the read marker (where the chat opens), walking the same index as countUnread until the first. */
export function firstUnread(db: CinderDB, peerId: string, myReadSeq: number, me: string) {
  return db.messages
    .where('[peerId+seq]')
    .between([peerId, myReadSeq + 1], [peerId, Dexie.maxKey])
    .filter((m) => m.senderId !== me)
    .first();
}
