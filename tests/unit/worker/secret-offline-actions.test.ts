// A secret chat's edit, reaction, delete for both, pin and mute work offline too: each is applied on
// this device at once (the settings live only here) and the envelopes wait in the send queue; when the
// relay answers again they reach the peer.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { MUTED_FOREVER } from '$lib/api/limits';
import { chatSettingsHandlers } from '$lib/worker/rpc/chat-settings';
import { deliver, rowView, secretPair } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established: pair } = secretPair('secret-offline-actions');

describe('secret chat actions offline', () => {
  it('show at once on this device, wait in the send queue through the outage, and reach the peer after it', async () => {
    const { relay, alice, bob, chatId } = await pair();
    const mine = await alice.engine.sendText(chatId, 'helo', null);
    const gone = await alice.engine.sendText(chatId, 'oops', null);
    const theirs = await bob.engine.sendText(chatId, 'hi', null);
    await alice.engine.flush();
    await bob.engine.flush();
    await deliver(relay, bob);
    await deliver(relay, alice);

    // The relay cannot be reached (every post fails as an outage does).
    relay.failSends = 1_000;
    await alice.engine.editMessage(chatId, mine, 'hello');
    await alice.engine.reactMessage(chatId, theirs, '👍');
    await alice.engine.deleteMessages(chatId, [gone]);
    const ctx = { db: alice.db, vault: alice.vault, me: 'u-alice', emit: () => {}, flush: async () => {} };
    await chatSettingsHandlers.pinChat(ctx, { kind: 'secret', id: chatId, pinned: true });
    await chatSettingsHandlers.muteChat(ctx, { kind: 'secret', id: chatId, mutedUntil: MUTED_FOREVER });
    await alice.engine.flush().catch(() => undefined);

    expect(await rowView(alice, chatId, mine)).toMatchObject({ text: 'hello', edited: expect.any(Number) });
    expect((await rowView(alice, chatId, theirs)).reactions).toEqual({ mine: '👍' });
    expect(await rowView(alice, chatId, gone)).toBeUndefined();
    expect(await alice.db.secretChats.get(chatId)).toMatchObject({ pinnedAt: expect.any(Number), mutedUntil: MUTED_FOREVER });
    expect(await alice.db.sendQueue.count()).toBeGreaterThan(0);

    relay.failSends = 0;
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(await rowView(bob, chatId, mine)).toMatchObject({ text: 'hello', edited: expect.any(Number) });
    expect((await rowView(bob, chatId, theirs)).reactions).toEqual({ peer: '👍' });
    expect(await rowView(bob, chatId, gone)).toBeUndefined();
    expect(await alice.db.sendQueue.count()).toBe(0);
  });
});
