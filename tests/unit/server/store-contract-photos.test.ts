/**
 * The storage contract of profile photos (PhotoStore, migration 18) on every backend: versions never
 * reused (a removed photo's neither), the row replaced, one 'profile' update per chat partner and one in
 * my own log (through my own chat, made empty when there is none) in the same transaction, none for a removal of nothing, and gone with the account.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { eachStore, mkUser, T0, DAY } from './store-fixtures';

const sealed = (tag: string) => ({ type: 'image/jpeg', seal: (v: number) => Buffer.from(`${tag}:${v}`) });

eachStore('store contract, profile photos', (t) => {
  it('sets under a new version each time, replaces the row, removes it keeping the count, announces to chat partners', async () => {
    const [a, b, c, d] = [await mkUser(t.store), await mkUser(t.store), await mkUser(t.store), await mkUser(t.store)];
    await t.store.sendMessage({ id: randomUUID(), senderId: a.user.id, senderDeviceId: a.device.id, recipientId: b.user.id, body: Buffer.from('x'), createdAt: T0 });
    await t.store.sendMessage({ id: randomUUID(), senderId: c.user.id, senderDeviceId: c.device.id, recipientId: a.user.id, body: Buffer.from('x'), createdAt: T0 });
    await t.store.sendMessage({ id: randomUUID(), senderId: a.user.id, senderDeviceId: a.device.id, recipientId: a.user.id, body: Buffer.from('x'), createdAt: T0 });

    const one = await t.store.setPhoto(a.user.id, sealed('one'));
    expect(one.photo).toBe(1);
    expect(one.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id, c.user.id].sort());
    expect((await t.store.getUser(a.user.id))?.photo).toBe(1);
    expect(await t.store.getPhoto(a.user.id)).toEqual({ version: 1, type: 'image/jpeg', body: Buffer.from('one:1') });
    const row = await t.store.getUpdate(one.updates.find((u) => u.userId === b.user.id)!.cursor);
    expect([row?.kind, row?.data]).toEqual(['profile', a.user.id]);

    expect((await t.store.setPhoto(a.user.id, { ...sealed('two'), type: 'image/webp' })).photo).toBe(2);
    expect(await t.store.getPhoto(a.user.id)).toEqual({ version: 2, type: 'image/webp', body: Buffer.from('two:2') });

    expect((await t.store.setPhoto(a.user.id, null)).updates).toHaveLength(3);
    expect((await t.store.getUser(a.user.id))?.photo).toBeUndefined();
    expect(await t.store.getPhoto(a.user.id)).toBeNull();
    expect(await t.store.setPhoto(a.user.id, null)).toEqual({ photo: null, updates: [] });
    expect((await t.store.setPhoto(a.user.id, sealed('three'))).photo).toBe(3);

    // Without chats: only to my own log (through my own chat, made empty: in no list). `only`: one partner.
    const alone = await t.store.setPhoto(d.user.id, sealed('d'));
    expect(alone.updates.map((u) => u.userId)).toEqual([d.user.id]);
    expect(await t.store.getUpdate(alone.updates[0].cursor)).toMatchObject({
      kind: 'profile',
      data: d.user.id,
      chat: { userA: d.user.id, userB: d.user.id, nextSeq: 1 }
    });
    expect(await t.store.listChats(d.user.id)).toEqual([]);
    expect((await t.store.announceProfile(d.user.id)).map((u) => u.userId)).toEqual([d.user.id]);
    expect((await t.store.announceProfile(a.user.id, b.user.id)).map((u) => u.userId)).toEqual([b.user.id]);
  });

  it("goes with the account's deletion", async () => {
    const a = await mkUser(t.store);
    await t.store.setPhoto(a.user.id, sealed('a'));
    await t.store.deleteAccount(a.user.id, T0 + DAY, T0 + 31 * DAY, () => {
      throw new Error('no secret contacts');
    });
    expect(await t.store.getPhoto(a.user.id)).toBeNull();
    expect((await t.store.getUser(a.user.id))?.photo).toBeUndefined();
    expect(await t.store.setPhoto(a.user.id, sealed('again'))).toEqual({ photo: null, updates: [] });
  });
});
