// Pinned messages in a secret chat (payload `pin`, docs/protocol.md §9.2): the chat's for both sides,
// one rule applied by both (the newest `at` wins, an unpin at a tie), only messages of the chat shown as
// one; an older app ignores it; a pinned message deleted, cleared or self-destructed takes its pin with
// it, off the chat's row too (no id of it stays on the device).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { LIMITS } from '$lib/api/limits';
import { purgeExpired } from '$lib/store/purge';
import { secretPinned } from '$lib/worker/pins';
import { decodePayload, type SecretBody } from '$lib/worker/secret/payload';
import { pinnedBody, pinWins } from '$lib/worker/secret/pin';
import { unsupportedPayload } from '$lib/worker/secret/unsupported';
import { deliver, refusals, secretPair } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established: pair } = secretPair('secret-pin');

const enc = (p: unknown) => new TextEncoder().encode(JSON.stringify(p));
const MSG = '6f1c1c1e-8c52-4a3e-9b1a-1d2f3e4a5b6c';
const text: SecretBody = { kind: 'text', text: 'hi', replyTo: null, ttl: 0 };
/** The pinned ids a device keeps on the chat's row (absent: none). */
const rowPins = async (d: { db: import('$lib/store/db').CinderDB }, chatId: string) => (await d.db.secretChats.get(chatId))?.pins?.map((p) => p.id);

describe('the pin payload', () => {
  it('takes a message id, a boolean and a time; anything else is refused', () => {
    expect(decodePayload(enc({ k: 'pin', msg: MSG, pinned: true, at: 1 }))).toEqual({ k: 'pin', msg: MSG, pinned: true, at: 1 });
    expect(decodePayload(enc({ k: 'pin', msg: MSG, pinned: 'yes', at: 1 }))).toBeNull();
    expect(decodePayload(enc({ k: 'pin', msg: 'nope', pinned: true, at: 1 }))).toBeNull();
    expect(decodePayload(enc({ k: 'pin', msg: MSG, pinned: true }))).toBeNull();
  });

  it('is a control without an id: an older app ignores it, never a "needs a newer version" placeholder', () => {
    expect(unsupportedPayload(enc({ k: 'pin', msg: MSG, pinned: 'yes', at: 1 }))).toBeNull();
    expect(unsupportedPayload(enc({ k: 'pin-of-a-later-app', msg: MSG, pinned: true, at: 1 }))).toBeNull();
  });

  it('the rule: the newest at wins whatever the order; at a tie the unpin wins', () => {
    const on = pinnedBody(text, { msg: MSG, pinned: true, at: 5 })!;
    expect(on.pin).toEqual({ on: true, at: 5 });
    // An older unpin arriving later changes nothing; a newer one wins.
    expect(pinnedBody(on, { msg: MSG, pinned: false, at: 4 })).toBeNull();
    expect(pinnedBody(on, { msg: MSG, pinned: false, at: 6 })?.pin).toEqual({ on: false, at: 6 });
    // The other order ends the same: the unpin at 6 first, the pin at 5 after it.
    const off = pinnedBody(text, { msg: MSG, pinned: false, at: 6 });
    expect(off).toBeNull(); // nothing to unpin yet…
    const offFirst = { ...text, pin: { on: false, at: 6 } };
    expect(pinnedBody(offFirst, { msg: MSG, pinned: true, at: 5 })).toBeNull();
    expect(pinWins(on, { msg: MSG, pinned: false, at: 5 })).toBe(true);
    expect(pinWins({ ...text, pin: { on: false, at: 5 } }, { msg: MSG, pinned: true, at: 5 })).toBe(false);
  });
});

