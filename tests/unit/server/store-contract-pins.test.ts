/**
 * The storage contract of pinned cloud messages (CloudPinStore, migration 12) on every backend: a pin
 * per message shared by the chat, one 'pin' update per member, the limit counted in the transaction,
 * and a pin gone with its deleted message. What an account's deletion does to pins is in
 * store-account.test.ts, beside what it does to reactions.
 */
import { expect, it } from 'vitest';
import { eachStore, mkUser, send, T0 } from './store-fixtures';

eachStore('store contract, pinned messages', (t) => {
  it('pins and unpins a live message of the chat for both members, a pin update each; repeats change nothing', async () => {
    const a = await mkUser(t.store);
    const b = await mkUser(t.store);
    await send(t.store, a, b, 'p-1');
    await send(t.store, b, a, 'p-2');
    const ab = (await t.store.getChat(a.user.id, b.user.id))!;
    const r = await t.store.pinMessage(ab.id, 'p-1', b.user.id, true, T0 + 1, 20);
    if (!r || r === 'too_many_pinned') throw new Error('pin refused');
    expect(r.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id].sort());
    expect(await t.store.getUpdate(r.updates[0].cursor)).toMatchObject({ kind: 'pin', data: 'p-1', chat: { id: ab.id } });
    expect(await t.store.pinMessage(ab.id, 'p-1', a.user.id, true, T0 + 2, 20)).toEqual({ updates: [] });
    await t.store.pinMessage(ab.id, 'p-2', a.user.id, true, T0 + 3, 20);
    expect(await t.store.listPins(ab.id)).toEqual([
      { chatId: ab.id, messageId: 'p-2', pinnedBy: a.user.id, at: T0 + 3 },
      { chatId: ab.id, messageId: 'p-1', pinnedBy: b.user.id, at: T0 + 1 }
    ]);
    expect((await t.store.pinMessage(ab.id, 'p-1', a.user.id, false, T0 + 4, 20)) as { updates: unknown[] }).toMatchObject({ updates: [{}, {}] });
    expect(await t.store.pinMessage(ab.id, 'p-1', a.user.id, false, T0 + 5, 20)).toEqual({ updates: [] });
    expect((await t.store.listPins(ab.id)).map((p) => p.messageId)).toEqual(['p-2']);
    expect((await t.store.listUpdates(a.user.id, 0, 100)).map((u) => u.kind)).toEqual(['message', 'message', 'pin', 'pin', 'pin']);
  });

  it("refuses another chat's message, none, a deleted one, and a pin past the limit; a deleted message loses its pin", async () => {
    const a = await mkUser(t.store);
    const b = await mkUser(t.store);
    const c = await mkUser(t.store);
    for (const id of ['q-1', 'q-2', 'q-3']) await send(t.store, a, b, id);
    await send(t.store, a, c, 'q-other');
    const ab = (await t.store.getChat(a.user.id, b.user.id))!;
    expect(await t.store.pinMessage(ab.id, 'q-other', a.user.id, true, T0, 2)).toBeNull();
    expect(await t.store.pinMessage(ab.id, 'nope', a.user.id, true, T0, 2)).toBeNull();
    await t.store.pinMessage(ab.id, 'q-1', a.user.id, true, T0 + 1, 2);
    await t.store.pinMessage(ab.id, 'q-2', a.user.id, true, T0 + 2, 2);
    expect(await t.store.pinMessage(ab.id, 'q-3', a.user.id, true, T0 + 3, 2)).toBe('too_many_pinned');
    await t.store.deleteMessages(ab.id, ['q-2']);
    expect((await t.store.listPins(ab.id)).map((p) => p.messageId)).toEqual(['q-1']);
    expect(await t.store.pinMessage(ab.id, 'q-2', a.user.id, true, T0 + 4, 2)).toBeNull();
    // Room again once the deleted one's pin went.
    expect(await t.store.pinMessage(ab.id, 'q-3', b.user.id, true, T0 + 5, 2)).toMatchObject({ updates: [{}, {}] });
  });
});
