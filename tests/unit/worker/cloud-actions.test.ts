// Cloud actions taken offline (worker/cloud-actions*.ts): an edit, a reaction, a pin of a message, a
// delete for everyone, a chat's pin and mute are queued (sealed, coalesced), shown here at once, kept
// over what the log says while they wait, sent after the outbox's sends when the relay answers again,
// retried after an outage, and a refusal for good drops that one alone, puts back the relay's state
// and says so.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LIMITS, MUTED_FOREVER } from '$lib/api/limits';
import type { CloudMessage, CloudPin, Update } from '$lib/api/wire';
import { openStore } from '$lib/store/db';
import { purgeExpired } from '$lib/store/purge';
import { places } from '$lib/store/places';
import { messageView } from '$lib/worker/cloud';
import { readActions } from '$lib/worker/cloud-actions';
import { flushCloud } from '$lib/worker/cloud-actions-flush';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { cloudHandlers } from '$lib/worker/rpc/cloud';
import { chatSettingsHandlers } from '$lib/worker/rpc/chat-settings';
import { pinsHandlers } from '$lib/worker/rpc/pins';
import type { WorkerEvent } from '$lib/worker/protocol';
import { anyQueued, countQueued } from '$lib/worker/queued';
import { SYNC_LOCK, tryLock, withLock } from '$lib/worker/locks';
import { unlockedStore } from '../support/store';
import { cloudQueue, stubRelay, type Answer } from '../support/relay-stub';
import { bob, ME, msg, nextCursor, uuid } from '../support/cloud-updates';

let dbs = 0;

/**
 * A device with messages 1–3 (1 and 2 mine, 3 Bob's) stored, and a relay stub: `answer` decides
 * each call (undefined: offline), every call is recorded in `calls`.
 */
async function device(name = `cloud-actions-${dbs++}`) {
  const { db, vault } = await unlockedStore(name);
  await applyUpdates(db, vault, ME, [msg(1, ME), msg(2, ME), msg(3, 'bob')]);
  // The read marker is told already: a flush sends nothing else.
  await db.chats.update('bob', { readSentSeq: 2 });
  const events: WorkerEvent[] = [];
  const { calls, relay } = stubRelay();
  const { flush, queue } = cloudQueue(db, vault, events);
  // The handlers' own flush does nothing here: each test flushes when it says the relay answers.
  const ctx = { db, vault, me: ME, emit: (e: WorkerEvent) => events.push(e), flush: async () => {}, sendFrame: () => {} };
  const view = async (i: number) => {
    const row = await db.messages.get(uuid(i));
    return row && messageView(vault, row, ME, 0);
  };
  return { db, vault, ctx, events, calls, relay, view, queue, flush };
}

const ok: Answer = { status: 204 };
const relayMessage = (i: number, text: string, extra: Partial<CloudMessage> = {}): CloudMessage => ({
  id: uuid(i),
  peerId: 'bob',
  seq: i,
  senderId: i === 3 ? 'bob' : ME,
  senderDeviceId: 'd',
  text,
  replyTo: null,
  createdAt: 1_000 + i,
  ...extra
});

