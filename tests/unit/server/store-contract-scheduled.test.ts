/**
 * The storage contract of scheduled messages (migration 17) on every backend: created per sender and
 * chat (the chat made when new; idempotent by id; at most `max`), listed by time, edited (version up,
 * failure cleared), deleted, failed only at the version read; each change one 'scheduled' row in the
 * sender's log only; a send naming the row deletes it in the same transaction, and only once (a second
 * send, or one at an old version, stores nothing).
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { eachStore, mkUser, msgInput, T0, type Account } from './store-fixtures';

const row = (from: Account, to: Account, id: string = randomUUID(), at = T0 + 60_000) => ({
  id,
  senderId: from.user.id,
  recipientId: to.user.id,
  senderDeviceId: from.device.id,
  body: Buffer.from('sealed'),
  at,
  createdAt: T0
});

eachStore('store contract, scheduled messages', (t) => {
  it('create, list, edit, fail, delete: one scheduled row in the sender log each', async () => {
    const a = await mkUser(t.store);
    const b = await mkUser(t.store);
    const first = await t.store.createScheduled(row(a, b, 's-1', T0 + 90_000), b.user.id, 2);
    if (typeof first === 'string') throw new Error(first);
    expect(first.created).toBe(true);
    expect(first.row).toMatchObject({ id: 's-1', senderId: a.user.id, recipientId: b.user.id, version: 1, failed: null });
    expect(first.updates).toEqual([expect.objectContaining({ userId: a.user.id })]);
    expect(await t.store.getUpdate(first.updates[0].cursor)).toMatchObject({ kind: 'scheduled', data: 's-1' });
    // The chat exists now (empty); the peer's log has nothing.
    const chat = (await t.store.getChat(a.user.id, b.user.id))!;
    expect(await t.store.listUpdates(b.user.id, 0, 10)).toEqual([]);
    // Nor in either chat list until a message is sent in it (the peer must not learn of it).
    expect(await t.store.listChats(b.user.id)).toEqual([]);
    expect(await t.store.listChats(a.user.id)).toEqual([]);
    expect(await t.store.createScheduled(row(a, b, 's-1'), b.user.id, 2)).toMatchObject({ created: false, updates: [] });
    expect(await t.store.createScheduled(row(b, a, 's-1'), a.user.id, 2)).toBe('id_conflict');
    await t.store.createScheduled(row(a, b, 's-2', T0 + 30_000), b.user.id, 2);
    expect(await t.store.createScheduled(row(a, b, 's-3'), b.user.id, 2)).toBe('too_many');
    expect((await t.store.listScheduled(a.user.id, chat.id)).map((r) => r.id)).toEqual(['s-2', 's-1']);
    expect(await t.store.nextScheduledAt()).toBe(T0 + 30_000);
    expect((await t.store.dueScheduled(T0 + 60_000, 10)).map((r) => r.id)).toEqual(['s-2']);

    expect(await t.store.failScheduled('s-2', 1, 'blocked')).toMatchObject({ updates: [{ userId: a.user.id }] });
    expect(await t.store.failScheduled('s-2', 1, 'again')).toBeNull();
    expect(await t.store.getScheduled('s-2')).toMatchObject({ failed: 'blocked', version: 2 });
    expect(await t.store.dueScheduled(T0 + 60_000, 10)).toEqual([]);
    expect(await t.store.nextScheduledAt()).toBe(T0 + 90_000);

    const edited = await t.store.editScheduled('s-2', a.user.id, { at: T0 + 120_000, body: Buffer.from('new') });
    expect(edited?.row).toMatchObject({ at: T0 + 120_000, failed: null, version: 3, body: Buffer.from('new') });
    expect(await t.store.editScheduled('s-2', b.user.id, { at: 1 })).toBeNull();
    expect(await t.store.deleteScheduled('s-2', b.user.id)).toBeNull();
    expect((await t.store.deleteScheduled('s-2', a.user.id))?.updates).toHaveLength(1);
    expect(await t.store.getScheduled('s-2')).toBeNull();
    expect((await t.store.listUpdates(a.user.id, 0, 20)).map((u) => u.kind)).toEqual(['scheduled', 'scheduled', 'scheduled', 'scheduled', 'scheduled']);
  });

  it('a failed row failing again (send now) takes the new reason at its version; the same reason changes nothing', async () => {
    const a = await mkUser(t.store);
    const b = await mkUser(t.store);
    const made = await t.store.createScheduled(row(a, b, 's-again'), b.user.id, 10);
    if (typeof made === 'string') throw new Error(made);
    expect(await t.store.failScheduled('s-again', 1, 'blocked')).toMatchObject({ updates: [{ userId: a.user.id }] });
    expect(await t.store.failScheduled('s-again', 2, 'you blocked')).toMatchObject({ updates: [{ userId: a.user.id }] });
    expect(await t.store.getScheduled('s-again')).toMatchObject({ failed: 'you blocked', version: 3 });
    expect(await t.store.failScheduled('s-again', 3, 'you blocked')).toBeNull();
    expect(await t.store.failScheduled('s-again', 2, 'other')).toBeNull();
    expect(await t.store.getScheduled('s-again')).toMatchObject({ failed: 'you blocked', version: 3 });
    expect((await t.store.listUpdates(a.user.id, 0, 20)).map((u) => u.kind)).toEqual(['scheduled', 'scheduled', 'scheduled']);
  });

  it('a send naming the row takes it in the same transaction, once, and only at its version', async () => {
    const a = await mkUser(t.store);
    const b = await mkUser(t.store);
    const made = await t.store.createScheduled(row(a, b, randomUUID()), b.user.id, 100);
    if (typeof made === 'string') throw new Error(made);
    const id = made.row.id;
    expect(await t.store.sendMessage({ ...msgInput(a, b, id), scheduled: { id, version: 2 } })).toEqual({ ok: false, reason: 'scheduled_gone' });
    expect(await t.store.getMessage(id)).toBeNull();
    const sent = await t.store.sendMessage({ ...msgInput(a, b, id), scheduled: { id, version: 1 } });
    expect(sent).toMatchObject({ ok: true, created: true });
    if (!sent.ok) throw new Error('not sent');
    expect(sent.updates.map((u) => u.userId).sort()).toEqual([a.user.id, a.user.id, b.user.id].sort());
    expect(await t.store.getScheduled(id)).toBeNull();
    expect(await t.store.sendMessage({ ...msgInput(a, b, id), scheduled: { id, version: 1 } })).toEqual({ ok: false, reason: 'scheduled_gone' });
    // A send refused after the row was taken (an id another message holds) puts the row back.
    const other = await t.store.createScheduled(row(a, b, randomUUID()), b.user.id, 100);
    if (typeof other === 'string') throw new Error(other);
    const c = await mkUser(t.store);
    await t.store.sendMessage(msgInput(c, b, 'taken-id'));
    expect(await t.store.sendMessage({ ...msgInput(a, b, 'taken-id'), scheduled: { id: other.row.id, version: 1 } })).toEqual({ ok: false, reason: 'id_conflict' });
    expect(await t.store.getScheduled(other.row.id)).toMatchObject({ version: 1 });
  });
});
