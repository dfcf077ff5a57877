/**
 * A secret chat's change events name the message rows that changed, so the open window reads just
 * those (secretRows) instead of the whole window; an event that cannot say (a clear) names none.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { secretMessages, secretRows } from '$lib/worker/secret';
import { deliver, secretPair, type SecretEvent } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established: pair } = secretPair('secret-rows');

/** Every row an event named since `from` (undefined once one named none: a full read). */
const named = (evs: SecretEvent[], from = 0): string[] | undefined =>
  evs.slice(from).reduce<string[] | undefined>((acc, e) => (acc && e.rows ? [...acc, ...e.rows] : undefined), []);

describe('secret change events name their rows', () => {
  it('a message received, a read receipt, a delete: each event names those rows; the window reads them alone', async () => {
    const { relay, alice, bob, chatId, events } = await pair();
    const id = await alice.engine.sendText(chatId, 'hello', null);
    expect(named(events.alice)).toEqual([id]);
    await alice.engine.flush();
    // The queue sent it: its tick changes, named again.
    expect(named(events.alice)).toEqual([id, id]);

    await deliver(relay, bob);
    expect(named(events.bob)).toEqual([id]);
    const [view] = await secretRows(bob.db, bob.vault, chatId, [id]);
    expect(view).toEqual((await secretMessages(bob.db, bob.vault, chatId, { limit: 10 })).messages.find((m) => m.id === id));

    const at = events.alice.length;
    await bob.engine.markRead(chatId, [id]);
    // Receipts leave in a batch at a random delay (receipts.ts): send it now.
    await bob.engine.sendReceipts();
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(named(events.alice, at)).toContain(id);
    expect((await secretRows(alice.db, alice.vault, chatId, [id]))[0].ticks).toBe('read');

    const before = events.bob.length;
    await alice.engine.deleteMessages(chatId, [id]);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(named(events.bob, before)).toEqual([id]);
    // Gone: not read back, so the window drops it.
    expect(await secretRows(bob.db, bob.vault, chatId, [id])).toEqual([]);
  });

  it('a clear names no rows (the window reads itself again); rows of another chat are never read back', async () => {
    const { relay, alice, bob, chatId, events } = await pair();
    const id = await alice.engine.sendText(chatId, 'soon cleared', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    const at = events.bob.length;
    await alice.engine.clearHistory(chatId);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(events.bob.length).toBeGreaterThan(at);
    expect(named(events.bob, at)).toBeUndefined();
    expect(await secretRows(bob.db, bob.vault, 'another-chat', [id])).toEqual([]);
  });

  it('a quoted original deleted: the reply read back shows it gone', async () => {
    const { relay, alice, bob, chatId } = await pair();
    const original = await alice.engine.sendText(chatId, 'original', null);
    const reply = await alice.engine.sendText(chatId, 'reply', original, null, { snippet: 'original', from: 'sender' });
    await alice.engine.flush();
    await deliver(relay, bob);
    await bob.engine.deleteForMe(chatId, [original]);
    const [view] = await secretRows(bob.db, bob.vault, chatId, [reply]);
    expect(view.quote).toMatchObject({ id: original, gone: true, snippet: 'Deleted message' });
  });
});
