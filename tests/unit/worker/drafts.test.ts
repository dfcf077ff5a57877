import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { setPasscode } from '$lib/store/passcode';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { readDraft, secretDraftId } from '$lib/worker/drafts';
import type { WorkerEvent } from '$lib/worker/protocol';
import { chatsHandlers } from '$lib/worker/rpc/chats';
import type { CoreContext } from '$lib/worker/rpc/context';
import { draftsHandlers as h } from '$lib/worker/rpc/drafts';
import type { CinderDB } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { lastCursor, ME, msg, nextCursor, uuid } from '../support/cloud-updates';
import { deliver, secretPair } from '../support/secret-pair';
import { unlockedStore } from '../support/store';

let n = 0;
const { established } = secretPair('drafts');

function context(db: CinderDB, vault: Vault, me = ME) {
  const events: WorkerEvent[] = [];
  const ctx = { db, vault, me, emit: (e: WorkerEvent) => events.push(e), secretModule: () => import('$lib/worker/secret') } as unknown as CoreContext;
  return { ctx, events };
}

const carolSays = (i: number, createdAt: number) => ({
  kind: 'message' as const,
  cursor: nextCursor(),
  message: { id: uuid(i), peerId: 'carol', seq: i, senderId: 'carol', senderDeviceId: 'd', text: 'hi', replyTo: null, createdAt },
  peer: { id: 'carol', username: 'carol', displayName: 'Carol' }
});

describe('cloud chat drafts', () => {
  it('are stored sealed, read back with their reply target, shown and sorted in the chat list, and deleted when blank', async () => {
    const { db, vault } = await unlockedStore(`drafts-cloud-${n++}`);
    await applyUpdates(db, vault, ME, [msg(1, 'bob'), msg(2, ME), carolSays(3, 5_000)], lastCursor());
    const { ctx, events } = context(db, vault);
    const order = async () => (await chatsHandlers.listChats(ctx, {})).map((c) => [c.id, c.draft]);
    expect(await order()).toEqual([
      ['carol', undefined],
      ['bob', undefined]
    ]);

    await h.saveDraft(ctx, { peerId: 'bob', text: 'half-typed words\nsecond line', replyTo: uuid(1) });
    expect(events).toContainEqual({ type: 'chats' });
    // Sealed, bound to its row: no plaintext in IndexedDB.
    const row = (await db.drafts.get('cloud:bob'))!;
    expect(new TextDecoder().decode(row.box)).not.toContain('half-typed');
    expect(await h.draft(ctx, { peerId: 'bob' })).toMatchObject({ text: 'half-typed words\nsecond line', replyTo: { id: uuid(1), text: 'text 1', mine: false } });
    // The chat with the newer draft comes first, showing it on one line.
    expect(await order()).toEqual([
      ['bob', 'half-typed words second line'],
      ['carol', undefined]
    ]);

    // A reply target deleted meanwhile is dropped; the text stays.
    await applyUpdates(db, vault, ME, [{ kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: [uuid(1)] }]);
    expect(await h.draft(ctx, { peerId: 'bob' })).toEqual({ text: 'half-typed words\nsecond line', replyTo: null });

    // Sent (the field emptied): blank deletes it.
    await h.saveDraft(ctx, { peerId: 'bob', text: '  \n', replyTo: null });
    expect(await db.drafts.count()).toBe(0);
    expect(await h.draft(ctx, { peerId: 'bob' })).toBeNull();
    expect(await order()).toEqual([
      ['carol', undefined],
      ['bob', undefined]
    ]);
    db.close();
  });

  it('a chat with a draft and no message yet is listed; a draft over the length limit is refused', async () => {
    const { db, vault } = await unlockedStore(`drafts-empty-${n++}`);
    await db.chats.put({ peerId: 'dave', peer: { id: 'dave', username: 'dave', displayName: 'Dave' }, lastAt: 0, myReadSeq: 0, readSentSeq: 0, peerReadSeq: 0 });
    const { ctx } = context(db, vault);
    expect(await chatsHandlers.listChats(ctx, {})).toEqual([]);
    await h.saveDraft(ctx, { peerId: 'dave', text: 'hello Dave', replyTo: null });
    expect(await chatsHandlers.listChats(ctx, {})).toMatchObject([{ kind: 'cloud', id: 'dave', draft: 'hello Dave', preview: '', unread: 0 }]);
    // The draft cleared: a chat with no message leaves the list again.
    await h.saveDraft(ctx, { peerId: 'dave', text: ' ', replyTo: null });
    expect(await chatsHandlers.listChats(ctx, {})).toEqual([]);
    // No chat stored for that peer: nothing is kept.
    await h.saveDraft(ctx, { peerId: 'erin', text: 'to nobody stored here', replyTo: null });
    expect(await db.drafts.count()).toBe(0);
    const { dispatch } = await import('$lib/worker/rpc');
    await expect(dispatch(ctx, 'saveDraft', { peerId: 'dave', text: 'x'.repeat(4097) })).rejects.toThrow();
    db.close();
  });

  it('are re-keyed with the vault when a passcode is set', async () => {
    const { db, vault } = await unlockedStore(`drafts-rekey-${n++}`);
    await applyUpdates(db, vault, ME, [msg(1, 'bob')], lastCursor());
    await h.saveDraft(context(db, vault).ctx, { peerId: 'bob', text: 'kept across the passcode', replyTo: null });
    const next = await setPasscode(db, vault, '123456');
    expect(await h.draft(context(db, next).ctx, { peerId: 'bob' })).toEqual({ text: 'kept across the passcode', replyTo: null });
    await expect(h.draft(context(db, vault).ctx, { peerId: 'bob' })).rejects.toMatchObject({ code: 'stale_key' });
    db.close();
  });
});

