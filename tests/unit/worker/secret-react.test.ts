import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { decodePayload } from '$lib/worker/secret/payload';
import { unsupportedPayload } from '$lib/worker/secret/unsupported';
import { deliver, refusals, rowView, secretPair } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

/** Alice and Bob with an active secret chat; each device's 'secret' events are kept. */
const { established: pair } = secretPair('secret-react');

const enc = (p: unknown) => new TextEncoder().encode(JSON.stringify(p));
const MSG = '6f1c1c1e-8c52-4a3e-9b1a-1d2f3e4a5b6c';

describe('the react payload', () => {
  it('takes one of the quick reactions or "" (remove); anything else is refused', () => {
    expect(decodePayload(enc({ k: 'react', msg: MSG, emoji: '👍', at: 1 }))).toMatchObject({ k: 'react', emoji: '👍' });
    expect(decodePayload(enc({ k: 'react', msg: MSG, emoji: '', at: 1 }))).toMatchObject({ emoji: '' });
    expect(decodePayload(enc({ k: 'react', msg: MSG, emoji: '🍕', at: 1 }))).toBeNull();
    expect(decodePayload(enc({ k: 'react', msg: MSG, emoji: '👍👍', at: 1 }))).toBeNull();
    expect(decodePayload(enc({ k: 'react', msg: 'nope', emoji: '👍', at: 1 }))).toBeNull();
    expect(decodePayload(enc({ k: 'react', msg: MSG, emoji: '👍' }))).toBeNull();
  });

  it('is a control without an id: never a "needs a newer version" placeholder, here or in an older app', () => {
    // A bad one is refused outright (a known control), not shown.
    expect(unsupportedPayload(enc({ k: 'react', msg: MSG, emoji: '🍕', at: 1 }))).toBeNull();
    // An older app does not know the kind; without an `id` it ignores it as it would any such control.
    expect(unsupportedPayload(enc({ k: 'react-older-app-unknown', msg: MSG, emoji: '👍', at: 1 }))).toBeNull();
  });
});

describe('reacting in a secret chat', () => {
  it("reaches the peer's open window; the same emoji from both counts both; removing and replacing", async () => {
    const { relay, alice, bob, chatId, events } = await pair();
    const id = await bob.engine.sendText(chatId, 'dinner at 8?', null);
    await bob.engine.flush();
    await deliver(relay, alice);
    events.alice.length = events.bob.length = 0;

    await alice.engine.reactMessage(chatId, id, '👍');
    expect((await rowView(alice, chatId, id)).reactions).toEqual({ mine: '👍' });
    expect(events.alice.at(-1)?.rows).toContain(id);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect((await rowView(bob, chatId, id)).reactions).toEqual({ peer: '👍' });
    expect(events.bob.at(-1)?.rows).toContain(id);

    await bob.engine.reactMessage(chatId, id, '👍');
    await bob.engine.flush();
    await deliver(relay, alice);
    expect((await rowView(alice, chatId, id)).reactions).toEqual({ mine: '👍', peer: '👍' });

    // The same again sends nothing.
    const queued = await alice.db.sendQueue.count();
    await alice.engine.reactMessage(chatId, id, '👍');
    expect(await alice.db.sendQueue.count()).toBe(queued);

    await alice.engine.reactMessage(chatId, id, '❤️');
    await alice.engine.reactMessage(chatId, id, '');
    await alice.engine.flush();
    await deliver(relay, bob);
    expect((await rowView(alice, chatId, id)).reactions).toEqual({ peer: '👍' });
    expect((await rowView(bob, chatId, id)).reactions).toEqual({ mine: '👍' });
    // The text is untouched, and no unread or "edited" came with it.
    expect(await rowView(bob, chatId, id)).toMatchObject({ text: 'dinner at 8?' });
    expect((await rowView(bob, chatId, id)).edited).toBeUndefined();
  });

  it("the newest reaction wins: an older one arriving later changes nothing; a removal's time counts too", async () => {
    const { relay, alice, bob, chatId } = await pair();
    const id = await alice.engine.sendText(chatId, 'hi', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    const now = Date.now();
    await bob.engine.send(chatId, { k: 'react', msg: id, emoji: '😂', at: now + 3 });
    await bob.engine.send(chatId, { k: 'react', msg: id, emoji: '😢', at: now + 1 });
    await bob.engine.flush();
    await deliver(relay, alice);
    expect((await rowView(alice, chatId, id)).reactions).toEqual({ peer: '😂' });
    await bob.engine.send(chatId, { k: 'react', msg: id, emoji: '', at: now + 5 });
    await bob.engine.send(chatId, { k: 'react', msg: id, emoji: '🙏', at: now + 4 });
    await bob.engine.flush();
    await deliver(relay, alice);
    expect((await rowView(alice, chatId, id)).reactions).toBeUndefined();
  });

  it('a reaction to a message not in this chat or gone is a no-op; one to a service row is refused and noted', async () => {
    const { relay, alice, bob, chatId } = await pair();
    const id = await alice.engine.sendText(chatId, 'soon gone', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    await alice.engine.deleteForMe(chatId, [id]);
    await bob.engine.reactMessage(chatId, id, '😮');
    // A message of no chat here (a forged id) and the chat's service row ("established").
    await bob.engine.send(chatId, { k: 'react', msg: crypto.randomUUID(), emoji: '😮', at: Date.now() });
    const service = (await alice.db.secretMessages.where('chatId').equals(chatId).toArray())[0];
    expect((await rowView(alice, chatId, service.id)).kind).toBe('service');
    await bob.engine.send(chatId, { k: 'react', msg: service.id, emoji: '😮', at: Date.now() });
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await alice.db.secretMessages.get(id)).toBeUndefined();
    expect((await rowView(alice, chatId, service.id)).reactions).toBeUndefined();
    expect(await refusals(alice)).toEqual({ react_refused_not_message: 1 });
    // The sender refuses what it can tell: a service row, a message gone.
    await expect(alice.engine.reactMessage(chatId, service.id, '👍')).rejects.toMatchObject({ code: 'not_reactable' });
    await expect(alice.engine.reactMessage(chatId, id, '👍')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a timed message takes a reaction, which burns with it', async () => {
    const { relay, alice, bob, chatId } = await pair();
    await alice.engine.setTimer(chatId, 30);
    const id = await alice.engine.sendText(chatId, 'burns', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    await bob.engine.reactMessage(chatId, id, '❤️');
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await rowView(alice, chatId, id)).toMatchObject({ ttl: 30, reactions: { peer: '❤️' } });
  });
});
