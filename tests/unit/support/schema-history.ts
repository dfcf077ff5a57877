/**
 * The store schema each earlier app version shipped (history: never edit), so an upgrade test can
 * build the database an older version left behind and open it with today's CinderDB.
 */
import { Dexie } from 'dexie';

/** Store changes per version; 4 and 6 changed rows only (their upgrades), not stores. */
const HISTORY: Record<number, Record<string, string | null>> = {
  1: {
    vault: 'id',
    meta: 'key',
    secrets: 'key',
    chats: 'peerId, lastAt',
    messages: 'id, [peerId+seq], [peerId+createdAt]',
    outbox: 'id, createdAt'
  },
  2: {
    secretChats: 'id, protoChatId, lastAt, peerId',
    secretMessages: 'id, [chatId+at], deadline',
    sendQueue: 'id, createdAt, chatId',
    trust: 'deviceId, userId',
    seenEnvelopes: 'id, at',
    secretMedia: 'messageId, chatId',
    lockedInbox: 'id, seq'
  },
  3: {
    messages: 'id, [peerId+seq], [peerId+createdAt], deadline',
    cloudMedia: 'messageId, peerId'
  },
  4: {},
  5: { mailboxes: 'id, chatId, expiresAt' },
  6: {},
  7: { secretMessages: 'id, [chatId+at], deadline, [chatId+unread]' },
  8: { seenEnvelopes: 'id, at, seq' },
  9: { seenEnvelopes: 'id, at, *seqs' },
  10: { parkedEnvelopes: 'id, seq, chatId', drafts: 'id' },
  11: { trustPins: '[userId+deviceId], userId', trust: null },
  12: { keptUpdates: 'cursor, kind' }
};

/** A Dexie declaring versions 1 to `version` as the app did then, without their upgrades. */
export function databaseAt(name: string, version: keyof typeof HISTORY): Dexie {
  const db = new Dexie(name);
  for (let v = 1; v <= version; v++) db.version(v).stores(HISTORY[v]);
  return db;
}
