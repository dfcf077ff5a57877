import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { deliver, refusals, rowView, secretPair } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

/** Alice and Bob with an active secret chat; each device's 'secret' events are kept. */
const { established: pair } = secretPair('secret-edit');

/**
 * Alice's timed message `id` (its text or caption 'burns') reaches Bob; her edit of it is refused, and
 * one sent past the engine's check is ignored by Bob and noted.
 */
async function timedNotEdited({ relay, alice, bob, chatId }: Awaited<ReturnType<typeof pair>>, id: string) {
  await alice.engine.flush();
  await deliver(relay, bob);
  await expect(alice.engine.editMessage(chatId, id, 'burns later')).rejects.toMatchObject({ code: 'not_editable' });
  await alice.engine.send(chatId, { k: 'edit', msg: id, text: 'burns later', at: Date.now() });
  await alice.engine.flush();
  await deliver(relay, bob);
  expect((await rowView(bob, chatId, id)).text).toBe('burns');
  expect((await refusals(bob)).edit_refused_timed).toBe(1);
}

describe('editing a secret message', () => {
  it('reaches the peer: the new text, marked edited, on both devices; read state and order stay', async () => {
    const { relay, alice, bob, chatId, events } = await pair();
    const id = await alice.engine.sendText(chatId, 'helo', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    await bob.engine.markRead(chatId, [id]);
    await bob.engine.sendReceipts();
    await bob.engine.flush();
    await deliver(relay, alice);
    const before = await rowView(bob, chatId, id);
    // A reply quoting it shows the new snippet once edited (quotes are built from the stored original).
    const reply = await bob.engine.sendText(chatId, 'what?', id, null, { snippet: 'helo', from: 'recipient' });
    events.alice.length = events.bob.length = 0;

    await alice.engine.editMessage(chatId, id, 'hello');
    const mine = await rowView(alice, chatId, id);
    expect(mine).toMatchObject({ text: 'hello', ticks: 'read' });
    expect(mine.edited).toBeGreaterThan(0);
    expect(events.alice.at(-1)?.rows).toContain(id);

    await alice.engine.flush();
    await deliver(relay, bob);
    const theirs = await rowView(bob, chatId, id);
    expect(theirs).toMatchObject({ text: 'hello', at: before.at, edited: mine.edited });
    expect(await bob.db.secretMessages.where('[chatId+unread]').equals([chatId, 1]).count()).toBe(0);
    expect(events.bob.at(-1)?.rows).toContain(id);
    expect((await rowView(bob, chatId, reply)).quote?.snippet).toBe('hello');
  });

  it("an unchanged text sends nothing; a blank one, the peer's message and a gone one are refused", async () => {
    const { relay, alice, bob, chatId } = await pair();
    const id = await alice.engine.sendText(chatId, 'same', null);
    const theirs = await bob.engine.sendText(chatId, 'bob writes', null);
    await bob.engine.flush();
    await deliver(relay, alice);
    await alice.engine.flush();
    const queued = await alice.db.sendQueue.count();
    await alice.engine.editMessage(chatId, id, 'same');
    expect(await alice.db.sendQueue.count()).toBe(queued);
    await expect(alice.engine.editMessage(chatId, id, '   ')).rejects.toMatchObject({ code: 'bad_text' });
    await expect(alice.engine.editMessage(chatId, theirs, 'mine now')).rejects.toMatchObject({ code: 'not_editable' });
    expect((await rowView(alice, chatId, theirs)).text).toBe('bob writes');
    await alice.engine.deleteMessages(chatId, [id]);
    await expect(alice.engine.editMessage(chatId, id, 'back?')).rejects.toMatchObject({ code: 'not_found' });
  });

  it("the peer's edit of my own message is ignored (and noted in the diagnostics)", async () => {
    const { relay, alice, bob, chatId } = await pair();
    const id = await bob.engine.sendText(chatId, 'bob writes', null);
    await bob.engine.flush();
    await deliver(relay, alice);
    // A hostile or broken peer: an edit order for Bob's own message, sent past the engine's checks.
    await alice.engine.send(chatId, { k: 'edit', msg: id, text: 'alice writes', at: Date.now() });
    await alice.engine.flush();
    await deliver(relay, bob);
    expect((await rowView(bob, chatId, id)).text).toBe('bob writes');
    expect((await rowView(bob, chatId, id)).edited).toBeUndefined();
    expect((await refusals(bob)).edit_refused_not_author).toBe(1);
  });

  it('a timed message cannot be edited: refused on send, ignored on receive', async () => {
    const chat = await pair();
    await chat.alice.engine.setTimer(chat.chatId, 30);
    await timedNotEdited(chat, await chat.alice.engine.sendText(chat.chatId, 'burns', null));
  });

  it('the newest edit wins: an older one arriving later changes nothing', async () => {
    const { relay, alice, bob, chatId } = await pair();
    const id = await alice.engine.sendText(chatId, 'v0', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    const now = Date.now();
    await alice.engine.send(chatId, { k: 'edit', msg: id, text: 'v2', at: now + 2 });
    await alice.engine.send(chatId, { k: 'edit', msg: id, text: 'v1', at: now + 1 });
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(await rowView(bob, chatId, id)).toMatchObject({ text: 'v2', edited: now + 2 });
    // Two edits through the engine: the later one stays, on both sides.
    await alice.engine.editMessage(chatId, id, 'v3');
    await alice.engine.editMessage(chatId, id, 'v4');
    await alice.engine.flush();
    await deliver(relay, bob);
    expect((await rowView(alice, chatId, id)).text).toBe('v4');
    expect((await rowView(bob, chatId, id)).text).toBe('v4');
  });

  it('an edit of a message deleted meanwhile is a no-op: nothing comes back', async () => {
    const { relay, alice, bob, chatId } = await pair();
    const id = await alice.engine.sendText(chatId, 'soon gone', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    await bob.engine.deleteForMe(chatId, [id]);
    await alice.engine.editMessage(chatId, id, 'still here?');
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(await bob.db.secretMessages.get(id)).toBeUndefined();
    expect(await refusals(bob)).toEqual({});
  });
});

describe("editing a file's caption", () => {
  const photo = () => crypto.getRandomValues(new Uint8Array(800));

  it('reaches the peer, marked edited; it may be emptied (a text may not)', async () => {
    const { relay, alice, bob, chatId } = await pair();
    const id = await alice.engine.sendFile(chatId, 'photo.png', 'image/png', photo(), 'a typo');
    await alice.engine.flush();
    await deliver(relay, bob);

    await alice.engine.editMessage(chatId, id, 'no typo');
    await alice.engine.flush();
    await deliver(relay, bob);
    for (const d of [alice, bob]) expect(await rowView(d, chatId, id)).toMatchObject({ text: 'no typo', file: { name: 'photo.png' }, edited: expect.any(Number) });

    await alice.engine.editMessage(chatId, id, '');
    await alice.engine.flush();
    await deliver(relay, bob);
    for (const d of [alice, bob]) expect(await rowView(d, chatId, id)).toMatchObject({ text: '', file: { name: 'photo.png' } });
    expect(await refusals(bob)).toEqual({});

    // A text still cannot become empty, on either side.
    const text = await alice.engine.sendText(chatId, 'words', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    await expect(alice.engine.editMessage(chatId, text, '')).rejects.toMatchObject({ code: 'bad_text' });
    await alice.engine.send(chatId, { k: 'edit', msg: text, text: '', at: Date.now() });
    await alice.engine.flush();
    await deliver(relay, bob);
    expect((await rowView(bob, chatId, text)).text).toBe('words');
    expect((await refusals(bob)).edit_refused_bad_text).toBe(1);
  });

  it("a timed file's caption cannot be edited: refused on send, ignored on receive", async () => {
    const chat = await pair();
    await timedNotEdited(chat, await chat.alice.engine.sendFile(chat.chatId, 'photo.png', 'image/png', photo(), 'burns', { ttl: 30 }));
  });

  it('an edit a receiver cannot parse (as an older app reads an emptied caption) is counted, and the chat goes on', async () => {
    const { relay, alice, bob, chatId } = await pair();
    const id = await alice.engine.sendFile(chatId, 'photo.png', 'image/png', photo(), 'kept');
    // Over this version's limit, as '' is under an older one's: a known control that does not validate.
    await alice.engine.send(chatId, { k: 'edit', msg: id, text: 'x'.repeat(4097), at: Date.now() });
    const after = await alice.engine.sendText(chatId, 'still talking', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect((await rowView(bob, chatId, id)).text).toBe('kept');
    expect((await rowView(bob, chatId, after)).text).toBe('still talking');
    expect((await refusals(bob)).bad_payload).toBe(1);
  });
});
