// Archived chats on this device (worker/chat-settings.ts, rpc/chat-settings.ts `archiveChat`). A cloud
// chat's archive is a setting like its pin and mute: shown at once, queued offline (merged with the
// chat's other settings), sent when the relay answers, kept over what the log says while it waits, and
// brought by the log's `settings` updates (the relay's unarchive for a new message too). A secret
// chat's stays on its row; the peer's new message takes it out of the archive unless muted.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MUTED_FOREVER } from '$lib/api/limits';
import type { Update } from '$lib/api/wire';
import { storeChatPeer } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { keptSettingsKey, unarchivedByMessage } from '$lib/worker/chat-settings';
import { chatSettingsHandlers } from '$lib/worker/rpc/chat-settings';
import { secretChatList } from '$lib/worker/secret/views';
import { settingsDevice } from '../support/settings-device';
import { bob, ME, msg, nextCursor } from '../support/cloud-updates';
import { deliver, secretPair } from '../support/secret-pair';

let dbs = 0;

const settings = (archived: boolean | undefined, mutedUntil: number | null = null, peerId = 'bob'): Update => ({
  kind: 'settings',
  cursor: nextCursor(),
  peerId,
  pinnedAt: null,
  mutedUntil,
  ...(archived === undefined ? {} : { archived })
});

const device = () => settingsDevice(`archive-${dbs++}`);

describe("a cloud chat's archive", () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is shown at once offline, queued with the mute, kept over the log while it waits, and sent when the relay answers', async () => {
    const { db, vault, ctx, events, calls, relay, flush, queue, listed } = await device();
    await chatSettingsHandlers.archiveChat(ctx, { kind: 'cloud', id: 'bob', archived: true });
    await chatSettingsHandlers.muteChat(ctx, { kind: 'cloud', id: 'bob', mutedUntil: MUTED_FOREVER });
    expect(await listed()).toMatchObject({ archived: true, mutedUntil: MUTED_FOREVER });
    expect(events).toContainEqual({ type: 'chats' });
    expect(await queue()).toEqual([{ kind: 'settings', req: { archived: true, mutedUntil: MUTED_FOREVER } }]);
    // Offline: nothing went; the log's older word (not archived) does not undo the waiting archive.
    await flush();
    expect(calls).toEqual([]);
    await applyUpdates(db, vault, ME, [settings(false)]);
    expect(await listed()).toMatchObject({ archived: true, mutedUntil: MUTED_FOREVER });

    relay.answer = (c) => (c.method === 'PUT' ? { status: 200, body: { settings: { pinnedAt: null, mutedUntil: MUTED_FOREVER, archived: true } } } : { status: 204 });
    await flush();
    expect(calls.map((c) => [c.method, c.path, c.body])).toEqual([['PUT', '/api/cloud/chats/bob/settings', { archived: true, mutedUntil: MUTED_FOREVER }]]);
    expect(await queue()).toEqual([]);
    expect((await db.chats.get('bob'))?.archived).toBe(true);

    // Unarchived here: the field goes (never stored as false).
    await chatSettingsHandlers.archiveChat(ctx, { kind: 'cloud', id: 'bob', archived: false });
    expect(Object.keys((await db.chats.get('bob'))!)).not.toContain('archived');
    expect((await listed())?.archived).toBeUndefined();
    expect(await queue()).toEqual([{ kind: 'settings', req: { archived: false } }]);
  });

  it("comes and goes with the log's settings (my other device, the relay's unarchive for a new message); absent is not archived", async () => {
    const { db, vault, listed } = await device();
    await applyUpdates(db, vault, ME, [settings(true)]);
    expect(await listed()).toMatchObject({ archived: true });
    // The relay took it out of the archive when Bob wrote: the message, then the settings.
    await applyUpdates(db, vault, ME, [msg(2, 'bob'), settings(false)]);
    expect((await listed())?.archived).toBeUndefined();
    await applyUpdates(db, vault, ME, [settings(true)]);
    // A relay from before archiving sends settings without it: not archived.
    await applyUpdates(db, vault, ME, [settings(undefined, 5)]);
    expect(await db.chats.get('bob')).toMatchObject({ mutedUntil: 5 });
    expect(Object.keys((await db.chats.get('bob'))!)).not.toContain('archived');

    // A chat with no row here yet keeps its archive until the row is made.
    await applyUpdates(db, vault, ME, [settings(true, null, 'carol')]);
    expect(await db.meta.get(keptSettingsKey('carol'))).toMatchObject({ value: { archived: true } });
    expect(await storeChatPeer(db, { ...bob, id: 'carol', username: 'carol' })).toMatchObject({ peerId: 'carol', archived: true });
  });

  it('merged with a pin the relay refuses over the limit: the archive goes alone and holds', async () => {
    const { db, ctx, events, calls, relay, flush, queue } = await device();
    await chatSettingsHandlers.pinChat(ctx, { kind: 'cloud', id: 'bob', pinned: true });
    await chatSettingsHandlers.archiveChat(ctx, { kind: 'cloud', id: 'bob', archived: true });
    relay.answer = (c) =>
      c.method !== 'PUT'
        ? { status: 204 }
        : (c.body as { pinned?: boolean }).pinned
          ? { status: 409, body: { error: { code: 'too_many_pinned', message: 'Unpin a chat first: up to 5' } } }
          : { status: 200, body: { settings: { pinnedAt: null, mutedUntil: null, archived: true } } };
    await flush();
    expect(calls.map((c) => c.body)).toEqual([{ pinned: true, archived: true }, { archived: true }]);
    expect(events.filter((e) => e.type === 'notice')).toHaveLength(1);
    const row = (await db.chats.get('bob'))!;
    expect([row.archived, row.pinnedAt]).toEqual([true, undefined]);
    expect(await queue()).toEqual([]);
  });

  it("refused for good: the relay's archive is put back", async () => {
    const { db, ctx, relay, flush, queue } = await device();
    await applyUpdates(db, ctx.vault, ME, [settings(true)]);
    await chatSettingsHandlers.archiveChat(ctx, { kind: 'cloud', id: 'bob', archived: false });
    expect((await db.chats.get('bob'))?.archived).toBeUndefined();
    const summary = { peer: bob, lastMessage: null, myReadSeq: 0, peerReadSeq: 0, unread: 0, pinnedAt: null, mutedUntil: null, archived: true };
    relay.answer = (c) =>
      c.method === 'PUT'
        ? { status: 404, body: { error: { code: 'not_found', message: 'no such chat' } } }
        : c.path === '/api/cloud/chats'
          ? { status: 200, body: { chats: [summary] } }
          : { status: 204 };
    await flush();
    expect(await queue()).toEqual([]);
    expect((await db.chats.get('bob'))?.archived).toBe(true);
  });
});

