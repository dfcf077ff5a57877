// "Mark as unread" / "Mark as read" on this device (worker/unread-mark.ts, rpc/chat-settings.ts
// `markChatUnread`, `markChatRead`). A cloud chat's mark is one of its settings: shown at once, queued
// offline and merged with an archive queued for the same chat, sent when the relay answers, brought by
// the log's `settings` updates, taken off when the chat is opened. "Mark as read" reads a cloud chat up
// to its newest message. A secret chat's mark stays on its row, and "Mark as read" sends no receipt.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Update } from '$lib/api/wire';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { flushOutbox } from '$lib/worker/outbox';
import { chatSettingsHandlers } from '$lib/worker/rpc/chat-settings';
import { secretChatList } from '$lib/worker/secret/views';
import { settingsDevice } from '../support/settings-device';
import { ME, msg, nextCursor } from '../support/cloud-updates';
import { deliver, secretPair } from '../support/secret-pair';

let dbs = 0;

const settings = (markedUnread: boolean | undefined, archived = false): Update => ({
  kind: 'settings',
  cursor: nextCursor(),
  peerId: 'bob',
  pinnedAt: null,
  mutedUntil: null,
  archived,
  ...(markedUnread === undefined ? {} : { markedUnread })
});

const device = () => settingsDevice(`unread-mark-${dbs++}`, { unread: 0 });

describe("a cloud chat's unread mark", () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is shown at once offline, merged with an archive queued for the chat, kept over the log while it waits, and sent when the relay answers', async () => {
    const { db, vault, ctx, events, calls, relay, flush, queue, listed } = await device();
    await chatSettingsHandlers.archiveChat(ctx, { kind: 'cloud', id: 'bob', archived: true });
    await chatSettingsHandlers.markChatUnread(ctx, { kind: 'cloud', id: 'bob', marked: true });
    expect(await listed()).toMatchObject({ archived: true, markedUnread: true, unread: 0 });
    expect(events).toContainEqual({ type: 'chats' });
    expect(await queue()).toEqual([{ kind: 'settings', req: { archived: true, markedUnread: true } }]);

    // Offline: nothing went; the log's older word (not marked) does not undo the waiting mark.
    await flush();
    expect(calls).toEqual([]);
    await applyUpdates(db, vault, ME, [settings(false)]);
    expect(await listed()).toMatchObject({ archived: true, markedUnread: true });

    relay.answer = (c) =>
      c.method === 'PUT' ? { status: 200, body: { settings: { pinnedAt: null, mutedUntil: null, archived: true, markedUnread: true } } } : { status: 204 };
    await flush();
    expect(calls.map((c) => [c.method, c.path, c.body])).toEqual([['PUT', '/api/cloud/chats/bob/settings', { archived: true, markedUnread: true }]]);
    expect(await queue()).toEqual([]);
    expect((await db.chats.get('bob'))?.markedUnread).toBe(true);
  });

  it("comes with the log's settings (my other device) and goes when the chat is opened here, on my other devices too", async () => {
    const { db, vault, ctx, calls, relay, flush, queue, listed } = await device();
    await applyUpdates(db, vault, ME, [settings(true)]);
    expect(await listed()).toMatchObject({ markedUnread: true, unread: 0 });
    // A relay from before the mark sends settings without it: not marked.
    await applyUpdates(db, vault, ME, [settings(undefined)]);
    expect(Object.keys((await db.chats.get('bob'))!)).not.toContain('markedUnread');
    await applyUpdates(db, vault, ME, [settings(true)]);

    // Opened: the mark goes here at once (the field, never stored as false) and to the relay.
    await chatSettingsHandlers.markChatUnread(ctx, { kind: 'cloud', id: 'bob', marked: false });
    expect(Object.keys((await db.chats.get('bob'))!)).not.toContain('markedUnread');
    expect((await listed())?.markedUnread).toBeUndefined();
    expect(await queue()).toEqual([{ kind: 'settings', req: { markedUnread: false } }]);
    relay.answer = (c) =>
      c.method === 'PUT' ? { status: 200, body: { settings: { pinnedAt: null, mutedUntil: null, archived: false, markedUnread: false } } } : { status: 204 };
    await flush();
    expect(calls.map((c) => c.body)).toEqual([{ markedUnread: false }]);
    // Opened again with no mark: nothing is queued.
    await chatSettingsHandlers.markChatUnread(ctx, { kind: 'cloud', id: 'bob', marked: false });
    expect(await queue()).toEqual([]);
  });

  it('Mark as read takes the mark off and reads the chat up to its newest message (the read goes with the outbox)', async () => {
    const { db, vault, ctx, calls, relay, queue, listed } = await device();
    await applyUpdates(db, vault, ME, [msg(2, ME), msg(3, 'bob'), msg(4, 'bob')]);
    expect(await listed()).toMatchObject({ unread: 2 });
    await chatSettingsHandlers.markChatUnread(ctx, { kind: 'cloud', id: 'bob', marked: true });
    await chatSettingsHandlers.markChatRead(ctx, { kind: 'cloud', id: 'bob' });
    const view = await listed();
    expect(view).toMatchObject({ unread: 0 });
    expect(view?.markedUnread).toBeUndefined();
    expect(await db.chats.get('bob')).toMatchObject({ myReadSeq: 4, readSentSeq: 1 });
    // Marked and cleared before it went: the merged change says "not marked".
    expect(await queue()).toEqual([{ kind: 'settings', req: { markedUnread: false } }]);

    relay.answer = () => ({ status: 204 });
    await flushOutbox(db, vault, () => {});
    expect(calls.map((c) => [c.method, c.path, c.body])).toEqual([['POST', '/api/cloud/chats/bob/read', { seq: 4 }]]);
  });

  it('is never put on Saved Messages', async () => {
    const { ctx, queue } = await device();
    await expect(chatSettingsHandlers.markChatUnread(ctx, { kind: 'cloud', id: ME, marked: true })).rejects.toMatchObject({ code: 'bad_request' });
    expect(await queue()).toEqual([]);
  });
});

