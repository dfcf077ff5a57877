// Receipts batched per chat at a random delay (issue #20 §4): a read report and an ACK do not leave
// when the message arrives or shows, but at a random time 0.5–3 s later, one envelope per chat per
// batch; the read time still travels inside, so the sender's timer starts at the read; reads not yet
// told survive a restart; a chat that ended meanwhile drops its batch.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { RECEIPT_DELAY_MS, receiptDelay } from '$lib/worker/secret/jitter';
import { SecretEngine } from '$lib/worker/secret';
import { FakeClock } from '../support/fake-clock';
import { deliver, secretPair, type SecretDevice } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established } = secretPair('receipts');

/** Alice sends texts; Bob receives them (his ACK, if any, waits for its batch: no sendReceipts here). */
async function aliceSends(pair: Awaited<ReturnType<typeof established>>, texts: string[]) {
  const ids: string[] = [];
  for (const t of texts) ids.push(await pair.alice.engine.sendText(pair.chatId, t, null));
  await pair.alice.engine.flush();
  await pair.bob.engine.receive(pair.relay.take('d-bob'));
  await pair.bob.engine.flush();
  return ids;
}

/** The batch timer Bob's clock holds for receipts, fired; waits until its envelope reached the relay. */
async function fireBatch(bob: SecretDevice, relay: Awaited<ReturnType<typeof established>>['relay'], expectEnvelopes: number) {
  const [at] = bob.clock.armed();
  expect(at).toBeDefined();
  bob.clock.advance(at! - bob.clock.now());
  await vi.waitFor(async () => {
    await bob.engine.flush();
    expect(relay.peek('d-alice')).toBe(expectEnvelopes);
  });
}

describe('receipt delay', () => {
  it('is uniform in RECEIPT_DELAY_MS', () => {
    expect(receiptDelay(() => 0)).toBe(RECEIPT_DELAY_MS.min);
    expect(receiptDelay(() => 0.999999)).toBeLessThan(RECEIPT_DELAY_MS.max);
    expect(receiptDelay(() => 0.5)).toBe((RECEIPT_DELAY_MS.min + RECEIPT_DELAY_MS.max) / 2);
  });
});

describe('receipts', () => {
  it('a read leaves at the random batch time, not at the read; the sender’s timer starts at the read time', async () => {
    const pair = await established();
    const { relay, alice, bob, chatId } = pair;
    await alice.engine.setTimer(chatId, 60);
    const [id] = await aliceSends(pair, ['timed']);
    // Bob's ACK for the message waits too: nothing left Bob yet.
    expect(relay.peek('d-alice')).toBe(0);
    const readAt = Date.now();
    await bob.engine.markRead(chatId, [id!]);
    // Read here at once (status and Bob's own timer); still nothing on the relay.
    const bobRow = (await bob.db.secretMessages.get(id!))!;
    expect(bobRow.status).toBe('read');
    expect(bobRow.deadline).toBeGreaterThanOrEqual(readAt + 60_000);
    await bob.engine.flush();
    expect(relay.peek('d-alice')).toBe(0);
    // One batch timer for the chat (the ACK's and the read's), 0.5–3 s out.
    const armed = bob.clock.armed();
    expect(armed).toHaveLength(1);
    const delay = armed[0]! - bob.clock.now();
    expect(delay).toBeGreaterThanOrEqual(RECEIPT_DELAY_MS.min - 50);
    expect(delay).toBeLessThanOrEqual(RECEIPT_DELAY_MS.max);
    bob.clock.advance(delay - 100);
    await bob.engine.flush();
    expect(relay.peek('d-alice')).toBe(0);
    // When it fires: ONE envelope (the read report, which carries the ACK).
    await fireBatch(bob, relay, 1);
    await deliver(relay, alice);
    const aliceRow = (await alice.db.secretMessages.get(id!))!;
    expect(aliceRow.status).toBe('read');
    // Back-dated to the read, not to when the report arrived.
    expect(aliceRow.deadline).toBe(bobRow.deadline);
  });

  it('reads and ACKs of one chat within a batch go as one envelope; an ACK alone goes as an ACK frame', async () => {
    const pair = await established();
    const { relay, alice, bob, chatId } = pair;
    const [a, b] = await aliceSends(pair, ['one', 'two']);
    await bob.engine.markRead(chatId, [a!]);
    const [c] = await aliceSends(pair, ['three']);
    await bob.engine.markRead(chatId, [b!, c!]);
    expect(bob.clock.armed()).toHaveLength(1);
    await fireBatch(bob, relay, 1);
    await deliver(relay, alice);
    for (const id of [a, b, c]) expect((await alice.db.secretMessages.get(id!))?.status).toBe('read');
    // Nothing is left waiting.
    expect(await bob.db.meta.get('receiptsDue')).toMatchObject({ value: {} });

    // A message Bob has not read: only its ACK, at the batch time.
    const [d] = await aliceSends(pair, ['unread']);
    expect(relay.peek('d-alice')).toBe(0);
    await fireBatch(bob, relay, 1);
    await deliver(relay, alice);
    // An ACK frame, not a read report: the message stays unread for Alice; no batch is left.
    expect((await alice.db.secretMessages.get(d!))?.status).toBe('sent');
    expect(bob.clock.armed()).toEqual([]);
  });

  it('a read not yet told when the app closed is told after the next start', async () => {
    const pair = await established();
    const { relay, alice, bob, chatId } = pair;
    const [id] = await aliceSends(pair, ['read before closing']);
    await bob.engine.markRead(chatId, [id!]);
    expect(relay.peek('d-alice')).toBe(0);
    // The app locks or closes: that engine's timers stop; a new engine opens the same store.
    bob.engine.stop();
    expect(bob.clock.armed()).toEqual([]);
    const clock = new FakeClock();
    const again = new SecretEngine({
      db: bob.db,
      vault: bob.vault,
      backend: async () => (await import('$lib/crypto')).nobleBackend(),
      identity: async () => bob.member.identity,
      me: () => ({ userId: 'u-bob', deviceId: 'd-bob' }),
      emit: () => undefined,
      relay: relay.as('d-bob'),
      clock
    });
    await vi.waitFor(() => expect(clock.armed()).toHaveLength(1));
    clock.advance(RECEIPT_DELAY_MS.max);
    await vi.waitFor(async () => {
      await again.flush();
      expect(relay.peek('d-alice')).toBe(1);
    });
    await deliver(relay, alice);
    expect((await alice.db.secretMessages.get(id!))?.status).toBe('read');
  });

  it('a chat that ended before its batch drops the batch without an error', async () => {
    const pair = await established();
    const { relay, bob, chatId } = pair;
    const [id] = await aliceSends(pair, ['bye']);
    await bob.engine.markRead(chatId, [id!]);
    await bob.engine.deleteChat(chatId);
    await bob.engine.flush();
    const posted = relay.peek('d-alice');
    await bob.engine.sendReceipts();
    expect(relay.peek('d-alice')).toBe(posted);
    expect(await bob.db.meta.get('receiptsDue')).toMatchObject({ value: {} });
  });
});