describe("a secret chat's archive", () => {
  const { established: pair } = secretPair('archive-secret');

  it("stays on its row through a pin and a mute; the peer's message takes it out unless muted, a reaction does not", async () => {
    const { relay, alice, bob: peer, chatId } = await pair();
    const ctx = { db: alice.db, vault: alice.vault, me: 'u-alice', emit: () => {}, flush: async () => {} };
    const listed = async () => (await secretChatList(alice.db, alice.vault)).find((c) => c.id === chatId);
    await chatSettingsHandlers.archiveChat(ctx, { kind: 'secret', id: chatId, archived: true });
    await chatSettingsHandlers.pinChat(ctx, { kind: 'secret', id: chatId, pinned: true });
    expect(await listed()).toMatchObject({ archived: true, pinnedAt: expect.any(Number) });

    // Muted: Bob's message leaves it archived.
    await chatSettingsHandlers.muteChat(ctx, { kind: 'secret', id: chatId, mutedUntil: MUTED_FOREVER });
    const first = await peer.engine.sendText(chatId, 'psst', null);
    await peer.engine.flush();
    await deliver(relay, alice);
    expect(await listed()).toMatchObject({ archived: true, unread: 1 });

    // Not muted: a reaction changes nothing, a message brings it back.
    await chatSettingsHandlers.muteChat(ctx, { kind: 'secret', id: chatId, mutedUntil: null });
    await peer.engine.reactMessage(chatId, first, '👍');
    await peer.engine.flush();
    await deliver(relay, alice);
    expect(await listed()).toMatchObject({ archived: true });
    await peer.engine.sendText(chatId, 'hello?', null);
    await peer.engine.flush();
    await deliver(relay, alice);
    const view = await listed();
    expect(view?.archived).toBeUndefined();
    expect(view).toMatchObject({ pinnedAt: expect.any(Number), unread: 2 });
    expect(Object.keys((await alice.db.secretChats.get(chatId))!)).not.toContain('archived');
  });

  it("the peer's message brings a pinned archived chat back unpinned when the main list holds five pins already", async () => {
    const { relay, alice, bob: peer, chatId } = await pair();
    const ctx = { db: alice.db, vault: alice.vault, me: 'u-alice', emit: () => {}, flush: async () => {} };
    await chatSettingsHandlers.archiveChat(ctx, { kind: 'secret', id: chatId, archived: true });
    await chatSettingsHandlers.pinChat(ctx, { kind: 'secret', id: chatId, pinned: true });
    await alice.db.chats.bulkPut(
      [1, 2, 3, 4, 5].map((i) => ({ peerId: `p${i}`, peer: { ...bob, id: `p${i}` }, lastAt: 1, myReadSeq: 0, readSentSeq: 0, peerReadSeq: 0, pinnedAt: i }))
    );
    await peer.engine.sendText(chatId, 'back?', null);
    await peer.engine.flush();
    await deliver(relay, alice);
    const row = (await alice.db.secretChats.get(chatId))!;
    expect([row.archived, row.pinnedAt, row.lastAt > 1]).toEqual([undefined, undefined, true]);
  });

  it('a mute that has ended is no mute: the message unarchives', () => {
    const row = { archived: true as const, mutedUntil: 1_000 };
    expect(unarchivedByMessage(row, 999)).toBe(row);
    expect(unarchivedByMessage(row, 1_000)).toEqual({ mutedUntil: 1_000 });
    expect(unarchivedByMessage({ mutedUntil: 5 }, 1)).toEqual({ mutedUntil: 5 });
  });
});
