/**
 * The self-destruct purge scenario, runnable in Node (fake-indexeddb) and, bundled, in real
 * browsers: a store holding secret and cloud messages with no deadline, an expired one, one due
 * exactly now, a future one, and a legacy row whose deadline is null (written before schema 4, or
 * by an old tab still open). Only expired rows may go, whatever the engine does with null keys.
 * Imports only the store and Dexie: no Node or test-runner APIs.
 */
import type { CinderDB, MessageRow, SecretMessageRow } from '$lib/store/db';
import { nextDeadline, purgeExpired } from '$lib/store/purge';
import { runStoreCheck, type Expect, type StoreCheckResult } from './store-check';

const BOX = new Uint8Array([1, 2, 3]);
const sorted = (xs: Iterable<string>) => [...xs].sort();

function secret(id: string, ttl: number, deadline?: number): SecretMessageRow {
  const row: SecretMessageRow = { id, chatId: 'chat-1', at: 1_000, mine: false, status: 'read', ttl, blobId: `blob-${id}`, box: BOX };
  return deadline === undefined ? row : { ...row, deadline };
}

function cloud(id: string, deadline?: number): MessageRow {
  const row: MessageRow = { id, peerId: 'bob', seq: 1, senderId: 'bob', createdAt: 1_000, status: 'sent', box: BOX };
  return deadline === undefined ? row : { ...row, deadline };
}

/** A row as versions before schema 4 stored it: the types now forbid this null. */
const legacy = <T>(row: T): T => ({ ...row, deadline: null }) as T;

async function scenario(db: CinderDB, expect: Expect): Promise<void> {
  const now = Date.now();
  await db.secretMessages.bulkPut([
    secret('s-none', 0),
    secret('s-not-started', 5),
    secret('s-expired', 5, now - 60_000),
    secret('s-due-now', 5, now),
    secret('s-future', 5, now + 60_000),
    legacy(secret('s-legacy-null', 0))
  ]);
  await db.secretMedia.bulkPut(['s-none', 's-expired'].map((messageId) => ({ messageId, chatId: 'chat-1', box: BOX })));
  await db.messages.bulkPut([cloud('c-none'), cloud('c-expired', now - 1), cloud('c-future', now + 30_000), legacy(cloud('c-legacy-null'))]);
  await db.cloudMedia.bulkPut(['c-none', 'c-expired'].map((messageId) => ({ messageId, peerId: 'bob', box: BOX })));

  const purged = await purgeExpired(db, now);
  expect('secret messages kept', sorted((await db.secretMessages.toArray()).map((m) => m.id)), ['s-future', 's-legacy-null', 's-none', 's-not-started']);
  expect('secret media kept', sorted((await db.secretMedia.toArray()).map((m) => m.messageId)), ['s-none']);
  expect('cloud messages kept', sorted((await db.messages.toArray()).map((m) => m.id)), ['c-future', 'c-legacy-null', 'c-none']);
  expect('cloud media kept', sorted((await db.cloudMedia.toArray()).map((m) => m.messageId)), ['c-none']);
  expect('purged secret chats', sorted(purged.chats), ['chat-1']);
  expect('purged cloud peers', sorted(purged.cloudPeers), ['bob']);
  expect('relay blobs to delete', sorted(purged.blobs), ['blob-s-due-now', 'blob-s-expired']);
  expect('next deadline', await nextDeadline(db), now + 30_000);

  // Nothing left to expire: rows without a deadline (or with a legacy null) arm no timer.
  await db.secretMessages.delete('s-future');
  await db.messages.delete('c-future');
  expect('next deadline without timed rows', await nextDeadline(db), null);
  const again = await purgeExpired(db, now + 365 * 86400_000);
  expect('a year later, purged', [again.chats.size, again.cloudPeers.size], [0, 0]);
  expect('a year later, secret kept', await db.secretMessages.count(), 3);
  expect('a year later, cloud kept', await db.messages.count(), 2);
}

export function runPurgeCheck(dbName: string): Promise<StoreCheckResult> {
  return runStoreCheck(dbName, 'purge check', scenario, 'purge kept every row without an expired deadline');
}
