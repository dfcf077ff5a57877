/**
 * The batch look-ups behind presence (../../../src/lib/server/last-seen.ts) on SQLite and PostgreSQL
 * alike: many users' rows, blocks both ways, shared chats, a user's partners as a fan-out needs them,
 * and the one-statement refresh of several users' last seen that never moves one back.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { DAY, eachStore, mkUser, send, T0 } from './store-fixtures';

eachStore('store contract: presence batches', (t) => {
  const world = async () => {
    const [me, partner, hider, blocked, blocker, stranger, gone] = await Promise.all(Array.from({ length: 7 }, () => mkUser(t.store)));
    for (const p of [partner, hider, blocked, blocker, gone]) await send(t.store, me, p);
    await send(t.store, me, me); // Saved Messages: a chat with myself makes no peer
    await t.store.setLastSeenPrivacy(hider.user.id, 'nobody');
    await t.store.block(me.user.id, blocked.user.id, T0, 100);
    await t.store.block(blocker.user.id, me.user.id, T0, 100);
    await t.store.block(me.user.id, stranger.user.id, T0, 100);
    await t.store.deleteAccount(gone.user.id, T0 + DAY, T0 + 30 * DAY, (fromDeviceId, toDeviceId) => ({
      id: randomUUID(),
      toDeviceId,
      fromDeviceId,
      fromUserId: gone.user.id,
      body: Buffer.from('x'),
      createdAt: T0 + DAY,
      expiresAt: T0 + 8 * DAY,
      requestId: null
    }));
    return { me, partner, hider, blocked, blocker, stranger, gone };
  };

  it('getUsers: the rows of the ids that exist, deleted ones too, in one call; none for none', async () => {
    const w = await world();
    const rows = await t.store.getUsers([w.partner.user.id, w.gone.user.id, 'no-such-user', w.partner.user.id]);
    expect(rows.map((r) => r.id).sort()).toEqual([w.partner.user.id, w.gone.user.id].sort());
    expect(rows.find((r) => r.id === w.partner.user.id)).toEqual(await t.store.getUser(w.partner.user.id));
    expect(rows.find((r) => r.id === w.gone.user.id)?.deletedAt).toBeTypeOf('number');
    expect(await t.store.getUsers([])).toEqual([]);
  });

  it('blocksWith: who of them blocked me and whom of them I blocked, only among those asked', async () => {
    const w = await world();
    const ids = [w.partner, w.blocked, w.blocker, 'none'].map((x) => (typeof x === 'string' ? x : x.user.id));
    expect(await t.store.blocksWith(w.me.user.id, ids)).toEqual({ blockedBy: [w.blocker.user.id], blocked: [w.blocked.user.id] });
    expect(await t.store.blocksWith(w.me.user.id, [w.partner.user.id])).toEqual({ blockedBy: [], blocked: [] });
    expect(await t.store.blocksWith(w.blocker.user.id, [w.me.user.id])).toEqual({ blockedBy: [], blocked: [w.me.user.id] });
    expect(await t.store.blocksWith(w.me.user.id, [])).toEqual({ blockedBy: [], blocked: [] });
  });

  it('sharedChats: which of them share a used chat with me (not myself), as cloudPeers counts them', async () => {
    const w = await world();
    const asked = [w.me, w.partner, w.hider, w.stranger].map((x) => x.user.id);
    expect((await t.store.sharedChats(w.me.user.id, asked)).sort()).toEqual([w.partner.user.id, w.hider.user.id].sort());
    const peers = await t.store.cloudPeers(w.me.user.id);
    expect((await t.store.sharedChats(w.me.user.id, [...peers, w.stranger.user.id])).sort()).toEqual(peers);
    expect(await t.store.sharedChats(w.stranger.user.id, asked)).toEqual([]);
    expect(await t.store.sharedChats(w.me.user.id, [])).toEqual([]);
  });

  it('peerAudience: my live partners, each with whether they hide their own last seen and whether I blocked them', async () => {
    const w = await world();
    const expected = [
      { peerId: w.partner.user.id, hidesOwn: false, blockedByUser: false },
      { peerId: w.hider.user.id, hidesOwn: true, blockedByUser: false },
      { peerId: w.blocked.user.id, hidesOwn: false, blockedByUser: true },
      { peerId: w.blocker.user.id, hidesOwn: false, blockedByUser: false }
    ].sort((a, b) => (a.peerId < b.peerId ? -1 : 1));
    expect(await t.store.peerAudience(w.me.user.id)).toEqual(expected);
    expect(await t.store.peerAudience(w.stranger.user.id)).toEqual([]);
  });

  it('refreshLastSeen: one call sets the time of every live user listed whose stored one is older, never moving one back', async () => {
    const w = await world();
    await t.store.setLastSeenAt(w.partner.user.id, T0 + 10 * DAY);
    const ids = [w.me, w.partner, w.hider, w.gone].map((x) => x.user.id);
    expect(await t.store.refreshLastSeen([...ids, 'no-such-user'], T0 + 5 * DAY)).toBe(2); // me, hider: none stored yet
    const at = async (id: string) => (await t.store.getUser(id))?.lastSeenAt ?? null;
    expect(await at(w.me.user.id)).toBe(T0 + 5 * DAY);
    expect(await at(w.partner.user.id)).toBe(T0 + 10 * DAY);
    expect(await at(w.gone.user.id)).toBeNull();
    expect(await t.store.refreshLastSeen(ids, T0 + 11 * DAY)).toBe(3);
    for (const id of [w.me, w.partner, w.hider].map((x) => x.user.id)) expect(await at(id)).toBe(T0 + 11 * DAY);
    expect(await at(w.stranger.user.id)).toBeNull();
    expect(await t.store.refreshLastSeen([], T0 + 12 * DAY)).toBe(0);
  });
});
