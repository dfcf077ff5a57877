// A cloud forward made offline (worker/outbox-forward.ts, rpc/forward.ts, worker/outbox.ts): queued in
// the outbox as my pending copies, shown at once in the target chat ("Forwarded from" the author, the
// text, the file when it is on this device), kept through a worker restart, and sent by the outbox's
// flush in order with that chat's other messages, with the ids shown, so the relay's copies replace the
// pending rows. The request names only the originals: what the copies say is the relay's. A refusal for
// good removes the pending copies and says why; an outage keeps them for the retry.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CloudMedia, CloudMessage, ForwardCloudReq, PublicUser, Update } from '$lib/api/wire';
import { places } from '$lib/store/places';
import { localPage, messageView, newChat } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { cloudHandlers } from '$lib/worker/rpc/cloud';
import { forwardHandlers } from '$lib/worker/rpc/forward';
import type { WorkerEvent } from '$lib/worker/protocol';
import { countQueued } from '$lib/worker/queued';
import { unlockedStore } from '../support/store';
import { cloudQueue, stubRelay, type Answer, type Call } from '../support/relay-stub';
import { bob, ME, msg, nextCursor, uuid } from '../support/cloud-updates';

let dbs = 0;
const carol: PublicUser = { id: 'carol', username: 'carol', displayName: 'Carol' };
const photo: CloudMedia = { id: 'media-1', mime: 'image/png', name: 'door.png', size: 3, ttl: 0, openedAt: null, deadline: null };
const bytes = new Uint8Array([1, 2, 3]);

/**
 * A device with my chat with Bob (1: Bob's photo "text 1", its bytes on this device; 2: mine "text 2")
 * and my chat with Carol, and a relay stub: `answer` decides each call (undefined: offline).
 */
async function device(name = `forward-offline-${dbs++}`) {
  const { db, vault } = await unlockedStore(name);
  const withPhoto = msg(1, 'bob');
  if (withPhoto.kind === 'message') withPhoto.message.media = photo;
  await applyUpdates(db, vault, ME, [withPhoto, msg(2, ME)]);
  await db.cloudMedia.put({ messageId: uuid(1), peerId: 'bob', box: await vault.sealBytes(places.cloudMedia(uuid(1)), bytes) });
  await db.chats.put(newChat(carol, 0));
  // The read markers are told already: a flush sends nothing else.
  await db.chats.update('bob', { readSentSeq: 2 });
  const events: WorkerEvent[] = [];
  const { calls, relay } = stubRelay({ recordOffline: true });
  const session = { user: { id: ME, username: 'me', displayName: 'Me' }, device: { id: 'd', name: 'phone' } };
  // The handlers' own flush does nothing: each test flushes when it says the relay answers.
  const ctx = { db, vault, me: ME, session, emit: (e: WorkerEvent) => events.push(e), flush: async () => {}, sync: async () => {}, sendFrame: () => {} };
  const { flush } = cloudQueue(db, vault, events);
  /** Carol's chat as a page shows it: every row, oldest first (pending after the stored). */
  const carolChat = async () => {
    const { stored, pending } = await localPage(db, 'carol', undefined, 50);
    return Promise.all([...stored, ...pending].map((r) => messageView(vault, r, ME, 0)));
  };
  const forward = (ids: number[]) => forwardHandlers.forwardMessages(ctx, { fromPeerId: 'bob', toPeerId: 'carol', ids: ids.map(uuid) });
  return { db, vault, ctx, calls, events, relay, flush, carolChat, forward };
}

/** The relay's copy: my message in Carol's chat, its origin as the relay names it. */
const relayCopy = (id: string, seq: number, text: string, from: PublicUser, extra: Partial<CloudMessage> = {}): CloudMessage => ({
  id,
  peerId: 'carol',
  seq,
  senderId: ME,
  senderDeviceId: 'd',
  text,
  replyTo: null,
  createdAt: 5_000 + seq,
  forwardedFrom: { userId: from.id, createdAt: 1_000, user: from },
  ...extra
});
const sentText = (c: Call, seq: number): Answer => {
  const b = c.body as { id: string; text: string };
  return { status: 200, body: { message: relayCopy(b.id, seq, b.text, bob, { forwardedFrom: undefined }) } };
};

