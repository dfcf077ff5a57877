/**
 * Schema version 6: each cloud chat stores its unread count (`ChatRow.unread`, kept by the writers
 * of `messages` from then on) instead of the chat list counting the rows on every read. The upgrade
 * counts once: the peer's messages after the read marker. Without a stored session (no user id to
 * tell mine from the peer's) the counts stay absent and the first list read counts them.
 */
import { Dexie, type Transaction } from 'dexie';
import type { ChatRow, MessageRow } from './db';

export async function countStoredUnread(tx: Transaction): Promise<void> {
  const me = ((await tx.table('meta').get('session'))?.value as { user?: { id?: unknown } } | undefined)?.user?.id;
  if (typeof me !== 'string') return;
  const chats = tx.table<ChatRow, string>('chats');
  const messages = tx.table<MessageRow, string>('messages');
  for (const chat of await chats.toArray()) {
    const unread = await messages
      .where('[peerId+seq]')
      .between([chat.peerId, chat.myReadSeq + 1], [chat.peerId, Dexie.maxKey])
      .filter((m) => m.senderId !== me)
      .count();
    await chats.put({ ...chat, unread });
  }
}
