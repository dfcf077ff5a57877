// Clear history / delete chat in cloud chats, on the device: a 'clear' update (my log only) takes the
// chat's messages up to its seq off this device (in the same batch too), with their pins and files and
// their unread count; an older copy never comes back, a later one shows; the cleared chat stays in the
// list, empty, and a deleted one leaves it until a later message. An older version keeps the update.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { Update } from '$lib/api/wire';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { KNOWN_KINDS } from '$lib/worker/cloud-kept';
import { chatViews } from '$lib/worker/cloud';
import { cloudClearHandlers } from '$lib/worker/rpc/cloud-clear';
import { unlockedStore } from '../support/store';
import { ME, msg, nextCursor, uuid } from '../support/cloud-updates';

let dbs = 0;
const clear = (upTo: number, removed = false): Update => ({ kind: 'clear', cursor: nextCursor(), peerId: 'bob', upTo, removed });
const ids = async (db: Awaited<ReturnType<typeof unlockedStore>>['db']) =>
  (await db.messages.where('peerId').equals('bob').toArray()).map((m) => m.seq).sort((a, b) => a - b);

describe('clearing a cloud chat on the device', () => {
  it('takes every message up to the seq, their pins and unread count; older copies stay away, later ones show; the chat stays listed', async () => {
    const { db, vault } = await unlockedStore(`cloud-clear-${dbs++}`);
    await applyUpdates(db, vault, ME, [msg(1, 'bob'), msg(2, ME), msg(3, 'bob'), { kind: 'pin', cursor: nextCursor(), peerId: 'bob', pins: [{ id: uuid(1), at: 5 }] }]);
    expect((await db.chats.get('bob'))?.unread).toBe(1);
    await db.cloudMedia.put({ messageId: uuid(3), peerId: 'bob' } as never);

    // A message of the same batch before the clear is never written.
    await applyUpdates(db, vault, ME, [msg(4, 'bob'), clear(4)]);
    expect(await ids(db)).toEqual([]);
    expect(await db.cloudMedia.get(uuid(3))).toBeUndefined();
    const chat = await db.chats.get('bob');
    expect(chat).toMatchObject({ clearedSeq: 4, unread: 0 });
    expect(chat?.pins).toBeUndefined();
    expect((await chatViews(db, vault, ME)).map((c) => [c.id, c.preview, c.unread])).toEqual([['bob', '', 0]]);

    // Replayed (an older copy, or the relay's echo of my own clear) changes nothing; a later message shows.
    await applyUpdates(db, vault, ME, [msg(2, ME), clear(2), msg(5, 'bob')]);
    expect(await ids(db)).toEqual([5]);
    expect((await db.chats.get('bob'))?.clearedSeq).toBe(4);
    expect((await chatViews(db, vault, ME)).map((c) => [c.id, c.preview, c.unread])).toEqual([['bob', 'text 5', 1]]);
  });

  it('a deleted chat leaves the list until a later message', async () => {
    const { db, vault } = await unlockedStore(`cloud-clear-${dbs++}`);
    await applyUpdates(db, vault, ME, [msg(11, 'bob', 1), msg(12, 'bob', 2)]);
    await applyUpdates(db, vault, ME, [clear(2, true)]);
    expect(await chatViews(db, vault, ME)).toEqual([]);
    await applyUpdates(db, vault, ME, [msg(12, 'bob', 2)]);
    expect(await chatViews(db, vault, ME)).toEqual([]);
    await applyUpdates(db, vault, ME, [msg(13, 'bob', 3)]);
    expect((await chatViews(db, vault, ME)).map((c) => c.preview)).toEqual(['text 13']);
    expect((await db.chats.get('bob'))?.removed).toBeUndefined();
  });

  it('is a kind this version applies (not kept for a later one)', () => {
    expect(KNOWN_KINDS).toContain('clear');
  });
});

describe('clearCloudChat (RPC)', () => {
  const ctxOf = (db: Awaited<ReturnType<typeof unlockedStore>>['db'], vault: Awaited<ReturnType<typeof unlockedStore>>['vault']) => ({
    db,
    vault,
    me: ME,
    emit: () => {}
  });

  it('asks the relay to clear up to its newest (no upTo), then clears this device; offline it says so and clears nothing', async () => {
    const { db, vault } = await unlockedStore(`cloud-clear-${dbs++}`);
    await applyUpdates(db, vault, ME, [msg(21, 'bob', 1), msg(22, ME, 2)]);
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(cloudClearHandlers.clearCloudChat(ctxOf(db, vault), { peerId: 'bob', forBoth: true, removeChat: false })).rejects.toMatchObject({
      code: 'offline',
      message: 'You are offline. Connect to clear this chat.'
    });
    expect(await ids(db)).toEqual([1, 2]);

    const sent: unknown[] = [];
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      sent.push([path, JSON.parse(String(init.body))]);
      return new Response(null, { status: 204 });
    });
    await cloudClearHandlers.clearCloudChat(ctxOf(db, vault), { peerId: 'bob', forBoth: true, removeChat: true });
    // No upTo: the relay clears up to its newest, a message this device has not synced yet too.
    expect(sent).toEqual([['/api/cloud/chats/bob/clear', { forBoth: true, removeChat: true }]]);
    expect(await ids(db)).toEqual([]);
    expect(await db.chats.get('bob')).toMatchObject({ clearedSeq: 2, removed: true });
    // That message, synced now, comes before the relay's own 'clear' update in my log: it never shows.
    await applyUpdates(db, vault, ME, [msg(23, 'bob', 3), clear(3, true)]);
    expect(await ids(db)).toEqual([]);
    expect(await chatViews(db, vault, ME)).toEqual([]);
    vi.unstubAllGlobals();
  });
});
