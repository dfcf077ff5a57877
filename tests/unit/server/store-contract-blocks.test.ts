/**
 * The storage contract of block lists (BlockStore, migration 13) on every backend: a block per pair and
 * direction, its first time kept on a repeat, the limit counted in the transaction, the list newest
 * first with the blocked users' rows, both directions told apart, and both sides of an account's
 * blocks gone with its deletion (those who had blocked it named, so their devices are told).
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { eachStore, mkUser, T0, DAY } from './store-fixtures';

eachStore('store contract, blocked users', (t) => {
  it('blocks once per pair (a repeat keeps the first time), lists newest first, tells both directions apart, unblocks', async () => {
    const [a, b, c] = [await mkUser(t.store), await mkUser(t.store), await mkUser(t.store)];
    expect(await t.store.block(a.user.id, b.user.id, T0 + 1, 10)).toEqual({ created: true, at: T0 + 1 });
    expect(await t.store.block(a.user.id, b.user.id, T0 + 5, 10)).toEqual({ created: false, at: T0 + 1 });
    expect(await t.store.block(a.user.id, c.user.id, T0 + 2, 10)).toEqual({ created: true, at: T0 + 2 });
    const list = await t.store.listBlocked(a.user.id);
    expect(list.map((r) => [r.user.id, r.user.username, r.at])).toEqual([
      [c.user.id, c.user.username, T0 + 2],
      [b.user.id, b.user.username, T0 + 1]
    ]);
    expect(await t.store.listBlocked(b.user.id)).toEqual([]);
    expect(await t.store.blockedBetween(a.user.id, b.user.id)).toEqual({ aBlockedB: true, bBlockedA: false });
    expect(await t.store.blockedBetween(b.user.id, a.user.id)).toEqual({ aBlockedB: false, bBlockedA: true });
    await t.store.block(b.user.id, a.user.id, T0 + 3, 10);
    expect(await t.store.blockedBetween(a.user.id, b.user.id)).toEqual({ aBlockedB: true, bBlockedA: true });
    expect(await t.store.blockedBetween(b.user.id, c.user.id)).toEqual({ aBlockedB: false, bBlockedA: false });

    expect(await t.store.unblock(a.user.id, b.user.id)).toBe(true);
    expect(await t.store.unblock(a.user.id, b.user.id)).toBe(false);
    expect(await t.store.blockedBetween(a.user.id, b.user.id)).toEqual({ aBlockedB: false, bBlockedA: true });
    expect((await t.store.listBlocked(a.user.id)).map((r) => r.user.id)).toEqual([c.user.id]);
    // Blocked again: a new time.
    expect(await t.store.block(a.user.id, b.user.id, T0 + 9, 10)).toEqual({ created: true, at: T0 + 9 });
  });

  it('refuses a block past the limit, counted in the transaction (two nodes at once cannot pass it)', async () => {
    const a = await mkUser(t.store);
    const others = [];
    for (let i = 0; i < 4; i++) others.push(await mkUser(t.store));
    const other = await t.h.open();
    const r = await Promise.all(others.map((o, i) => (i % 2 ? other : t.store).block(a.user.id, o.user.id, T0 + i, 3)));
    expect(r.filter((x) => x === 'too_many_blocked')).toHaveLength(1);
    expect(await t.store.listBlocked(a.user.id)).toHaveLength(3);
    // A repeat of one blocked already is no new block: fine at the limit.
    const kept = (await t.store.listBlocked(a.user.id))[0];
    expect(await t.store.block(a.user.id, kept.user.id, T0 + 9, 3)).toEqual({ created: false, at: kept.at });
  });

  it("an account's deletion removes the blocks it made and those of it, naming who had blocked it", async () => {
    const [a, b, c] = [await mkUser(t.store), await mkUser(t.store), await mkUser(t.store)];
    await t.store.block(a.user.id, b.user.id, T0, 10);
    await t.store.block(b.user.id, c.user.id, T0, 10);
    await t.store.block(c.user.id, b.user.id, T0, 10);
    await t.store.block(a.user.id, c.user.id, T0, 10);
    const gone = await t.store.deleteAccount(b.user.id, T0 + DAY, T0 + 31 * DAY, (fromDeviceId, toDeviceId) => ({
      id: randomUUID(),
      toDeviceId,
      fromDeviceId,
      fromUserId: b.user.id,
      body: Buffer.from('x'),
      createdAt: T0,
      expiresAt: T0 + DAY,
      requestId: null
    }));
    expect(gone?.blockedBy.sort()).toEqual([a.user.id, c.user.id].sort());
    expect(await t.store.listBlocked(b.user.id)).toEqual([]);
    expect((await t.store.listBlocked(a.user.id)).map((r) => r.user.id)).toEqual([c.user.id]);
    expect(await t.store.listBlocked(c.user.id)).toEqual([]);
    expect(await t.store.blockedBetween(b.user.id, c.user.id)).toEqual({ aBlockedB: false, bBlockedA: false });
  });
});