describe('secret chat drafts', () => {
  it('are kept through a cleared history and destroyed with the chat, on both devices', async () => {
    const { relay, alice, bob, chatId } = await established();
    const a = context(alice.db, alice.vault, 'u-alice').ctx;
    const b = context(bob.db, bob.vault, 'u-bob').ctx;
    const hello = await bob.engine.sendText(chatId, 'hello', null);
    await bob.engine.flush();
    await deliver(relay, alice);

    await h.secretSaveDraft(a, { id: chatId, text: 'my answer', replyTo: hello });
    await h.secretSaveDraft(b, { id: chatId, text: "bob's words", replyTo: null });
    expect(await h.secretDraft(a, { id: chatId })).toMatchObject({ text: 'my answer', replyTo: { id: hello, text: 'hello' } });
    expect(await chatsHandlers.listChats(a, {})).toMatchObject([{ kind: 'secret', id: chatId, draft: 'my answer' }]);

    // Clearing the history keeps what is being typed, without its (now gone) reply target.
    await alice.engine.clearHistory(chatId);
    expect(await h.secretDraft(a, { id: chatId })).toEqual({ text: 'my answer', replyTo: null });

    // Deleting the chat destroys its draft here, and the peer's chat, cancelled, loses its draft too.
    await alice.engine.deleteChat(chatId);
    expect(await alice.db.drafts.count()).toBe(0);
    await alice.engine.flush();
    expect(await readDraft(bob.db, bob.vault, secretDraftId(chatId))).not.toBeNull();
    await deliver(relay, bob);
    expect((await bob.db.secretChats.get(chatId))?.status).toBe('cancelled');
    expect(await bob.db.drafts.count()).toBe(0);

    // A save arriving after the end (a debounced one from the page) stores nothing.
    await h.secretSaveDraft(b, { id: chatId, text: 'too late', replyTo: null });
    await h.secretSaveDraft(a, { id: chatId, text: 'too late', replyTo: null });
    expect(await bob.db.drafts.count()).toBe(0);
    expect(await alice.db.drafts.count()).toBe(0);
    expect(await h.secretDraft(b, { id: chatId })).toBeNull();
  });

  it('a chat still waiting for its peer keeps no draft', async () => {
    const { device } = secretPair(`drafts-wait-${n++}`);
    const { FakeRelay } = await import('../support/fake-relay');
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    await device(relay, 'bob');
    const chatId = await alice.engine.start('u-bob');
    await h.secretSaveDraft(context(alice.db, alice.vault, 'u-alice').ctx, { id: chatId, text: 'early', replyTo: null });
    expect(await alice.db.drafts.count()).toBe(0);
  });
});
