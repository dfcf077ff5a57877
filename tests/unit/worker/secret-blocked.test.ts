/**
 * A secret chat with a peer I blocked (secret/blocked.ts): the relay cannot tell who sends into an
 * existing chat (sealed sender), so my device drops it. What the blocked peer sends is still decrypted
 * (the ratchet stays in step: after the unblock, messages open again) and acknowledged to the relay,
 * but no row is stored, nothing counts for a notification, no typing shows and no read report goes
 * back; what only takes away (a delete) still applies. My own writes to them are refused clearly
 * (typing just not sent), a new chat with them too, and a request of theirs that reached my device is
 * never accepted; a request of mine the relay refuses because they blocked me ends as 'blocked'.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { BlockedUser } from '$lib/api/wire';
import { BLOCKS_KEY } from '$lib/worker/blocks';
import { secretChatView } from '$lib/worker/secret';
import type { WorkerEvent } from '$lib/worker/protocol';
import { FakeRelay } from '../support/fake-relay';
import { deliver, rowView, secretDevice, secretPair, type SecretDevice } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established: pair, device } = secretPair('secret-blocked');

const bobUser: BlockedUser = { id: 'u-bob', username: 'bob', displayName: 'bob', since: 1 };
/** The block list as the device holds it (what blocks.ts stores from the relay's answer). */
const setBlocked = (d: SecretDevice, users: BlockedUser[]) => d.db.meta.put({ key: BLOCKS_KEY, value: users });
const rows = (d: SecretDevice, chatId: string) => d.db.secretMessages.where('chatId').equals(chatId).count();

describe('a secret chat with a peer I blocked', () => {
  it('drops what they send (decrypted, acknowledged, nothing stored, notified or read); after the unblock it flows again', async () => {
    const relay = new FakeRelay();
    const shown: WorkerEvent[] = [];
    const alice = await device(relay, 'alice', undefined, { emit: (e) => void shown.push(e) });
    const bob = await device(relay, 'bob');
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(relay, bob);
    await deliver(relay, alice);
    await deliver(relay, bob);
    const before = await bob.engine.sendText(chatId, 'before the block', null);
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await rowView(alice, chatId, before)).toMatchObject({ text: 'before the block' });
    const stored = await rows(alice, chatId);

    await setBlocked(alice, [bobUser]);
    shown.length = 0;
    const dropped = await bob.engine.sendText(chatId, 'let me in', null);
    await bob.engine.reactMessage(chatId, before, '👍');
    await bob.engine.typing(chatId);
    await bob.engine.flush();
    expect(relay.peek('d-alice')).toBe(3);
    const seenBefore = await alice.db.seenEnvelopes.count();
    // Pulled as ever: the relay's queue is acknowledged (emptied) and the envelopes recorded as seen.
    const got = await alice.engine.pull();
    expect(relay.peek('d-alice')).toBe(0);
    expect(await alice.db.seenEnvelopes.count()).toBeGreaterThan(seenBefore);
    expect(got.chats.get(chatId) ?? 0).toBe(0);
    expect(await rows(alice, chatId)).toBe(stored);
    expect(await rowView(alice, chatId, dropped)).toBeUndefined();
    expect((await rowView(alice, chatId, before)).reactions).toBeUndefined();
    expect(shown.filter((e) => e.type === 'typing')).toEqual([]);
    // Nothing to read, so no read report can go back for it.
    await alice.engine.markRead(chatId, [dropped]);
    expect(((await alice.db.meta.get('receiptsDue'))?.value as Record<string, unknown> | undefined)?.[chatId]).toBeUndefined();

    // What only takes away still applies: Bob deletes his older message for both.
    await bob.engine.deleteMessages(chatId, [before]);
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await rowView(alice, chatId, before)).toBeUndefined();

    // Unblocked: the ratchet is in step, Bob's next message opens and shows; the dropped one stays gone.
    await setBlocked(alice, []);
    const after = await bob.engine.sendText(chatId, 'friends again?', null);
    await bob.engine.flush();
    const again = await alice.engine.pull();
    expect(again.chats.get(chatId)).toBe(1);
    expect(await rowView(alice, chatId, after)).toMatchObject({ text: 'friends again?' });
    expect(await rowView(alice, chatId, dropped)).toBeUndefined();
  });

  it('refuses my own writes to them clearly (typing silently), and a new chat with them', async () => {
    const { alice, chatId } = await pair();
    await setBlocked(alice, [bobUser]);
    const queued = await alice.db.sendQueue.count();
    await expect(alice.engine.sendText(chatId, 'hello?', null)).rejects.toMatchObject({
      code: 'you_blocked',
      message: 'You blocked this user. Unblock them to write to them.'
    });
    await alice.engine.typing(chatId);
    expect(await alice.db.sendQueue.count()).toBe(queued);
    await expect(alice.engine.start('u-bob')).rejects.toMatchObject({ code: 'you_blocked' });
    expect(await alice.db.secretChats.count()).toBe(1);
    // Taking away is still mine to do: deleting the chat tells Bob's device.
    await alice.engine.deleteChat(chatId);
    expect(await alice.db.sendQueue.count()).toBeGreaterThan(queued);
  });

  it("never accepts a request of theirs that reached my device, and a request the relay refuses because they blocked me ends as 'blocked'", async () => {
    const relay = new FakeRelay();
    const alice = await secretDevice(relay, 'secret-blocked-req-alice', 'alice', { userId: 'u-alice', deviceId: 'd-alice' });
    const bob = await secretDevice(relay, 'secret-blocked-req-bob', 'bob', { userId: 'u-bob', deviceId: 'd-bob' });
    // Bob's request was queued before Alice's block reached the relay.
    const early = await bob.engine.start('u-alice');
    await bob.engine.flush();
    await setBlocked(alice, [bobUser]);
    await alice.engine.pull();
    expect(relay.peek('d-alice')).toBe(0);
    expect(await alice.db.secretChats.count()).toBe(0);
    expect((await secretChatView(bob.db, bob.vault, early)).status).toBe('waiting');

    // Once the relay has the block, Bob's next request is refused there: his chat says why.
    relay.blocks.add('u-alice u-bob');
    const refused = await bob.engine.start('u-alice');
    await bob.engine.flush();
    expect(await secretChatView(bob.db, bob.vault, refused)).toMatchObject({ status: 'failed', failure: 'blocked' });
    expect(relay.peek('d-alice')).toBe(0);
  });
});
