/**
 * The storage contract of account deletion (AccountStore), on SQLite and PostgreSQL alike: one deletion
 * removes every listed thing of the user and nothing of anyone else, quarantines the username, queues
 * the secret-chat notices, and the auto-delete query picks exactly the accounts away too long (the clock
 * is a parameter, so the sweep's time is injected).
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { NewEnvelope, Store } from '../../../src/lib/server/store/types';
import { eachStore, DAY, env, mkDevice, mkUser, send, T0, type Account } from './store-fixtures';

const MONTH = 30 * DAY;
/** An envelope to `to` from one of `from`'s devices. */
const envelope = (to: string, from: Account, fromDeviceId = from.device.id, over: Partial<NewEnvelope> = {}) => env(to, from, { fromDeviceId, ...over });

const notice =
  (userId: string) =>
  (fromDeviceId: string, toDeviceId: string): NewEnvelope => ({
    id: randomUUID(),
    toDeviceId,
    fromDeviceId,
    fromUserId: userId,
    body: Buffer.from('sealed-empty'),
    createdAt: T0 + DAY,
    expiresAt: T0 + 8 * DAY,
    requestId: null
  });

/** Alice and Bob with a cloud chat: Bob's `from-bob`, Alice's `from-alice`, then `moreOfBob` (Bob's too). */
async function aliceAndBob(store: Store, ...moreOfBob: string[]) {
  const alice = await mkUser(store);
  const bob = await mkUser(store);
  await send(store, bob, alice, 'from-bob');
  await send(store, alice, bob, 'from-alice');
  for (const id of moreOfBob) await send(store, bob, alice, id);
  return { alice, bob, ab: (await store.getChat(alice.user.id, bob.user.id))! };
}

