// Schema 7: secret messages that are the peer's and unread are marked on an index, by the upgrade
// for rows stored before and by the writers from then on; the chat list counts on that index.
import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { describe, expect, it, vi } from 'vitest';
import { openStore } from '$lib/store/db';
import { isUnread } from '$lib/store/upgrade-secret-unread';
import { secretChatList } from '$lib/worker/secret';
import { databaseAt } from '../support/schema-history';
import { deliver, secretPair } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established } = secretPair('secret-unread');

/** What the list counted before schema 7: every row of the chat, filtered. */
async function walked(db: Dexie, chatId: string): Promise<number> {
  return db
    .table('secretMessages')
    .where('[chatId+at]')
    .between([chatId, Dexie.minKey], [chatId, Dexie.maxKey])
    .filter((m) => isUnread(m))
    .count();
}

describe('secret unread counts (schema 7)', () => {
  it('the upgrade marks exactly the peer’s unread messages of a version-6 database', async () => {
    const name = `secret-unread-upgrade-${Date.now()}`;
    const old = databaseAt(name, 6);
    await old.open();
    const row = (id: string, chatId: string, mine: boolean, status: string) => ({
      id,
      chatId,
      at: id.length,
      mine,
      status,
      ttl: 0,
      blobId: null,
      box: new Uint8Array(1)
    });
    await old
      .table('secretMessages')
      .bulkPut([
        row('theirs-new', 'c1', false, 'sent'),
        row('theirs-new-2', 'c1', false, 'sent'),
        row('theirs-read', 'c1', false, 'read'),
        row('mine', 'c1', true, 'sent'),
        row('mine-read', 'c1', true, 'read'),
        row('theirs-other-chat', 'c2', false, 'sent')
      ]);
    old.close();

    const { db } = await openStore(name);
    expect(db.verno).toBe(16); // through 7's upgrade (8 indexed seen envelopes by seq, 9 put a batch in one record, 10 parked envelopes and drafts, 11 trust pins per user, 12 kept cloud updates, 13 the secret unread-by-time index, 14 queued cloud actions, 15 scheduled messages, 16 profile photos)
    const marked = (await db.secretMessages.toArray()).filter((m) => m.unread === 1).map((m) => m.id);
    expect(marked.sort()).toEqual(['theirs-new', 'theirs-new-2', 'theirs-other-chat']);
    expect(await db.secretMessages.where('[chatId+unread]').equals(['c1', 1]).count()).toBe(2);
    expect(await db.secretMessages.where('[chatId+unread]').equals(['c2', 1]).count()).toBe(1);
    // Nothing else changed: the rows are as stored, plus the mark.
    expect((await db.secretMessages.get('mine'))!).toEqual(row('mine', 'c1', true, 'sent'));
    db.close();
  });

  it('the list counts what arrives and forgets what is read; the index agrees with a walk of every row', async () => {
    const { relay, alice, bob, chatId } = await established();
    const ids = [];
    for (const text of ['one', 'two', 'three']) ids.push(await alice.engine.sendText(chatId, text, null));
    await alice.engine.flush();
    await deliver(relay, bob);
    const listed = async () => (await secretChatList(bob.db, bob.vault)).find((c) => c.id === chatId)!.unread;
    expect(await listed()).toBe(3);
    expect(await walked(bob.db, chatId)).toBe(3);

    await bob.engine.markRead(chatId, ids.slice(0, 2));
    expect(await listed()).toBe(1);
    expect(await walked(bob.db, chatId)).toBe(1);

    // Bob's own messages never count, read by Alice or not.
    await bob.engine.sendText(chatId, 'reply', null);
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await listed()).toBe(1);
    await bob.engine.markRead(chatId, ids.slice(2));
    expect(await listed()).toBe(0);
    expect(await walked(bob.db, chatId)).toBe(0);
    // Alice's list: Bob's reply is hers to read.
    expect((await secretChatList(alice.db, alice.vault)).find((c) => c.id === chatId)!.unread).toBe(1);
  });
});