describe('pinning in a secret chat', () => {
  it("shows on both sides (the peer's bar too), unpinned by either; the same again sends nothing", async () => {
    const { relay, alice, bob, chatId } = await pair();
    const id = await bob.engine.sendText(chatId, 'the address: 5 Elm St', null);
    await bob.engine.flush();
    await deliver(relay, alice);

    await alice.engine.pinMessage(chatId, id, true);
    expect(await secretPinned(alice.db, alice.vault, chatId)).toEqual([{ id, at: expect.any(Number), snippet: 'the address: 5 Elm St' }]);
    const queued = await alice.db.sendQueue.count();
    await alice.engine.pinMessage(chatId, id, true);
    expect(await alice.db.sendQueue.count()).toBe(queued);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect((await secretPinned(bob.db, bob.vault, chatId)).map((p) => p.id)).toEqual([id]);

    await bob.engine.pinMessage(chatId, id, false);
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await secretPinned(alice.db, alice.vault, chatId)).toEqual([]);
    expect(await secretPinned(bob.db, bob.vault, chatId)).toEqual([]);
  });

  it('frames out of order: both sides end with the newest', async () => {
    const { relay, alice, bob, chatId } = await pair();
    const id = await alice.engine.sendText(chatId, 'hi', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    const now = Date.now();
    // Bob's devices said: unpinned at now+5, pinned at now+3, sent in the other order.
    await bob.engine.send(chatId, { k: 'pin', msg: id, pinned: true, at: now + 1 });
    await bob.engine.send(chatId, { k: 'pin', msg: id, pinned: false, at: now + 5 });
    await bob.engine.send(chatId, { k: 'pin', msg: id, pinned: true, at: now + 3 });
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await secretPinned(alice.db, alice.vault, chatId)).toEqual([]);
  });

  it("only this chat's messages shown as one; a service row's pin is refused and noted; the sender refuses what it can tell", async () => {
    const { relay, alice, bob, chatId } = await pair();
    await bob.engine.send(chatId, { k: 'pin', msg: crypto.randomUUID(), pinned: true, at: Date.now() });
    const service = (await alice.db.secretMessages.where('chatId').equals(chatId).toArray())[0];
    await bob.engine.send(chatId, { k: 'pin', msg: service.id, pinned: true, at: Date.now() });
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await secretPinned(alice.db, alice.vault, chatId)).toEqual([]);
    expect(await refusals(alice)).toEqual({ pin_refused_not_message: 1 });
    await expect(alice.engine.pinMessage(chatId, service.id, true)).rejects.toMatchObject({ code: 'not_found' });
    await expect(alice.engine.pinMessage(chatId, crypto.randomUUID(), true)).rejects.toMatchObject({ code: 'not_found' });
  });

  it(`refuses a pin past ${LIMITS.pinnedMessagesMax} with a clear error; a deleted pin frees its place`, async () => {
    const { alice, chatId } = await pair();
    const ids: string[] = [];
    for (let i = 0; i <= LIMITS.pinnedMessagesMax; i++) ids.push(await alice.engine.sendText(chatId, `m${i}`, null));
    await alice.engine.flush();
    for (const id of ids.slice(0, -1)) await alice.engine.pinMessage(chatId, id, true);
    await expect(alice.engine.pinMessage(chatId, ids.at(-1)!, true)).rejects.toMatchObject({ code: 'too_many_pinned', message: expect.stringMatching(/up to 20/) });
    await alice.engine.deleteMessages(chatId, [ids[0]]);
    await alice.engine.pinMessage(chatId, ids.at(-1)!, true);
    expect((await secretPinned(alice.db, alice.vault, chatId)).length).toBe(LIMITS.pinnedMessagesMax);
  });

  it('a pinned message that self-destructs takes its pin with it (the bar shows it by its kind only meanwhile)', async () => {
    const { relay, alice, bob, chatId } = await pair();
    await alice.engine.setTimer(chatId, 30);
    const id = await alice.engine.sendText(chatId, 'burns', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    await bob.engine.pinMessage(chatId, id, true);
    expect(await secretPinned(bob.db, bob.vault, chatId)).toEqual([{ id, at: expect.any(Number), snippet: 'Self-destructing message' }]);
    await bob.engine.markRead(chatId, [id]);
    const deadline = (await bob.db.secretMessages.get(id))!.deadline!;
    await purgeExpired(bob.db, deadline + 1);
    expect(await bob.db.secretMessages.get(id)).toBeUndefined();
    expect(await secretPinned(bob.db, bob.vault, chatId)).toEqual([]);
    // Gone from the chat's row too, in the purge's own transaction (the service worker runs the same purge).
    expect(await rowPins(bob, chatId)).toBeUndefined();
  });

  it('a pinned message deleted for me, for both, or cleared takes its pin off the chat row, on each side it left', async () => {
    const { relay, alice, bob, chatId } = await pair();
    const [m1, m2, m3] = [
      await alice.engine.sendText(chatId, 'one', null),
      await alice.engine.sendText(chatId, 'two', null),
      await alice.engine.sendText(chatId, 'three', null)
    ];
    await alice.engine.flush();
    await deliver(relay, bob);
    for (const id of [m1, m2, m3]) await alice.engine.pinMessage(chatId, id, true);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(new Set(await rowPins(bob, chatId))).toEqual(new Set([m1, m2, m3]));

    // For me: gone here only; the peer keeps the message and its pin.
    await alice.engine.deleteForMe(chatId, [m1]);
    expect(new Set(await rowPins(alice, chatId))).toEqual(new Set([m2, m3]));
    expect(new Set(await rowPins(bob, chatId))).toEqual(new Set([m1, m2, m3]));
    // For both: gone on both sides.
    await alice.engine.deleteMessages(chatId, [m2]);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(await rowPins(alice, chatId)).toEqual([m3]);
    expect(new Set(await rowPins(bob, chatId))).toEqual(new Set([m1, m3]));
    // The history cleared (by the peer): no pin left anywhere.
    await bob.engine.clearHistory(chatId);
    expect(await rowPins(bob, chatId)).toBeUndefined();
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await rowPins(alice, chatId)).toBeUndefined();
  });

  it("the purge running while a step of the chat is under way: the step's commit writes no pin of the burned message back", async () => {
    const { relay, alice, bob, chatId } = await pair();
    const later = await alice.engine.sendText(chatId, 'stays', null);
    await alice.engine.setTimer(chatId, 30);
    const burns = await alice.engine.sendText(chatId, 'burns', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    await bob.engine.pinMessage(chatId, burns, true);
    await bob.engine.markRead(chatId, [burns]);
    const deadline = (await bob.db.secretMessages.get(burns))!.deadline!;
    // Bob pins another message; the purge (the page's timer, or the service worker: it takes no chat
    // lock) runs after that step read the chat's row and before it commits (at the step's first seal).
    const seal = bob.vault.seal.bind(bob.vault);
    const spy = vi.spyOn(bob.vault, 'seal').mockImplementationOnce(async (...args: Parameters<typeof seal>) => {
      await purgeExpired(bob.db, deadline + 1);
      return seal(...args);
    });
    await bob.engine.pinMessage(chatId, later, true);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    expect(await bob.db.secretMessages.get(burns)).toBeUndefined();
    expect(await rowPins(bob, chatId)).toEqual([later]);
  });
});