describe('cloud actions offline', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('are shown at once, sealed in a queue, and coalesced: the newest edit or reaction, settings merged, a delete drops what waits for its messages', async () => {
    const { db, vault, ctx, view, queue } = await device();
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: uuid(1), text: 'frist' });
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: uuid(1), text: 'first' });
    await cloudHandlers.reactMessage(ctx, { peerId: 'bob', id: uuid(3), emoji: '👍' });
    await cloudHandlers.reactMessage(ctx, { peerId: 'bob', id: uuid(3), emoji: '❤️' });
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: uuid(2), text: 'gone soon' });
    await cloudHandlers.reactMessage(ctx, { peerId: 'bob', id: uuid(2), emoji: '😂' });
    await cloudHandlers.deleteMessages(ctx, { peerId: 'bob', ids: [uuid(2)] });
    await chatSettingsHandlers.pinChat(ctx, { kind: 'cloud', id: 'bob', pinned: true });
    await chatSettingsHandlers.muteChat(ctx, { kind: 'cloud', id: 'bob', mutedUntil: MUTED_FOREVER });

    // Shown here at once.
    expect(await view(1)).toMatchObject({ text: 'first', edited: expect.any(Number) });
    expect((await view(3))?.reactions).toEqual({ mine: '❤️' });
    expect(await view(2)).toBeUndefined();
    expect(await db.chats.get('bob')).toMatchObject({ pinnedAt: expect.any(Number), mutedUntil: MUTED_FOREVER });

    // One row per thing acted on, in the order first acted on.
    expect(await queue()).toEqual([
      { kind: 'edit', req: { id: uuid(1), text: 'first' }, at: expect.any(Number) },
      { kind: 'react', req: { id: uuid(3), emoji: '❤️' } },
      { kind: 'delete', req: { ids: [uuid(2)] }, seqs: [2] },
      { kind: 'settings', req: { pinned: true, mutedUntil: MUTED_FOREVER } }
    ]);
    expect(await countQueued(db)).toEqual({ count: 0, actions: 4 });
    // What it does is sealed: no text, emoji or setting in clear.
    const rows = await db.cloudActions.toArray();
    expect(JSON.stringify(rows.map(({ box: _, ...clear }) => clear))).not.toMatch(/first|❤️|pinned/);
    const edit = (await db.cloudActions.get(`edit:${uuid(1)}`))!;
    expect(await vault.open(places.cloudAction(edit.key), edit.box)).toMatchObject({ req: { text: 'first' } });
  });

  it('an edit of a message still in the outbox rewrites its queued send (no edit queued); it goes with the new text', async () => {
    const { db, ctx, calls, relay, view, queue, flush } = await device();
    const sent = await cloudHandlers.send(ctx, { peerId: 'bob', text: 'helo' });
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: sent.id, text: 'hello' });
    expect(await queue()).toEqual([]);
    expect(await db.outbox.count()).toBe(1);
    expect((await messageView(ctx.vault, (await db.messages.get(sent.id))!, ME, 0)).text).toBe('hello');
    relay.answer = (c) =>
      c.path === '/api/cloud/messages' ? { status: 200, body: { message: { ...relayMessage(9, (c.body as { text: string }).text), id: sent.id } } } : ok;
    await flush();
    expect(calls.map((c) => [c.path, (c.body as { text?: string }).text])).toEqual([['/api/cloud/messages', 'hello']]);
    expect(await view(1)).toMatchObject({ text: 'text 1' });
  });

  it("go out in order after the outbox's sends; an outage stops the pass and the next one sends what is left", async () => {
    const { ctx, calls, relay, queue, flush } = await device();
    await cloudHandlers.send(ctx, { peerId: 'bob', text: 'new' });
    await cloudHandlers.reactMessage(ctx, { peerId: 'bob', id: uuid(3), emoji: '👍' });
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: uuid(1), text: 'edited' });
    await chatSettingsHandlers.muteChat(ctx, { kind: 'cloud', id: 'bob', mutedUntil: 5_000 });

    // The relay is down (503) for the send: nothing after it goes.
    relay.answer = () => ({ status: 503, body: { error: { code: 'unavailable', message: 'down' } } });
    await flush();
    expect(calls.map((c) => c.path)).toEqual(['/api/cloud/messages']);
    // Back, but rate limited at the edit: the send and the reaction went, the edit and the mute wait.
    calls.length = 0;
    relay.answer = (c) =>
      c.path === '/api/cloud/messages'
        ? { status: 200, body: { message: relayMessage(10, 'new', { id: (c.body as { id: string }).id }) } }
        : c.path.endsWith('/edit')
          ? { status: 429, body: { error: { code: 'rate_limited', message: 'slow down' } } }
          : ok;
    await flush();
    expect(calls.map((c) => c.path)).toEqual(['/api/cloud/messages', '/api/cloud/chats/bob/react', '/api/cloud/chats/bob/edit']);
    expect((await queue()).map((b) => b.kind)).toEqual(['edit', 'settings']);
    calls.length = 0;
    relay.answer = (c) => (c.method === 'PUT' ? { status: 200, body: { settings: { pinnedAt: null, mutedUntil: 5_000 } } } : ok);
    await flush();
    expect(calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ['POST', '/api/cloud/chats/bob/edit', { id: uuid(1), text: 'edited' }],
      ['PUT', '/api/cloud/chats/bob/settings', { mutedUntil: 5_000 }]
    ]);
    expect(await queue()).toEqual([]);
  });

  it('a refusal for good drops that action alone, puts back what the relay holds and says so', async () => {
    const { db, ctx, events, calls, relay, view, queue, flush } = await device();
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: uuid(1), text: 'too late' });
    await cloudHandlers.reactMessage(ctx, { peerId: 'bob', id: uuid(3), emoji: '🙏' });
    await chatSettingsHandlers.pinChat(ctx, { kind: 'cloud', id: 'bob', pinned: true });
    expect(await view(1)).toMatchObject({ text: 'too late' });
    relay.answer = (c) => {
      if (c.path.endsWith('/edit')) return { status: 403, body: { error: { code: 'edit_expired', message: 'a message can be edited for 48 hours after it was sent' } } };
      if (c.method === 'PUT') return { status: 409, body: { error: { code: 'too_many_pinned', message: 'Unpin a chat first: up to 5' } } };
      // The relay's copy of message 1, as it still is; its chat list (not pinned there).
      if (c.path.startsWith('/api/cloud/chats/bob/messages')) return { status: 200, body: { messages: [relayMessage(1, 'text 1', { editedAt: 500 })] } };
      if (c.path === '/api/cloud/chats')
        return { status: 200, body: { chats: [{ peer: bob, lastMessage: null, myReadSeq: 0, peerReadSeq: 0, unread: 0, pinnedAt: null, mutedUntil: null }] } };
      return ok;
    };
    await flush();
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /api/cloud/chats/bob/edit',
      'GET /api/cloud/chats/bob/messages?before=2&limit=1',
      'POST /api/cloud/chats/bob/react',
      'PUT /api/cloud/chats/bob/settings',
      'GET /api/cloud/chats'
    ]);
    // The true state is back; the reaction between them went.
    expect(await view(1)).toMatchObject({ text: 'text 1', edited: 500 });
    expect((await view(3))?.reactions).toEqual({ mine: '🙏' });
    expect(Object.keys((await db.chats.get('bob'))!)).not.toContain('pinnedAt');
    expect(await queue()).toEqual([]);
    expect(events.filter((e) => e.type === 'notice')).toEqual([
      { type: 'notice', text: 'Your edit was not saved: a message can be edited for 48 hours after it was sent.' },
      { type: 'notice', text: 'The chat was not pinned: Unpin a chat first: up to 5.' }
    ]);
  });

  it("a refused chat pin's restore does not undo a newer change of the chat that came meanwhile (from my other device)", async () => {
    const { db, vault, ctx, relay, queue, flush } = await device();
    await chatSettingsHandlers.pinChat(ctx, { kind: 'cloud', id: 'bob', pinned: true });
    const settings = (mutedUntil: number | null): Update => ({ kind: 'settings', cursor: nextCursor(), peerId: 'bob', pinnedAt: null, mutedUntil });
    const summary = { peer: bob, lastMessage: null, myReadSeq: 0, peerReadSeq: 0, unread: 0, pinnedAt: null, mutedUntil: null };
    // The relay answers the chat list as it is (neither pinned nor muted); before that answer is
    // used, the log brings my phone's mute, newer than it.
    let muted = false;
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      const res = await realFetch(path, init);
      if (path === '/api/cloud/chats' && !muted) {
        muted = true;
        await applyUpdates(db, vault, ME, [settings(MUTED_FOREVER)]);
      }
      return res;
    });
    relay.answer = (c) =>
      c.method === 'PUT'
        ? { status: 409, body: { error: { code: 'too_many_pinned', message: 'Unpin a chat first: up to 5' } } }
        : c.path === '/api/cloud/chats'
          ? { status: 200, body: { chats: [summary] } }
          : ok;
    await flush();
    expect(muted).toBe(true);
    expect(await queue()).toEqual([]);
    const row = (await db.chats.get('bob'))!;
    expect(row.mutedUntil).toBe(MUTED_FOREVER);
    expect(row.pinnedAt).toBeUndefined();
  });

  it('a chat pin refused over the limit does not take the mute merged with it: the mute goes alone, once, and holds', async () => {
    const { db, ctx, events, calls, relay, queue, flush } = await device();
    await chatSettingsHandlers.pinChat(ctx, { kind: 'cloud', id: 'bob', pinned: true });
    await chatSettingsHandlers.muteChat(ctx, { kind: 'cloud', id: 'bob', mutedUntil: MUTED_FOREVER });
    expect(await queue()).toEqual([{ kind: 'settings', req: { pinned: true, mutedUntil: MUTED_FOREVER } }]);
    // The relay refuses any pin (five chats pinned there already) and takes a mute.
    relay.answer = (c) =>
      c.method !== 'PUT'
        ? ok
        : (c.body as { pinned?: boolean }).pinned
          ? { status: 409, body: { error: { code: 'too_many_pinned', message: 'Unpin a chat first: up to 5' } } }
          : { status: 200, body: { settings: { pinnedAt: null, mutedUntil: MUTED_FOREVER } } };
    await flush();
    expect(calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ['PUT', '/api/cloud/chats/bob/settings', { pinned: true, mutedUntil: MUTED_FOREVER }],
      ['PUT', '/api/cloud/chats/bob/settings', { mutedUntil: MUTED_FOREVER }]
    ]);
    expect(events.filter((e) => e.type === 'notice')).toEqual([{ type: 'notice', text: 'The chat was not pinned: Unpin a chat first: up to 5.' }]);
    // The relay's state here: muted, not pinned; nothing left to send (no second refusal).
    const row = (await db.chats.get('bob'))!;
    expect(row.mutedUntil).toBe(MUTED_FOREVER);
    expect(row.pinnedAt).toBeUndefined();
    expect(await queue()).toEqual([]);
    await flush();
    expect(calls).toHaveLength(2);
  });

  it('a chat pin refused over the limit while the network drops: the mute alone stays queued and goes next', async () => {
    const { db, ctx, events, calls, relay, queue, flush } = await device();
    await chatSettingsHandlers.pinChat(ctx, { kind: 'cloud', id: 'bob', pinned: true });
    await chatSettingsHandlers.muteChat(ctx, { kind: 'cloud', id: 'bob', mutedUntil: 5_000 });
    relay.answer = (c) =>
      c.method === 'PUT' && (c.body as { pinned?: boolean }).pinned
        ? { status: 409, body: { error: { code: 'too_many_pinned', message: 'Unpin a chat first: up to 5' } } }
        : undefined;
    await flush();
    expect(await queue()).toEqual([{ kind: 'settings', req: { mutedUntil: 5_000 } }]);
    // Shown as the relay holds it (not pinned), the mute still shown while it waits.
    expect(await db.chats.get('bob')).toMatchObject({ mutedUntil: 5_000 });
    expect((await db.chats.get('bob'))?.pinnedAt).toBeUndefined();
    relay.answer = (c) => (c.method === 'PUT' ? { status: 200, body: { settings: { pinnedAt: null, mutedUntil: 5_000 } } } : ok);
    await flush();
    expect(calls.map((c) => c.body)).toEqual([{ pinned: true, mutedUntil: 5_000 }, { mutedUntil: 5_000 }]);
    expect(await db.chats.get('bob')).toMatchObject({ mutedUntil: 5_000 });
    expect((await db.chats.get('bob'))?.pinnedAt).toBeUndefined();
    expect(await queue()).toEqual([]);
    expect(events.filter((e) => e.type === 'notice')).toHaveLength(1);
  });

  it("a refused edit's read-back never puts an older copy over a newer one the log brought meanwhile", async () => {
    const { db, vault, ctx, relay, view, queue, flush } = await device();
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: uuid(1), text: 'too late' });
    // While the relay's (older) copy is on its way, a live update from my phone's newer edit comes:
    // the sync applies it under its lock (as applyLive does) at once, or as soon as it may.
    let asked = false;
    let synced: Promise<unknown> | undefined;
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      const res = await realFetch(path, init);
      if (path.startsWith('/api/cloud/chats/bob/messages') && !asked) {
        asked = true;
        const newer: Update = { kind: 'edit', cursor: nextCursor(), peerId: 'bob', id: uuid(1), text: 'from my phone', editedAt: 600 };
        const apply = () => withLock(SYNC_LOCK, () => applyUpdates(db, vault, ME, [newer]));
        // The sync's lock free: it writes now, before the read-back's answer is stored; held: right after.
        if (await tryLock(SYNC_LOCK, async () => true)) await apply();
        else synced = apply();
      }
      return res;
    });
    relay.answer = (c) =>
      c.path.endsWith('/edit')
        ? { status: 403, body: { error: { code: 'edit_expired', message: 'too late' } } }
        : { status: 200, body: { messages: [relayMessage(1, 'text 1', { editedAt: 500 })] } };
    await flush();
    await synced;
    expect(await view(1)).toMatchObject({ text: 'from my phone', edited: 600 });
    expect(await queue()).toEqual([]);
  });

  it("a refusal whose read-back fails (the network drops right then) keeps the action until the relay's state is back: said once, never sent again", async () => {
    const { db, vault, ctx, events, calls, relay, view, queue, flush } = await device();
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: uuid(1), text: 'too late' });
    await cloudHandlers.reactMessage(ctx, { peerId: 'bob', id: uuid(3), emoji: '🙏' });
    // The relay refuses the edit; the read-back after it finds no network.
    relay.answer = (c) =>
      c.path.endsWith('/edit')
        ? { status: 403, body: { error: { code: 'edit_expired', message: 'a message can be edited for 48 hours after it was sent' } } }
        : undefined;
    await flush();
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /api/cloud/chats/bob/edit']);
    const notices = () => events.filter((e) => e.type === 'notice');
    expect(notices()).toEqual([{ type: 'notice', text: 'Your edit was not saved: a message can be edited for 48 hours after it was sent.' }]);
    // Kept (the retry goes on) but no longer a change waiting to be sent; the reaction after it waits its turn.
    expect(await db.cloudActions.get(`edit:${uuid(1)}`)).toMatchObject({ refused: true });
    expect(await countQueued(db)).toEqual({ count: 0, actions: 1 });
    expect(await anyQueued(db)).toBe(true);
    // The log meanwhile brings the message again: the refused edit is not put back over it.
    await applyUpdates(db, vault, ME, [msg(1, ME)]);
    expect(await view(1)).toMatchObject({ text: 'text 1' });
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: uuid(2), text: 'another' });
    await applyUpdates(db, vault, ME, [msg(2, ME)]);
    expect(await view(2)).toMatchObject({ text: 'another' });

    // The network is back: the relay's state is read back (the edit is not sent again), then the rest goes.
    calls.length = 0;
    relay.answer = (c) => (c.path.startsWith('/api/cloud/chats/bob/messages') ? { status: 200, body: { messages: [relayMessage(1, 'text 1', { editedAt: 500 })] } } : ok);
    await flush();
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /api/cloud/chats/bob/messages?before=2&limit=1',
      'POST /api/cloud/chats/bob/react',
      'POST /api/cloud/chats/bob/edit'
    ]);
    expect(await view(1)).toMatchObject({ text: 'text 1', edited: 500 });
    expect(await queue()).toEqual([]);
    expect(notices()).toHaveLength(1);
  });

  it('a read-back the relay refuses for good (nothing left to read) ends the action, with a warning', async () => {
    const { ctx, calls, relay, queue, flush } = await device();
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: uuid(1), text: 'too late' });
    relay.answer = (c) =>
      c.path.endsWith('/edit')
        ? { status: 403, body: { error: { code: 'edit_expired', message: 'too late' } } }
        : { status: 404, body: { error: { code: 'not_found', message: 'no such chat' } } };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await flush();
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /api/cloud/chats/bob/edit', 'GET /api/cloud/chats/bob/messages?before=2&limit=1']);
    expect(await queue()).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('could not be read back'));
    warn.mockRestore();
  });

  it('a delete refused for good brings the messages back from the relay', async () => {
    const { ctx, events, relay, view, flush } = await device();
    await cloudHandlers.deleteMessages(ctx, { peerId: 'bob', ids: [uuid(2), uuid(3)] });
    expect(await view(2)).toBeUndefined();
    relay.answer = (c) =>
      c.path.endsWith('/delete')
        ? { status: 410, body: { error: { code: 'gone', message: 'this account was deleted' } } }
        : { status: 200, body: { messages: [relayMessage(1, 'text 1'), relayMessage(2, 'text 2'), relayMessage(3, 'text 3')] } };
    await flush();
    expect(await view(2)).toMatchObject({ text: 'text 2' });
    expect(await view(3)).toMatchObject({ text: 'text 3' });
    expect(events.filter((e) => e.type === 'notice')).toEqual([{ type: 'notice', text: 'The messages were not deleted for everyone: this account was deleted.' }]);
  });

  it("while waiting, the relay's log does not undo them; once sent, their echo applies", async () => {
    const { db, vault, ctx, relay, view, flush } = await device();
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: uuid(1), text: 'mine' });
    await cloudHandlers.reactMessage(ctx, { peerId: 'bob', id: uuid(3), emoji: '👍' });
    await cloudHandlers.deleteMessages(ctx, { peerId: 'bob', ids: [uuid(2)] });
    await chatSettingsHandlers.muteChat(ctx, { kind: 'cloud', id: 'bob', mutedUntil: MUTED_FOREVER });
    const settings = (mutedUntil: number | null): Update => ({ kind: 'settings', cursor: nextCursor(), peerId: 'bob', pinnedAt: null, mutedUntil });
    // Another device of mine edited earlier; Bob reacted; message 2 comes again in a full sync; an older mute.
    await applyUpdates(db, vault, ME, [
      { kind: 'edit', cursor: nextCursor(), peerId: 'bob', id: uuid(1), text: 'from my phone', editedAt: 9_999_999_999_999 },
      { kind: 'react', cursor: nextCursor(), peerId: 'bob', id: uuid(3), reactions: [{ userId: 'bob', emoji: '😂' }] },
      msg(2, ME),
      settings(null)
    ]);
    expect(await view(1)).toMatchObject({ text: 'mine' });
    // Bob's reaction shows, mine stays mine.
    expect((await view(3))?.reactions).toEqual({ mine: '👍', peer: '😂' });
    expect(await view(2)).toBeUndefined();
    expect((await db.chats.get('bob'))?.mutedUntil).toBe(MUTED_FOREVER);

    relay.answer = (c) => (c.method === 'PUT' ? { status: 200, body: { settings: { pinnedAt: null, mutedUntil: MUTED_FOREVER } } } : ok);
    await flush();
    // The echo: the relay's time replaces this device's, whatever it is.
    await applyUpdates(db, vault, ME, [
      { kind: 'edit', cursor: nextCursor(), peerId: 'bob', id: uuid(1), text: 'mine', editedAt: 2_000 },
      { kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: [uuid(2)] },
      settings(null)
    ]);
    expect(await view(1)).toMatchObject({ text: 'mine', edited: 2_000 });
    expect(Object.keys((await db.messages.get(uuid(1)))!)).not.toContain('editedHere');
    expect((await db.chats.get('bob'))?.mutedUntil).toBeUndefined();
  });

  it('survive a worker restart (the queue is stored), and a stored row that is not what this version writes is dropped', async () => {
    const name = `cloud-actions-${dbs++}`;
    const first = await device(name);
    await cloudHandlers.editMessage(first.ctx, { peerId: 'bob', id: uuid(1), text: 'after restart' });
    await first.db.cloudActions.put({ key: 'react:x', at: 1, kind: 'react', peerId: 'bob', box: new Uint8Array([1, 2, 3]) });
    first.db.close();

    const { db, vault } = (await openStore(name)) as Awaited<ReturnType<typeof unlockedStore>>;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect((await readActions(db, vault)).map((a) => a.body)).toEqual([{ kind: 'edit', req: { id: uuid(1), text: 'after restart' }, at: expect.any(Number) }]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('does not open'));
    expect(await db.cloudActions.count()).toBe(1);
    warn.mockRestore();
    expect((await messageView(vault, (await db.messages.get(uuid(1)))!, ME, 0)).text).toBe('after restart');
    const calls: string[] = [];
    vi.stubGlobal('fetch', async (path: string) => {
      calls.push(path);
      return new Response(null, { status: 204 });
    });
    await flushCloud(
      db,
      vault,
      ME,
      () => {},
      () => {}
    );
    expect(calls).toEqual(['/api/cloud/chats/bob/edit']);
    expect(await db.cloudActions.count()).toBe(0);
  });
});

