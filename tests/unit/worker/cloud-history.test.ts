// Older cloud history read from the relay (rpc/cloud.ts `messages`, a page before what this device
// holds): the relay's copies are fetched and written under the sync's lock, so an update the log brings
// while the page is on its way (an edit, a delete) is never undone by the older copy the page carries.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CloudMessage, Update } from '$lib/api/wire';
import { messageView } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { cloudHandlers } from '$lib/worker/rpc/cloud';
import { SYNC_LOCK, tryLock, withLock } from '$lib/worker/locks';
import { unlockedStore } from '../support/store';
import { ME, msg, nextCursor, uuid } from '../support/cloud-updates';

let dbs = 0;

const relayMessage = (i: number): CloudMessage => ({
  id: uuid(i),
  peerId: 'bob',
  seq: i,
  senderId: 'bob',
  senderDeviceId: 'd',
  text: `text ${i}`,
  replyTo: null,
  createdAt: 1_000 + i
});

/**
 * A device holding messages 5–7 of the chat with Bob asks for a page of 5: the relay answers 3 and 4 as
 * they were when it read them, and `live` comes from the log while that answer is on its way. The sync
 * applies it under its lock (as applyLive does): at once if the lock is free, or as soon as it is.
 */
async function pageWhile(live: Update) {
  const { db, vault } = await unlockedStore(`cloud-history-${dbs++}`);
  await applyUpdates(db, vault, ME, [msg(5, 'bob'), msg(6, 'bob'), msg(7, 'bob')]);
  const asked: string[] = [];
  let synced: Promise<unknown> | undefined;
  vi.stubGlobal('fetch', async (path: string) => {
    asked.push(path);
    const apply = () => withLock(SYNC_LOCK, () => applyUpdates(db, vault, ME, [live]));
    if (await tryLock(SYNC_LOCK, async () => true)) await apply();
    else synced = apply();
    return Response.json({ messages: [relayMessage(3), relayMessage(4)] });
  });
  const ctx = { db, vault, me: ME, emit: () => {}, flush: async () => {}, sendFrame: () => {} };
  const page = await cloudHandlers.messages(ctx, { peerId: 'bob', limit: 5 });
  await synced;
  expect(asked).toEqual(['/api/cloud/chats/bob/messages?before=5&limit=2']);
  expect(page.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6, 7]);
  const view = async (i: number) => {
    const row = await db.messages.get(uuid(i));
    return row && messageView(vault, row, ME, 0);
  };
  return { db, view };
}

describe('older cloud history from the relay', () => {
  afterEach(() => vi.unstubAllGlobals());

  it("an edit the log brings while the page is on its way wins over the page's older copy", async () => {
    const { view } = await pageWhile({ kind: 'edit', cursor: nextCursor(), peerId: 'bob', id: uuid(4), text: 'edited by Bob', editedAt: 2_000 });
    expect(await view(4)).toMatchObject({ text: 'edited by Bob', edited: 2_000 });
    expect(await view(3)).toMatchObject({ text: 'text 3' });
  });

  it("a delete the log brings while the page is on its way is not undone by the page's copy", async () => {
    const { db, view } = await pageWhile({ kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: [uuid(4)] });
    expect(await view(4)).toBeUndefined();
    expect(await view(3)).toMatchObject({ text: 'text 3' });
    expect((await db.chats.get('bob'))?.unread).toBe(await db.messages.where('peerId').equals('bob').count());
  });
});