describe("a secret chat's unread mark", () => {
  const { established: pair } = secretPair('unread-mark-secret');

  it('stays on its row on this device; opening takes it off; Mark as read leaves unread messages unread and sends no receipt', async () => {
    const { relay, alice, bob: peer, chatId } = await pair();
    const ctx = { db: alice.db, vault: alice.vault, me: 'u-alice', emit: () => {}, flush: async () => {} };
    const listed = async () => (await secretChatList(alice.db, alice.vault)).find((c) => c.id === chatId);
    await chatSettingsHandlers.markChatUnread(ctx, { kind: 'secret', id: chatId, marked: true });
    await chatSettingsHandlers.archiveChat(ctx, { kind: 'secret', id: chatId, archived: true });
    expect(await listed()).toMatchObject({ markedUnread: true, archived: true, unread: 0 });
    // Opened: the mark goes, the archive stays.
    await chatSettingsHandlers.markChatUnread(ctx, { kind: 'secret', id: chatId, marked: false });
    expect(Object.keys((await alice.db.secretChats.get(chatId))!)).not.toContain('markedUnread');
    expect(await listed()).toMatchObject({ archived: true });

    // Bob writes with a timer; Mark as read here takes the mark off, and the message stays unread: its
    // timer does not start here, and no read report leaves (Bob's timer does not start either).
    await peer.engine.setTimer(chatId, 60);
    const timed = await peer.engine.sendText(chatId, 'self-destructing soon', null);
    await peer.engine.flush();
    await deliver(relay, alice);
    await chatSettingsHandlers.markChatUnread(ctx, { kind: 'secret', id: chatId, marked: true });
    await chatSettingsHandlers.markChatRead(ctx, { kind: 'secret', id: chatId });
    const view = await listed();
    expect(view?.markedUnread).toBeUndefined();
    expect(view?.unread).toBe(1);
    expect(await alice.db.secretMessages.get(timed)).toMatchObject({ unread: 1 });
    expect((await alice.db.secretMessages.get(timed))?.deadline).toBeUndefined();
    await alice.engine.sendReceipts();
    await alice.engine.flush();
    await deliver(relay, peer);
    expect((await peer.db.secretMessages.get(timed))?.status).toBe('sent');
    expect((await peer.db.secretMessages.get(timed))?.deadline).toBeUndefined();
    await expect(chatSettingsHandlers.markChatUnread(ctx, { kind: 'secret', id: 'no-such-chat', marked: true })).rejects.toMatchObject({ code: 'not_found' });
  });
});