describe('a pinned message, offline', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  /**
   * The device's handlers for pins (a cloud chat's need no secret engine). Each pin is a millisecond
   * after the last action, so the queue's order and the bar's are the order of the calls.
   */
  const pinning = async () => {
    const d = await device();
    vi.useFakeTimers({ toFake: ['Date'] });
    const ctx = { ...d.ctx, secret: () => Promise.reject(new Error('no secret chats here')) };
    const pin = (i: number, pinned = true) => {
      vi.setSystemTime(Date.now() + 1);
      return pinsHandlers.pinMessage(ctx, { kind: 'cloud', id: 'bob', msg: uuid(i), pinned });
    };
    const bar = async () => (await pinsHandlers.pinnedMessages(ctx, { kind: 'cloud', id: 'bob' })).map((p) => p.id);
    const pinUpdate = (pins: CloudPin[]): Update => ({ kind: 'pin', cursor: nextCursor(), peerId: 'bob', pins });
    return { ...d, pin, bar, pinUpdate };
  };

  it('is queued and shown in the bar at once; a newer pin or unpin of the same message replaces the queued one', async () => {
    const { db, events, pin, bar, queue } = await pinning();
    await pin(3);
    expect(await bar()).toEqual([uuid(3)]);
    // The open chat's bar hears of it.
    expect(events).toContainEqual({ type: 'messages', peerId: 'bob' });
    expect(await queue()).toEqual([{ kind: 'pin', req: { id: uuid(3), pinned: true }, at: expect.any(Number) }]);
    // Kept on the chat row: an offline reload shows it too.
    expect((await db.chats.get('bob'))?.pins).toEqual([{ id: uuid(3), at: expect.any(Number) }]);
    await pin(1);
    expect(await bar()).toEqual([uuid(1), uuid(3)]);
    await pin(3, false);
    expect(await bar()).toEqual([uuid(1)]);
    expect(await queue()).toEqual([
      { kind: 'pin', req: { id: uuid(3), pinned: false }, at: expect.any(Number) },
      { kind: 'pin', req: { id: uuid(1), pinned: true }, at: expect.any(Number) }
    ]);
    expect(await db.cloudActions.get(`pin:${uuid(3)}`)).toMatchObject({ kind: 'pin', peerId: 'bob' });
    // Pinned again: it keeps its time (and its place in the bar), as on the relay.
    const pins = (await db.chats.get('bob'))?.pins;
    await pin(1);
    expect((await db.chats.get('bob'))?.pins).toEqual(pins);
  });

  it('counts the pins still queued against the limit (and the unpins still queued)', async () => {
    const { db, vault, pin, bar, pinUpdate } = await pinning();
    const more = Array.from({ length: LIMITS.pinnedMessagesMax - 1 }, (_, k) => 10 + k);
    await applyUpdates(db, vault, ME, [...more.map((i) => msg(i, 'bob')), pinUpdate(more.map((i) => ({ id: uuid(i), at: i })))]);
    await pin(1);
    await expect(pin(2)).rejects.toMatchObject({ code: 'too_many_pinned' });
    await pin(10, false);
    await pin(2);
    expect(await bar()).toHaveLength(LIMITS.pinnedMessagesMax);
  });

  it("is not undone by the relay's pins while it waits; sent by the flush, the echo's pins apply", async () => {
    const { db, vault, calls, relay, pin, bar, pinUpdate, queue, flush } = await pinning();
    await pin(3);
    await pin(1);
    await pin(1, false);
    // Bob pinned message 2 meanwhile: his pins come, mine still wait.
    await applyUpdates(db, vault, ME, [pinUpdate([{ id: uuid(2), at: 50 }])]);
    expect(await bar()).toEqual([uuid(3), uuid(2)]);
    await applyUpdates(db, vault, ME, [pinUpdate([{ id: uuid(1), at: 60 }])]);
    expect(await bar()).toEqual([uuid(3)]);

    relay.answer = () => ok;
    await flush();
    expect(calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ['POST', '/api/cloud/chats/bob/pin', { id: uuid(3), pinned: true }],
      ['POST', '/api/cloud/chats/bob/pin', { id: uuid(1), pinned: false }]
    ]);
    expect(await queue()).toEqual([]);
    // The echo: the relay's pins as they are now, its time.
    await applyUpdates(db, vault, ME, [pinUpdate([{ id: uuid(3), at: 70 }])]);
    expect((await db.chats.get('bob'))?.pins).toEqual([{ id: uuid(3), at: 70 }]);
  });

  it("refused for good: the relay's pins come back and the user is told", async () => {
    const { db, vault, events, calls, relay, pin, bar, pinUpdate, queue, flush } = await pinning();
    await applyUpdates(db, vault, ME, [pinUpdate([{ id: uuid(1), at: 5 }])]);
    await pin(3);
    await pin(1, false);
    expect(await bar()).toEqual([uuid(3)]);
    relay.answer = (c) => {
      const body = c.body as { id?: string } | undefined;
      if (c.path.endsWith('/pin') && body?.id === uuid(3))
        return { status: 409, body: { error: { code: 'too_many_pinned', message: `Unpin a message first: up to ${LIMITS.pinnedMessagesMax} in a chat` } } };
      if (c.path.endsWith('/pin')) return { status: 410, body: { error: { code: 'gone', message: 'that message was deleted' } } };
      // The relay's copy of the messages: 3 as it is, 1 deleted (absent).
      return { status: 200, body: { messages: [relayMessage(3, 'text 3')] } };
    };
    await flush();
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /api/cloud/chats/bob/pin',
      'GET /api/cloud/chats/bob/messages?before=4&limit=1',
      'POST /api/cloud/chats/bob/pin',
      'GET /api/cloud/chats/bob/messages?before=2&limit=1'
    ]);
    // Neither is pinned on the relay: 3 over the limit, 1 deleted there (and so here).
    expect(await bar()).toEqual([]);
    expect((await db.chats.get('bob'))?.pins).toBeUndefined();
    expect(await db.messages.get(uuid(1))).toBeUndefined();
    expect(await queue()).toEqual([]);
    expect(events.filter((e) => e.type === 'notice')).toEqual([
      { type: 'notice', text: `The message was not pinned: Unpin a message first: up to ${LIMITS.pinnedMessagesMax} in a chat.` },
      { type: 'notice', text: 'The message was not unpinned: that message was deleted.' }
    ]);
  });

  it("a delete for everyone takes the message's pin off the chat row at once; the relay's pins while it waits do not bring it back", async () => {
    const { db, vault, ctx, relay, bar, pinUpdate, flush } = await pinning();
    await applyUpdates(db, vault, ME, [pinUpdate([{ id: uuid(2), at: 5 }])]);
    await cloudHandlers.deleteMessages(ctx, { peerId: 'bob', ids: [uuid(2)] });
    expect((await db.chats.get('bob'))?.pins).toBeUndefined();
    // Bob pins message 3 meanwhile: the relay's pins still list 2 (it has not had the delete yet).
    await applyUpdates(db, vault, ME, [
      pinUpdate([
        { id: uuid(3), at: 7 },
        { id: uuid(2), at: 5 }
      ])
    ]);
    expect((await db.chats.get('bob'))?.pins).toEqual([{ id: uuid(3), at: 7 }]);
    expect(await bar()).toEqual([uuid(3)]);
    relay.answer = () => ok;
    await flush();
    await applyUpdates(db, vault, ME, [{ kind: 'delete', cursor: nextCursor(), peerId: 'bob', ids: [uuid(2)] }]);
    expect((await db.chats.get('bob'))?.pins).toEqual([{ id: uuid(3), at: 7 }]);
  });

  it('a pinned message that expires here (its timed file) takes its pin off the row at once, before the relay says so', async () => {
    const { db, vault, bar, pinUpdate } = await pinning();
    await applyUpdates(db, vault, ME, [
      pinUpdate([
        { id: uuid(3), at: 7 },
        { id: uuid(1), at: 5 }
      ])
    ]);
    await db.messages.update(uuid(3), { deadline: 10 });
    const purged = await purgeExpired(db, 11);
    expect(purged.cloudPeers).toEqual(new Set(['bob']));
    expect(await db.messages.get(uuid(3))).toBeUndefined();
    expect((await db.chats.get('bob'))?.pins).toEqual([{ id: uuid(1), at: 5 }]);
    expect(await bar()).toEqual([uuid(1)]);
  });

  it('a refusal that finds the message gone on the relay takes its pin off the row with it', async () => {
    const { db, vault, ctx, relay, pinUpdate, flush } = await pinning();
    await applyUpdates(db, vault, ME, [pinUpdate([{ id: uuid(3), at: 7 }])]);
    await cloudHandlers.reactMessage(ctx, { peerId: 'bob', id: uuid(3), emoji: '👍' });
    relay.answer = (c) =>
      c.path.endsWith('/react')
        ? { status: 404, body: { error: { code: 'not_found', message: 'no such message in this chat' } } }
        : { status: 200, body: { messages: [] } };
    await flush();
    expect(await db.messages.get(uuid(3))).toBeUndefined();
    expect((await db.chats.get('bob'))?.pins).toBeUndefined();
  });

  it('refused while a newer pin or unpin of the same message waits: the newest stays shown, also when the relay cannot be read back', async () => {
    const { db, relay, pin, bar, queue, flush } = await pinning();
    await pin(3);
    const full = { status: 409, body: { error: { code: 'too_many_pinned', message: `Unpin a message first: up to ${LIMITS.pinnedMessagesMax} in a chat` } } };
    // While the pin is on its way the user unpins and pins it again; the refusal comes, then the
    // connection drops before the relay's copy is read back.
    let changed = false;
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      if (path.endsWith('/pin') && !changed) {
        changed = true;
        await pin(3, false);
        await pin(3);
      }
      return realFetch(path, init);
    });
    relay.answer = (c) => (c.path.endsWith('/pin') ? full : undefined);
    await flush();
    expect(await queue()).toEqual([{ kind: 'pin', req: { id: uuid(3), pinned: true }, at: expect.any(Number) }]);
    expect(await bar()).toEqual([uuid(3)]);
    expect((await db.chats.get('bob'))?.pins).toEqual([{ id: uuid(3), at: expect.any(Number) }]);
  });

  it('refused while a newer unpin of the same message waits: it stays unpinned, and the unpin goes next', async () => {
    const { calls, relay, pin, bar, queue, flush } = await pinning();
    await pin(3);
    let changed = false;
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      if (path.endsWith('/pin') && !changed) {
        changed = true;
        await pin(3, false);
      }
      return realFetch(path, init);
    });
    relay.answer = (c) =>
      c.path.endsWith('/pin') && (c.body as { pinned: boolean }).pinned
        ? { status: 409, body: { error: { code: 'too_many_pinned', message: 'full' } } }
        : c.path.endsWith('/pin')
          ? ok
          : { status: 200, body: { messages: [relayMessage(3, 'text 3')] } };
    await flush();
    expect(await bar()).toEqual([]);
    expect(await queue()).toEqual([{ kind: 'pin', req: { id: uuid(3), pinned: false }, at: expect.any(Number) }]);
    await flush();
    expect(calls.filter((c) => c.path.endsWith('/pin')).map((c) => c.body)).toEqual([
      { id: uuid(3), pinned: true },
      { id: uuid(3), pinned: false }
    ]);
    expect(await queue()).toEqual([]);
  });

  it('a delete for everyone of the message drops its queued pin', async () => {
    const { ctx, calls, relay, pin, bar, queue, flush } = await pinning();
    await pin(2);
    await cloudHandlers.deleteMessages(ctx, { peerId: 'bob', ids: [uuid(2)] });
    await pin(3);
    expect(await bar()).toEqual([uuid(3)]);
    expect((await queue()).map((b) => b.kind)).toEqual(['delete', 'pin']);
    relay.answer = () => ok;
    await flush();
    expect(calls.map((c) => [c.path, c.body])).toEqual([
      ['/api/cloud/chats/bob/delete', { ids: [uuid(2)] }],
      ['/api/cloud/chats/bob/pin', { id: uuid(3), pinned: true }]
    ]);
  });
});