describe('a cloud forward made offline', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('shows at once in the target chat as my pending copies: "Forwarded from" the author, the text, the file if it is here', async () => {
    const { db, vault, ctx, calls, events, carolChat, forward } = await device();
    // Picked newest first: queued in the chat's order.
    await forward([2, 1]);
    // The relay was tried once (nothing waited before it); unreachable, the forward is queued.
    expect(calls.map((c) => c.path)).toEqual(['/api/cloud/forward']);
    const shown = await carolChat();
    expect(shown.map((v) => [v.text, v.mine, v.ticks, v.forwarded?.name, v.media?.name])).toEqual([
      ['text 1', true, 'pending', 'Bob', 'door.png'],
      ['text 2', true, 'pending', 'Me', undefined]
    ]);
    // The ids shown are the ones asked of the relay, in order; the file's bytes came along.
    expect(shown.map((v) => v.id)).toEqual((calls[0].body as ForwardCloudReq).newIds);
    const media = (await db.cloudMedia.get(shown[0].id))!;
    expect(await vault.openBytes(places.cloudMedia(shown[0].id), media.box)).toEqual(bytes);
    expect(await countQueued(db)).toEqual({ count: 2, actions: 0 });
    expect(events).toEqual([{ type: 'messages', peerId: 'carol' }, { type: 'chats' }]);
    // A pending copy is no message of mine to edit: its words are its author's.
    await expect(cloudHandlers.editMessage(ctx, { peerId: 'carol', id: shown[1].id, text: 'mine now' })).rejects.toMatchObject({ code: 'not_found' });
    expect((await carolChat())[1].text).toBe('text 2');
  });

  it("survives a restart and goes when the relay answers, in order with the chat's messages; the relay's copies replace the pending ones", async () => {
    const name = `forward-offline-${dbs++}`;
    const first = await device(name);
    await cloudHandlers.send(first.ctx, { peerId: 'carol', text: 'look at this' });
    await first.forward([1, 2]);
    await cloudHandlers.send(first.ctx, { peerId: 'carol', text: 'nice, right?' });
    // Behind a message still waiting: queued without asking the relay.
    expect(first.calls).toEqual([]);
    const shownIds = (await first.carolChat()).map((v) => v.id);
    first.db.close();

    const { db, calls, relay, flush, carolChat } = await device(name);
    expect((await carolChat()).map((v) => [v.text, v.ticks])).toEqual([
      ['look at this', 'pending'],
      ['text 1', 'pending'],
      ['text 2', 'pending'],
      ['nice, right?', 'pending']
    ]);
    let seq = 0;
    relay.answer = (c) => {
      if (c.path === '/api/cloud/messages') return sentText(c, ++seq);
      const b = c.body as ForwardCloudReq;
      return {
        status: 200,
        body: { messages: [relayCopy(b.newIds[0], ++seq, 'text 1', bob), relayCopy(b.newIds[1], ++seq, 'text 2', { id: ME, username: 'me', displayName: 'Me' })] }
      };
    };
    await flush();
    expect(calls.map((c) => c.path)).toEqual(['/api/cloud/messages', '/api/cloud/forward', '/api/cloud/messages']);
    // Only the originals and the new ids: never what the copies say nor whom they name.
    const asked = calls[1].body as ForwardCloudReq;
    expect(asked).toEqual({ toUserId: 'carol', fromPeerId: 'bob', ids: [uuid(1), uuid(2)], newIds: shownIds.slice(1, 3), writtenAt: expect.any(Number) });
    const after = await carolChat();
    expect(after.map((v) => [v.id, v.seq, v.ticks, v.forwarded?.name])).toEqual([
      [shownIds[0], 1, 'sent', undefined],
      [shownIds[1], 2, 'sent', 'Bob'],
      [shownIds[2], 3, 'sent', 'Me'],
      [shownIds[3], 4, 'sent', undefined]
    ]);
    expect(await db.outbox.count()).toBe(0);
    // The log brings the same copies: still one each.
    const echo: Update = { kind: 'message', cursor: nextCursor(), message: relayCopy(shownIds[1], 2, 'text 1', bob), peer: carol };
    await applyUpdates(db, (await unlockedStore(name)).vault, ME, [echo]);
    expect(await db.messages.where('peerId').equals('carol').count()).toBe(4);
    // The file shown while pending is still the copy's.
    expect(await db.cloudMedia.get(shownIds[1])).toBeDefined();
  });

  it('an outage keeps the copies and what follows them for the retry', async () => {
    const { db, ctx, calls, relay, flush, carolChat, forward } = await device();
    await forward([1]);
    await cloudHandlers.send(ctx, { peerId: 'carol', text: 'after it' });
    calls.length = 0;
    relay.answer = () => ({ status: 503, body: { error: { code: 'unavailable', message: 'down' } } });
    await flush();
    expect(calls.map((c) => c.path)).toEqual(['/api/cloud/forward']);
    expect((await carolChat()).map((v) => v.ticks)).toEqual(['pending', 'pending']);
    expect(await db.outbox.count()).toBe(2);
  });

  it('refused for good: the pending copies leave (file too), the banner says why, and the next messages still go', async () => {
    const { db, ctx, calls, events, relay, flush, carolChat, forward } = await device();
    await forward([1, 2]);
    await cloudHandlers.send(ctx, { peerId: 'carol', text: 'after it' });
    const copies = (await carolChat()).slice(0, 2).map((v) => v.id);
    relay.answer = (c) =>
      c.path === '/api/cloud/forward'
        ? { status: 410, body: { error: { code: 'gone', message: `message ${uuid(2)} was deleted` } } }
        : c.path === '/api/users/carol'
          ? { status: 200, body: { user: carol } }
          : sentText(c, 7);
    calls.length = 0;
    events.length = 0;
    await flush();
    expect(calls.map((c) => c.path)).toEqual(['/api/cloud/forward', '/api/users/carol', '/api/cloud/messages']);
    expect((await carolChat()).map((v) => [v.text, v.ticks])).toEqual([['after it', 'sent']]);
    expect(await db.messages.bulkGet(copies)).toEqual([undefined, undefined]);
    expect(await db.cloudMedia.get(copies[0])).toBeUndefined();
    expect(await db.outbox.count()).toBe(0);
    expect(events.filter((e) => e.type === 'notice')).toEqual([{ type: 'notice', text: '2 messages were not forwarded to Carol: the original was deleted meanwhile.' }]);
    // The originals are untouched.
    expect(await db.messages.where('peerId').equals('bob').count()).toBe(2);
  });

  it('refuses what the relay would: a message whose edit has not reached it yet (the copy would lose it)', async () => {
    const { db, ctx, calls, forward } = await device();
    await cloudHandlers.editMessage(ctx, { peerId: 'bob', id: uuid(2), text: 'fixed offline' });
    calls.length = 0;
    await expect(forward([2])).rejects.toMatchObject({ code: 'not_ready' });
    expect(calls).toEqual([]);
    expect(await db.outbox.count()).toBe(0);
  });
});

describe('a queued forward read back', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('that does not name a forward as this version writes it is dropped with a warning, and nothing is asked', async () => {
    const { db, vault, calls, relay, flush, forward } = await device();
    await forward([1]);
    const row = (await db.outbox.toArray())[0];
    const box = await vault.seal(places.message(row.id), { text: 'x', replyTo: null, forward: { fromPeerId: 'bob', id: 'not an id', batch: row.id } });
    await db.outbox.update(row.id, { box });
    calls.length = 0;
    relay.answer = () => ({ status: 200, body: {} });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await flush();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('queued forward was dropped'));
    warn.mockRestore();
    expect(calls).toEqual([]);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.messages.get(row.id)).toBeUndefined();
  });
});
