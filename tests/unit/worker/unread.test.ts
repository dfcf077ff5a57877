import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { describe, expect, it } from 'vitest';
import { openStore } from '$lib/store/db';
import { purgeExpired } from '$lib/store/purge';
import { chatViews } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { flushActions } from '$lib/worker/cloud-actions-flush';
import { hideMessages } from '$lib/worker/hidden';
import { cloudHandlers } from '$lib/worker/rpc/cloud';
import { unlockedStore } from '../support/store';
import { bob, lastCursor, ME, msg, nextCursor, uuid } from '../support/cloud-updates';
import { databaseAt } from '../support/schema-history';

let n = 0;
const stored = async (db: Dexie & { chats: { get(id: string): Promise<{ unread?: number } | undefined> } }) => (await db.chats.get('bob'))?.unread;
const listed = async (db: Parameters<typeof chatViews>[0], vault: Parameters<typeof chatViews>[1]) => (await chatViews(db, vault, ME))[0].unread;

describe('stored unread counts of cloud chats', () => {
  it('are kept by sync in the commit: new rows add, a replay does not, a moved read marker or a delete counts again', async () => {
    const { db, vault } = await unlockedStore(`unread-${n++}`);
    await applyUpdates(db, vault, ME, [msg(1, ME), msg(2, 'bob'), msg(3, 'bob')], lastCursor());
    expect(await stored(db)).toBe(2);
    // A second page and a live update add to the stored count.
    await applyUpdates(db, vault, ME, [msg(4, 'bob'), msg(5, 'bob')]);
    await applyUpdates(db, vault, ME, [msg(6, 'bob')]);
    expect(await stored(db)).toBe(5);
    // The same rows seen again (history fetched, then replayed) are not counted twice.
    await applyUpdates(db, vault, ME, [msg(5, 'bob'), msg(6, 'bob')]);
    expect(await stored(db)).toBe(5);
    // My own message from another device: I read everything before it.
    await applyUpdates(db, vault, ME, [msg(7, 'bob'), msg(8, ME), msg(9, 'bob')]);
    expect(await stored(db)).toBe(1);
    // A read update, then a delete of an unread row.
    await applyUpdates(db, vault, ME, [msg(10, 'bob'), msg(11, 'bob'), { kind: 'read', cursor: nextCursor(), peerId: 'bob', readerId: ME, seq: 9 }]);
    expect(await stored(db)).toBe(2);
    await applyUpdates(db, vault, ME, [{ kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: [uuid(11)] }]);
    expect(await stored(db)).toBe(1);
    expect(await listed(db, vault)).toBe(1);
    db.close();
  });

  it('the chat list reads the stored count instead of walking the rows', async () => {
    const { db, vault } = await unlockedStore(`unread-${n++}`);
    await applyUpdates(db, vault, ME, [msg(1, 'bob'), msg(2, 'bob')]);
    await db.chats.update('bob', { unread: 7 });
    expect(await listed(db, vault)).toBe(7);
    // An unknown count is counted at the list read, and stored.
    await db.chats.update('bob', { unread: undefined });
    expect(await listed(db, vault)).toBe(2);
    expect(await stored(db)).toBe(2);
    db.close();
  });

  it('follow marking read, deleting for everyone and for me, and a burnt message', async () => {
    const { db, vault } = await unlockedStore(`unread-${n++}`);
    const emitted: unknown[] = [];
    const ctx = { db, vault, me: ME, emit: (e: unknown) => emitted.push(e), flush: async () => undefined, sendFrame: () => undefined } as never;
    await applyUpdates(
      db,
      vault,
      ME,
      [1, 2, 3, 4, 5, 6].map((i) => msg(i, 'bob'))
    );
    expect(await stored(db)).toBe(6);
    await cloudHandlers.markRead(ctx, { peerId: 'bob', seq: 2 });
    expect(await stored(db)).toBe(4);
    expect(await listed(db, vault)).toBe(4);

    await hideMessages(db, 'bob', [uuid(3)]);
    expect(await listed(db, vault)).toBe(3);

    const fetchMock = globalThis.fetch;
    const posted: unknown[] = [];
    globalThis.fetch = async (_url, init) => (posted.push(JSON.parse(String(init?.body))), new Response(null, { status: 204 }));
    try {
      // A stale selection from another chat: nothing deleted here, nothing asked of the server.
      await cloudHandlers.deleteMessages(ctx, { peerId: 'carol', ids: [uuid(4)] });
      expect(posted).toEqual([]);
      expect(await db.messages.get(uuid(4))).toBeDefined();
      await cloudHandlers.deleteMessages(ctx, { peerId: 'bob', ids: [uuid(4), 'not-in-this-chat'] });
      // Deleted here at once; the relay is told by the flush (worker/cloud-actions-flush.ts).
      await flushActions(db, vault, ME, { changed: () => {}, refused: () => {} });
      expect(posted).toEqual([{ ids: [uuid(4)] }]);
    } finally {
      globalThis.fetch = fetchMock;
    }
    expect(await stored(db)).toBe(2);
    expect(await listed(db, vault)).toBe(2);

    // A timed photo opened and expired: burnt from the device, and from the count.
    await db.messages.update(uuid(5), { deadline: 5 });
    await purgeExpired(db, 10);
    expect(await db.messages.get(uuid(5))).toBeUndefined();
    expect(await listed(db, vault)).toBe(1);
    db.close();
  });

  it('are counted by the schema upgrade from version 5', async () => {
    const name = `unread-${n++}`;
    // The database as version 5 left it: no stored counts.
    const old = databaseAt(name, 5);
    await old.open();
    await old.table('meta').put({ key: 'session', value: { user: { id: ME }, device: { id: 'd', name: 'd' } } });
    await old.table('chats').put({ peerId: 'bob', peer: bob, lastAt: 0, myReadSeq: 2, readSentSeq: 2, peerReadSeq: 0 });
    const row = (i: number, senderId: string) => ({ id: uuid(i), peerId: 'bob', seq: i, senderId, createdAt: i, status: 'sent', box: new Uint8Array(1) });
    await old.table('messages').bulkPut([row(1, 'bob'), row(2, ME), row(3, 'bob'), row(4, ME), row(5, 'bob')]);
    old.close();

    const { db } = await openStore(name);
    expect(db.verno).toBeGreaterThanOrEqual(6);
    expect(await stored(db)).toBe(2);
    db.close();
  });
});
