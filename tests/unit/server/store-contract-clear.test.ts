/**
 * The storage contract of clearing a cloud chat (migration 15) on every backend: clearForMe keeps my
 * cleared seq (capped, never lowered) and `removed`, one 'clear' row in my log only; clearMessages
 * deletes a long history for both in one transaction with one 'delete' row per member naming every id,
 * not one row per message.
 */
import { expect, it } from 'vitest';
import { eachStore, mkUser, send } from './store-fixtures';

eachStore('store contract, clearing a chat', (t) => {
  it('clearForMe: my seq (capped at the last, never lowered) and removed, one clear row in my log only', async () => {
    const a = await mkUser(t.store);
    const b = await mkUser(t.store);
    for (const id of ['c-1', 'c-2', 'c-3']) await send(t.store, a, b, id);
    const chat = (await t.store.getChat(a.user.id, b.user.id))!;
    const r = await t.store.clearForMe(chat.id, a.user.id, 99, false);
    expect(r).toMatchObject({ clearedSeq: 3, removed: false, updates: [{ userId: a.user.id }] });
    expect(await t.store.getUpdate(r.updates[0].cursor)).toMatchObject({ kind: 'clear', data: JSON.stringify({ upTo: 3, removed: false }) });
    expect(await t.store.clearForMe(chat.id, a.user.id, 1, false)).toEqual({ clearedSeq: 3, removed: false, updates: [] });
    expect((await t.store.clearForMe(chat.id, a.user.id, 1, true)).updates).toHaveLength(1);
    expect(await t.store.getClearedSeq(chat.id, a.user.id)).toBe(3);
    expect(await t.store.getClearedSeq(chat.id, b.user.id)).toBe(0);
    expect(await t.store.listMessages(chat.id, null, 50, 3)).toEqual([]);
    expect((await t.store.listMessages(chat.id, null, 50)).map((m) => m.id)).toEqual(['c-1', 'c-2', 'c-3']);
    // Removed: out of my list while nothing is above my seq; my settings (pin, mute) untouched.
    expect(await t.store.listChats(a.user.id)).toEqual([]);
    expect((await t.store.listChats(b.user.id)).map((c) => c.lastMessage?.id)).toEqual(['c-3']);
    await send(t.store, b, a, 'c-4');
    expect((await t.store.listChats(a.user.id)).map((c) => [c.lastMessage?.id, c.unread, c.clearedSeq])).toEqual([['c-4', 1, 3]]);
    expect(await t.store.getChatSettings(chat.id, a.user.id)).toEqual({ pinnedAt: null, mutedUntil: null, archived: false, markedUnread: false });
    expect((await t.store.listUpdates(b.user.id, 0, 100)).map((u) => u.kind)).toEqual(['message', 'message', 'message', 'message']);
  });

  it('clearMessages: a long history deleted for both with one delete row per member', async () => {
    const a = await mkUser(t.store);
    const b = await mkUser(t.store);
    const ids = Array.from({ length: 600 }, (_, i) => `long-${i}`);
    for (const id of ids) await send(t.store, a, b, id);
    const chat = (await t.store.getChat(a.user.id, b.user.id))!;
    const before = (await t.store.listUpdates(a.user.id, 0, 1000)).length;
    const r = await t.store.clearMessages(chat.id, 590);
    expect(r.ids).toEqual(ids.slice(0, 590));
    expect(r.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id].sort());
    expect(await t.store.getUpdate(r.updates[0].cursor)).toMatchObject({ kind: 'delete', data: JSON.stringify(ids.slice(0, 590)) });
    expect((await t.store.listUpdates(a.user.id, 0, 1000)).length).toBe(before + 1);
    expect((await t.store.listMessages(chat.id, null, 50)).map((m) => m.id)).toEqual(ids.slice(590));
    expect(await t.store.clearMessages(chat.id, 590)).toEqual({ ids: [], updates: [] });
  });
});
