/**
 * A send deletes the chat's draft in the worker, in the transaction storing the message: the page's
 * blank save after a send may never arrive (the tab closed at once), and a save of the text the page
 * issued before the send, still sealing, must not store it again after (worker/draft-order.ts).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { cloudDraftId, readDraft, secretDraftId } from '$lib/worker/drafts';
import type { CoreContext } from '$lib/worker/rpc/context';
import { cloudHandlers } from '$lib/worker/rpc/cloud';
import { draftsHandlers as h } from '$lib/worker/rpc/drafts';
import { mediaHandlers } from '$lib/worker/rpc/media';
import { secretHandlers } from '$lib/worker/rpc/secret';
import type { SecretEngine } from '$lib/worker/secret';
import type { CinderDB } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { lastCursor, ME, msg } from '../support/cloud-updates';
import { secretPair } from '../support/secret-pair';
import { unlockedStore } from '../support/store';

let n = 0;
const { established } = secretPair('drafts-send');

function context(db: CinderDB, vault: Vault, me = ME, engine?: SecretEngine) {
  return {
    db,
    vault,
    me,
    emit: () => undefined,
    flush: async () => undefined,
    scheduleRetry: async () => undefined,
    secret: async () => engine,
    secretModule: () => import('$lib/worker/secret')
  } as unknown as CoreContext;
}

/** Seals of places starting with `prefix` wait until `release()`: a slow WebCrypto call. */
function slowSeals(vault: Vault, prefix: string) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const seal = vault.seal.bind(vault);
  const spy = vi.spyOn(vault, 'seal').mockImplementation(async (place: string, value: unknown) => {
    if (place.startsWith(prefix)) await gate;
    return seal(place, value);
  });
  return { release, restore: () => spy.mockRestore() };
}

async function cloudChat() {
  const { db, vault } = await unlockedStore(`drafts-send-${n++}`);
  await applyUpdates(db, vault, ME, [msg(1, 'bob')], lastCursor());
  return { db, vault, ctx: context(db, vault) };
}

describe('sending in a cloud chat', () => {
  it('deletes the draft with the message stored, without the blank save after it (the tab closed at once)', async () => {
    const { db, vault, ctx } = await cloudChat();
    await h.saveDraft(ctx, { peerId: 'bob', text: 'see you at 8', replyTo: null });
    await cloudHandlers.send(ctx, { peerId: 'bob', text: 'see you at 8' });
    expect(await readDraft(db, vault, cloudDraftId('bob'))).toBeNull();
    expect(await h.draft(ctx, { peerId: 'bob' })).toBeNull();
    db.close();
  });

  it('a save of the text issued before the send, still sealing, does not bring it back after', async () => {
    const { db, vault, ctx } = await cloudChat();
    const slow = slowSeals(vault, 'drafts/');
    const saving = h.saveDraft(ctx, { peerId: 'bob', text: 'see you at 8', replyTo: null });
    await cloudHandlers.send(ctx, { peerId: 'bob', text: 'see you at 8' });
    slow.release();
    await saving;
    slow.restore();
    expect(await db.drafts.count()).toBe(0);
    db.close();
  });

  it('keeps what was typed after the send, even when the send commits after that save', async () => {
    const { db, vault, ctx } = await cloudChat();
    await h.saveDraft(ctx, { peerId: 'bob', text: 'see you at 8', replyTo: null });
    // The message's seal is slow: the send's transaction comes after the next save's.
    const slow = slowSeals(vault, 'messages/');
    const sending = cloudHandlers.send(ctx, { peerId: 'bob', text: 'see you at 8' });
    await h.saveDraft(ctx, { peerId: 'bob', text: 'and bring the map', replyTo: null });
    slow.release();
    await sending;
    slow.restore();
    expect(await readDraft(db, vault, cloudDraftId('bob'))).toMatchObject({ text: 'and bring the map' });
    db.close();
  });
});

describe('sending in a secret chat', () => {
  it('deletes the draft with the text stored, and a slower save issued before it stores nothing after', async () => {
    const { alice, chatId } = await established();
    const ctx = context(alice.db, alice.vault, 'u-alice', alice.engine);
    await h.secretSaveDraft(ctx, { id: chatId, text: 'first words', replyTo: null });
    await secretHandlers.secretSend(ctx, { id: chatId, text: 'first words' });
    expect(await readDraft(alice.db, alice.vault, secretDraftId(chatId))).toBeNull();

    const slow = slowSeals(alice.vault, 'drafts/');
    const saving = h.secretSaveDraft(ctx, { id: chatId, text: 'second words', replyTo: null });
    await secretHandlers.secretSend(ctx, { id: chatId, text: 'second words' });
    slow.release();
    await saving;
    slow.restore();
    expect(await alice.db.drafts.count()).toBe(0);

    // What is typed after a send is a draft again.
    await h.secretSaveDraft(ctx, { id: chatId, text: 'third', replyTo: null });
    expect(await h.secretDraft(ctx, { id: chatId })).toEqual({ text: 'third', replyTo: null });
  });

  it('a file sent with a caption deletes the draft; one without (a voice message) keeps it', async () => {
    const { alice, chatId } = await established();
    const ctx = context(alice.db, alice.vault, 'u-alice', alice.engine);
    const bytes = () => crypto.getRandomValues(new Uint8Array(300)).buffer as ArrayBuffer;
    await h.secretSaveDraft(ctx, { id: chatId, text: 'still typing', replyTo: null });
    await mediaHandlers.secretSendFile(ctx, { id: chatId, name: 'a.bin', mime: 'application/octet-stream', bytes: bytes() });
    expect(await h.secretDraft(ctx, { id: chatId })).toEqual({ text: 'still typing', replyTo: null });

    await mediaHandlers.secretSendFile(ctx, { id: chatId, name: 'b.bin', mime: 'application/octet-stream', bytes: bytes(), caption: 'still typing' });
    expect(await alice.db.drafts.count()).toBe(0);
  });
});
