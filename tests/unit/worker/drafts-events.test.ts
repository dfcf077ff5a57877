/**
 * The worker tells every tab when a chat's draft changed (`draft`, carrying no text: worker/rpc/drafts.ts,
 * shared over data-channel.ts): after a save that changed the stored draft and after a send that
 * deleted it. The chat list hears of draft saves at most every DRAFT_LIST_MS (the page saves about
 * once a keystroke, and every tab re-reads its list on `chats`).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { draftChat } from '$lib/worker/drafts';
import type { WorkerEvent } from '$lib/worker/protocol';
import type { CoreContext } from '$lib/worker/rpc/context';
import { cloudHandlers } from '$lib/worker/rpc/cloud';
import { DRAFT_LIST_MS, draftsHandlers as h } from '$lib/worker/rpc/drafts';
import { secretHandlers } from '$lib/worker/rpc/secret';
import { followPeers, share } from '$lib/worker/data-channel';
import { lastCursor, ME, msg } from '../support/cloud-updates';
import { secretPair } from '../support/secret-pair';
import { unlockedStore } from '../support/store';
import { fakeChannel } from '../support/fake-channel';

const { established } = secretPair('drafts-events');

function context(events: WorkerEvent[], rest: Record<string, unknown>) {
  return { me: ME, emit: (e: WorkerEvent) => events.push(e), flush: async () => undefined, scheduleRetry: async () => undefined, ...rest } as unknown as CoreContext;
}
const drafts = (events: WorkerEvent[]) => events.filter((e) => e.type === 'draft');
const lists = (events: WorkerEvent[]) => events.filter((e) => e.type === 'chats').length;

describe('draft events', () => {
  it('a cloud save that changed the draft says so at once, the list at most every DRAFT_LIST_MS; a send that deleted it says so', async () => {
    const { db, vault } = await unlockedStore('drafts-events-cloud');
    await applyUpdates(db, vault, ME, [msg(1, 'bob')], lastCursor());
    const events: WorkerEvent[] = [];
    const ctx = context(events, { db, vault });
    // Only the list's timer is faked (IndexedDB here runs on setImmediate).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    for (const text of ['h', 'he', 'hel']) await h.saveDraft(ctx, { peerId: 'bob', text, replyTo: null });
    expect(drafts(events)).toEqual(Array(3).fill({ type: 'draft', kind: 'cloud', chat: 'bob' }));
    expect(lists(events)).toBe(1);
    // The last save's preview reaches the list at the end of the interval.
    vi.advanceTimersByTime(DRAFT_LIST_MS);
    expect(lists(events)).toBe(2);
    vi.advanceTimersByTime(DRAFT_LIST_MS);
    expect(lists(events)).toBe(2);
    vi.useRealTimers();

    events.length = 0;
    await cloudHandlers.send(ctx, { peerId: 'bob', text: 'hel' });
    expect(drafts(events)).toEqual([{ type: 'draft', kind: 'cloud', chat: 'bob' }]);
    // Nothing changed (a blank save with no draft stored; a send with none): no event.
    events.length = 0;
    await h.saveDraft(ctx, { peerId: 'bob', text: '', replyTo: null });
    await cloudHandlers.send(ctx, { peerId: 'bob', text: 'no draft before this one' });
    expect(drafts(events)).toEqual([]);
    db.close();
  });

  it("two cores in one process each throttle their own list's notices", async () => {
    const { db, vault } = await unlockedStore('drafts-events-two-cores');
    await applyUpdates(db, vault, ME, [msg(1, 'bob')], lastCursor());
    const [one, two]: WorkerEvent[][] = [[], []];
    const [a, b] = [context(one, { db, vault }), context(two, { db, vault })];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await h.saveDraft(a, { peerId: 'bob', text: 'a', replyTo: null });
    await h.saveDraft(b, { peerId: 'bob', text: 'b', replyTo: null });
    await h.saveDraft(b, { peerId: 'bob', text: 'bb', replyTo: null });
    expect([lists(one), lists(two)]).toEqual([1, 1]);
    vi.advanceTimersByTime(DRAFT_LIST_MS);
    expect([lists(one), lists(two)]).toEqual([1, 2]);
    vi.useRealTimers();
    db.close();
  });

  it("a secret chat's save and send say so with the chat's id", async () => {
    const { alice, chatId } = await established();
    const events: WorkerEvent[] = [];
    const ctx = context(events, { db: alice.db, vault: alice.vault, me: 'u-alice', secret: async () => alice.engine, secretModule: () => import('$lib/worker/secret') });
    await h.secretSaveDraft(ctx, { id: chatId, text: 'first words', replyTo: null });
    await secretHandlers.secretSend(ctx, { id: chatId, text: 'first words' });
    expect(drafts(events)).toEqual(Array(2).fill({ type: 'draft', kind: 'secret', chat: chatId }));
  });

  it('go to the other tabs without text, and a draft id names its chat', () => {
    const { channel, posted, hear } = fakeChannel();
    share(channel, { type: 'draft', kind: 'cloud', chat: 'bob' });
    expect(posted).toEqual([{ type: 'draft', kind: 'cloud', chat: 'bob' }]);

    const heard: WorkerEvent[] = [];
    followPeers(
      channel,
      (e) => heard.push(e),
      () => {}
    );
    hear({ type: 'draft', kind: 'secret', chat: 'c1' });
    hear({ type: 'draft', kind: 'secret' });
    expect(heard).toEqual([{ type: 'draft', kind: 'secret', chat: 'c1' }]);

    expect(draftChat('cloud:bob')).toEqual({ kind: 'cloud', chat: 'bob' });
    expect(draftChat('secret:a:b')).toEqual({ kind: 'secret', chat: 'a:b' });
    expect(draftChat('other:x')).toBeNull();
  });
});