eachStore('account store', (t) => {
  it("deletes everything of the account and nothing of anyone else's, and tells its secret-chat peers", async () => {
    const alice = await mkUser(t.store);
    const alice2 = await mkDevice(t.store, alice.user.id);
    const bob = await mkUser(t.store);
    const carol = await mkUser(t.store);

    // Cloud: Alice ↔ Bob both ways, Bob ↔ Carol untouched.
    const a1 = await send(t.store, alice, bob);
    const a2 = await send(t.store, alice, bob);
    const b1 = await send(t.store, bob, alice);
    const bc = await send(t.store, bob, carol);
    if (!a1.ok || !a2.ok || !b1.ok || !bc.ok) throw new Error('send failed');
    const bobCursor = await t.store.latestCursor(bob.user.id);

    // Media: one attached to Alice's message, one unattached upload; Bob's stays.
    const meta = Buffer.from('m');
    await t.store.createCloudMedia({
      id: 'm-alice-att',
      ownerUserId: alice.user.id,
      ownerDeviceId: alice.device.id,
      toUserId: bob.user.id,
      meta,
      size: 5,
      createdAt: T0
    });
    const withMedia = await t.store.sendMessage({
      id: randomUUID(),
      senderId: alice.user.id,
      senderDeviceId: alice.device.id,
      recipientId: bob.user.id,
      body: Buffer.from('x'),
      createdAt: T0,
      media: { id: 'm-alice-att', ttl: 0 }
    });
    expect(withMedia.ok).toBe(true);
    await t.store.createCloudMedia({ id: 'm-alice-up', ownerUserId: alice.user.id, ownerDeviceId: alice2.id, toUserId: carol.user.id, meta, size: 5, createdAt: T0 });
    await t.store.createCloudMedia({ id: 'm-bob', ownerUserId: bob.user.id, ownerDeviceId: bob.device.id, toUserId: alice.user.id, meta, size: 5, createdAt: T0 });

    // Secret: envelopes both ways (recorded as contacts), a request from Alice to Carol, one from Carol to Alice.
    expect((await t.store.putEnvelope(envelope(bob.device.id, alice))).ok).toBe(true);
    expect((await t.store.putEnvelope(envelope(alice.device.id, bob))).ok).toBe(true);
    expect((await t.store.putEnvelope(envelope(carol.device.id, bob))).ok).toBe(true);
    await t.store.noteSecretContact(alice.device.id, bob.device.id, T0);
    await t.store.noteSecretContact(bob.device.id, alice2.id, T0);
    await t.store.noteSecretContact(bob.device.id, carol.device.id, T0);
    const reqToCarol = randomUUID();
    expect((await t.store.putEnvelope(envelope(carol.device.id, alice, alice2.id, { requestId: reqToCarol }), { toUserId: carol.user.id })).ok).toBe(true);
    const reqToAlice = randomUUID();
    expect((await t.store.putEnvelope(envelope(alice2.id, carol, carol.device.id, { requestId: reqToAlice }), { toUserId: alice.user.id })).ok).toBe(true);

    // Blobs from Alice, to Alice's device, and Bob's to Carol (stays).
    expect(
      await t.store.createBlob(
        { id: 'b-alice', ownerDeviceId: alice.device.id, ownerUserId: alice.user.id, toDeviceId: bob.device.id, size: 3, createdAt: T0, expiresAt: T0 + DAY },
        1e9,
        T0
      )
    ).toBe(true);
    expect(
      await t.store.createBlob(
        { id: 'b-to-alice', ownerDeviceId: bob.device.id, ownerUserId: bob.user.id, toDeviceId: alice2.id, size: 3, createdAt: T0, expiresAt: T0 + DAY },
        1e9,
        T0
      )
    ).toBe(true);
    expect(
      await t.store.createBlob(
        { id: 'b-bob', ownerDeviceId: bob.device.id, ownerUserId: bob.user.id, toDeviceId: carol.device.id, size: 3, createdAt: T0, expiresAt: T0 + DAY },
        1e9,
        T0
      )
    ).toBe(true);

    // Push and wake-ups on both of Alice's devices and Bob's.
    for (const d of [alice.device.id, alice2.id, bob.device.id]) {
      await t.store.setPushSubscription({ deviceId: d, endpoint: `https://push.example/${d}`, p256dh: 'k', auth: 'a', createdAt: T0 });
      expect(await t.store.addWakeups(d, [T0 + DAY], 100)).toBe(true);
    }
    await t.store.rememberKnownDevice(alice.user.id, 'known-hash', null, T0, 20);

    const gone = await t.store.deleteAccount(alice.user.id, T0 + DAY, T0 + 31 * DAY, notice(alice.user.id));
    expect(gone).not.toBeNull();
    expect(new Set(gone!.liveDeviceIds)).toEqual(new Set([alice.device.id, alice2.id]));
    expect(new Set(gone!.media)).toEqual(new Set(['m-alice-att', 'm-alice-up']));
    expect(new Set(gone!.blobs)).toEqual(new Set(['b-alice', 'b-to-alice']));

    // Devices and sessions: revoked, none listed, the sessions no longer live.
    expect(await t.store.listDevices(alice.user.id)).toEqual([]);
    expect((await t.store.getDevice(alice.device.id))!.revokedAt).toBe(T0 + DAY);
    expect((await t.store.getDevice(alice.device.id))!.name).toBe('');

    // Cloud: Alice's messages deleted for Bob through his log; Bob's own message and Bob ↔ Carol intact.
    const chat = await t.store.getChat(alice.user.id, bob.user.id);
    const left = await t.store.listMessages(chat!.id, null, 50);
    expect(left.map((m) => m.id)).toEqual([b1.message.id]);
    const bobUpdates = await t.store.listUpdates(bob.user.id, bobCursor, 50);
    const deleted = bobUpdates.filter((u) => u.kind === 'delete').flatMap((u) => JSON.parse(u.data) as string[]);
    expect(new Set(deleted)).toEqual(new Set([a1.message.id, a2.message.id, withMedia.ok ? withMedia.message.id : '']));
    expect(gone!.updates.every((u) => u.userId === bob.user.id)).toBe(true);
    expect(await t.store.listUpdates(alice.user.id, 0, 50)).toEqual([]);
    const carolChat = await t.store.getChat(bob.user.id, carol.user.id);
    expect((await t.store.listMessages(carolChat!.id, null, 50)).map((m) => m.id)).toEqual([bc.message.id]);

    // Media: Alice's gone, Bob's kept.
    expect(await t.store.getCloudMedia('m-alice-att')).toBeNull();
    expect(await t.store.getCloudMedia('m-alice-up')).toBeNull();
    expect(await t.store.getCloudMedia('m-bob')).not.toBeNull();
    expect(await t.store.getBlob('b-bob', T0)).not.toBeNull();
    expect(await t.store.getBlob('b-alice', T0)).toBeNull();

    // Envelopes: none to or from Alice queued; Bob → Carol kept; the notices for Bob's device (two of Alice's devices talked to it).
    expect(await t.store.listEnvelopes(alice.device.id, 0, 50, T0)).toEqual([]);
    expect(await t.store.listEnvelopes(alice2.id, 0, 50, T0)).toEqual([]);
    const toBob = await t.store.listEnvelopes(bob.device.id, 0, 50, T0);
    expect(toBob.every((e) => e.notice === 'account_deleted' && e.fromUserId === alice.user.id)).toBe(true);
    expect(new Set(toBob.map((e) => e.fromDeviceId))).toEqual(new Set([alice.device.id, alice2.id]));
    expect(gone!.notices.map((e) => e.id).sort()).toEqual(toBob.map((e) => e.id).sort());
    const toCarol = await t.store.listEnvelopes(carol.device.id, 0, 50, T0);
    expect(toCarol.map((e) => e.fromUserId)).toEqual([bob.user.id]);
    expect(toCarol[0].notice).toBeUndefined();

    // Requests both ways gone.
    expect(await t.store.getSecretRequest(reqToCarol)).toBeNull();
    expect(await t.store.getSecretRequest(reqToAlice)).toBeNull();

    // Push and wake-ups: Alice's gone, Bob's kept.
    expect(await t.store.getPushSubscription(alice.device.id)).toBeNull();
    expect(await t.store.getPushSubscription(alice2.id)).toBeNull();
    expect(await t.store.getPushSubscription(bob.device.id)).not.toBeNull();
    const claimed = await t.store.claimWakeups('n', T0 + 2 * DAY, T0 + 2 * DAY, 0, 10);
    expect(claimed.map((w) => w.deviceId)).toEqual([bob.device.id]);
    expect(await t.store.isKnownDevice(alice.user.id, 'known-hash')).toBe(false);

    // The tombstone: no name, no password, not found by name or search; the name quarantined.
    const tomb = (await t.store.getUser(alice.user.id))!;
    expect(tomb.deletedAt).toBe(T0 + DAY);
    expect(tomb.displayName).toBe('Deleted account');
    expect(tomb.username).not.toBe(alice.user.username);
    expect(tomb.pwHash).toBe('!');
    expect(await t.store.getUserByName(alice.user.username)).toBeNull();
    expect(await t.store.searchUsers(alice.user.username.slice(0, 3), 50)).not.toContainEqual(expect.objectContaining({ id: alice.user.id }));
    expect(await t.store.usernameQuarantine(alice.user.username, T0 + 30 * DAY)).toBe(T0 + 31 * DAY);
    expect(await t.store.usernameQuarantine(alice.user.username, T0 + 31 * DAY)).toBeNull();
    // Bob is untouched.
    expect((await t.store.getUser(bob.user.id))!.deletedAt).toBeUndefined();
    expect((await t.store.listDevices(bob.user.id)).map((d) => d.id)).toEqual([bob.device.id]);

    // A second deletion (another node's sweep) does nothing.
    const other = await t.h.open();
    expect(await other.deleteAccount(alice.user.id, T0 + 2 * DAY, T0 + 40 * DAY, notice(alice.user.id))).toBeNull();
    expect(await t.store.usernameQuarantine(alice.user.username, T0 + 30 * DAY)).toBe(T0 + 31 * DAY);
    // The name can be taken by a new account once free (the tombstone no longer holds it).
    const again = await mkUser(t.store);
    expect(again.user.id).not.toBe(alice.user.id);
  });

  it("takes the account's reactions off the messages that stay (its peer's), with a react update for the peer", async () => {
    const { alice, bob, ab } = await aliceAndBob(t.store);
    const carol = await mkUser(t.store);
    await send(t.store, carol, bob, 'carol-bob');
    const cb = (await t.store.getChat(carol.user.id, bob.user.id))!;
    await t.store.reactMessage(ab.id, 'from-bob', alice.user.id, Buffer.from('sealed:a'), T0 + 1);
    await t.store.reactMessage(ab.id, 'from-bob', bob.user.id, Buffer.from('sealed:b'), T0 + 2);
    await t.store.reactMessage(ab.id, 'from-alice', bob.user.id, Buffer.from('sealed:b'), T0 + 3);
    await t.store.reactMessage(cb.id, 'carol-bob', bob.user.id, Buffer.from('sealed:b'), T0 + 4);
    const before = (await t.store.listUpdates(bob.user.id, 0, 100)).length;

    const gone = await t.store.deleteAccount(alice.user.id, T0 + DAY, T0 + 31 * DAY, notice(alice.user.id));
    // Bob's own reactions stay (on his message and on Carol's); Alice's is gone; her message went with its reactions.
    const left = (await t.store.listReactions(['from-bob', 'from-alice', 'carol-bob'])).map((r) => [r.messageId, r.userId === bob.user.id ? 'bob' : r.userId]);
    expect(left.sort()).toEqual([
      ['carol-bob', 'bob'],
      ['from-bob', 'bob']
    ]);
    const after = (await t.store.listUpdates(bob.user.id, 0, 100)).slice(before);
    expect(after.map((u) => [u.kind, u.data])).toEqual(expect.arrayContaining([['react', 'from-bob']]));
    const reacts = after.filter((u) => u.kind === 'react');
    expect(reacts).toHaveLength(1);
    // Returned for the live fan-out to Bob's devices.
    expect(gone!.updates.some((u) => u.userId === bob.user.id && u.cursor === reacts[0].cursor)).toBe(true);
  });

  it("takes its messages' pins and its own pins of the peer's messages (the peer's own pins stay), with a pin update for the peer", async () => {
    const { alice, bob, ab } = await aliceAndBob(t.store, 'from-bob-2');
    await t.store.pinMessage(ab.id, 'from-alice', bob.user.id, true, T0 + 1, 20);
    await t.store.pinMessage(ab.id, 'from-bob', alice.user.id, true, T0 + 2, 20);
    await t.store.pinMessage(ab.id, 'from-bob-2', bob.user.id, true, T0 + 3, 20);
    const gone = await t.store.deleteAccount(alice.user.id, T0 + DAY, T0 + 31 * DAY, notice(alice.user.id));
    // Bob's pin of his own message stays; Alice's message and Alice's pin went.
    expect((await t.store.listPins(ab.id)).map((p) => p.messageId)).toEqual(['from-bob-2']);
    const kinds = await Promise.all(gone!.updates.map(async (u) => (await t.store.getUpdate(u.cursor))!.kind));
    expect(gone!.updates.every((u) => u.userId === bob.user.id)).toBe(true);
    expect(kinds).toEqual(expect.arrayContaining(['delete', 'pin']));
  });

  it('two nodes deleting the same account at once: exactly one deletes it', async () => {
    const alice = await mkUser(t.store);
    const bob = await mkUser(t.store);
    await send(t.store, alice, bob);
    await t.store.noteSecretContact(alice.device.id, bob.device.id, T0);
    const other = await t.h.open();
    const [x, y] = await Promise.all([
      t.store.deleteAccount(alice.user.id, T0 + DAY, T0 + 2 * DAY, notice(alice.user.id)),
      other.deleteAccount(alice.user.id, T0 + DAY, T0 + 2 * DAY, notice(alice.user.id))
    ]);
    expect([x, y].filter((r) => r !== null)).toHaveLength(1);
    expect(await t.store.listEnvelopes(bob.device.id, 0, 50, T0)).toHaveLength(1);
  });

  it('quarantine: a username is refused until its day, then purged', async () => {
    const alice = await mkUser(t.store);
    await t.store.deleteAccount(alice.user.id, T0, T0 + 5 * DAY, notice(alice.user.id));
    expect(await t.store.usernameQuarantine(alice.user.username.toUpperCase(), T0 + 5 * DAY - 1)).toBe(T0 + 5 * DAY);
    expect(await t.store.purgeUsernameQuarantine(T0 + 5 * DAY - 1)).toBe(0);
    expect(await t.store.purgeUsernameQuarantine(T0 + 5 * DAY)).toBe(1);
    expect(await t.store.usernameQuarantine(alice.user.username, T0)).toBeNull();
    // Quarantine 0: free at once.
    const bob = await mkUser(t.store);
    await t.store.deleteAccount(bob.user.id, T0, T0, notice(bob.user.id));
    expect(await t.store.usernameQuarantine(bob.user.username, T0)).toBeNull();
  });

  it('auto-delete: lists only accounts with the option on, away longer than it, by any device and the sign-up time', async () => {
    const off = await mkUser(t.store);
    const away = await mkUser(t.store);
    const busyOther = await mkUser(t.store);
    const fresh = await mkUser(t.store, { createdAt: T0 + 5 * MONTH });
    expect(await t.store.getAutoDelete(away.user.id)).toBe(0);
    await t.store.setAutoDelete(away.user.id, 3);
    await t.store.setAutoDelete(busyOther.user.id, 3);
    await t.store.setAutoDelete(fresh.user.id, 1);
    expect(await t.store.getAutoDelete(away.user.id)).toBe(3);
    // busyOther's second device (revoked later) was active recently: that counts as activity.
    const d2 = await mkDevice(t.store, busyOther.user.id);
    await t.store.touchDevice(d2.id, T0 + 4 * MONTH);
    await t.store.revokeDevice(busyOther.user.id, d2.id, T0 + 4 * MONTH);
    await t.store.touchDevice(away.device.id, T0 + MONTH);

    const now = T0 + 5 * MONTH + DAY;
    expect(await t.store.listAwayUsers(now, MONTH, 10)).toEqual([away.user.id]);
    // Just before the line: nobody.
    expect(await t.store.listAwayUsers(T0 + 4 * MONTH, MONTH, 10)).toEqual([]);
    // Much later every opted-in account is away; the one with the option off never is.
    const later = await t.store.listAwayUsers(T0 + 20 * MONTH, MONTH, 10);
    expect(new Set(later)).toEqual(new Set([away.user.id, busyOther.user.id, fresh.user.id]));
    expect(later).not.toContain(off.user.id);
    // Deleted accounts are not listed again, and their option is gone with them.
    await t.store.deleteAccount(away.user.id, now, now, notice(away.user.id));
    expect(await t.store.listAwayUsers(now, MONTH, 10)).toEqual([]);
    expect(await t.store.getAutoDelete(away.user.id)).toBe(0);
  });

  it('secret contacts: recorded once per pair, dropped when either device is revoked', async () => {
    const alice = await mkUser(t.store);
    const bob = await mkUser(t.store);
    await t.store.noteSecretContact(alice.device.id, bob.device.id, T0);
    await t.store.noteSecretContact(bob.device.id, alice.device.id, T0 + 1);
    await t.store.revokeDevice(bob.user.id, bob.device.id, T0 + 2);
    const gone = await t.store.deleteAccount(alice.user.id, T0 + 3, T0 + 3, notice(alice.user.id));
    expect(gone!.notices).toEqual([]);
  });
});
