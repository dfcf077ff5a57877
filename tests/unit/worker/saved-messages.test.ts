// Saved Messages on the device (worker/saved.ts): my cloud chat with myself. Its row is made from my own
// profile when it opens, offline too; my notes from another device of mine never count as unread nor
// notify; no read marker goes to the relay for it (nobody else reads) and no typing; its ticks stay
// "sent"; a forward into it made offline waits there even when this device held no row for it yet.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CloudMessage, PublicUser, Update } from '$lib/api/wire';
import { localPage, messageView } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { flushOutbox } from '$lib/worker/outbox';
import { chatsHandlers } from '$lib/worker/rpc/chats';
import { cloudHandlers } from '$lib/worker/rpc/cloud';
import { forwardHandlers } from '$lib/worker/rpc/forward';
import type { WorkerEvent } from '$lib/worker/protocol';
import { unlockedStore } from '../support/store';
import { bob, ME, msg, nextCursor, uuid } from '../support/cloud-updates';

const myself: PublicUser = { id: ME, username: 'me', displayName: 'Me' };
let dbs = 0;

/** My note `i` in Saved Messages, written on another device of mine. */
function note(i: number, seq = i): Update {
  const message: CloudMessage = { id: uuid(100 + i), peerId: ME, seq, senderId: ME, senderDeviceId: 'laptop', text: `note ${i}`, replyTo: null, createdAt: 2_000 + i };
  return { kind: 'message', cursor: nextCursor(), message, peer: myself };
}

/** A device of mine and a relay stub (`answer` decides each call; undefined: offline). */
async function device() {
  const { db, vault } = await unlockedStore(`saved-${dbs++}`);
  const calls: { method: string; path: string; body: unknown }[] = [];
  const relay: { answer: (path: string) => unknown } = { answer: () => undefined };
  vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
    calls.push({ method: init.method ?? 'GET', path, body: init.body ? JSON.parse(init.body as string) : undefined });
    const body = relay.answer(path);
    if (body === undefined) throw new TypeError('Failed to fetch');
    return body === null ? new Response(null, { status: 204 }) : Response.json(body);
  });
  const events: WorkerEvent[] = [];
  const frames: unknown[] = [];
  const session = { user: myself, device: { id: 'phone', name: 'Phone' } };
  const ctx = {
    db,
    vault,
    me: ME,
    session,
    emit: (e: WorkerEvent) => events.push(e),
    flush: async () => {},
    sync: async () => {},
    sendFrame: (f: unknown) => frames.push(f),
    secretModule: async () => {
      throw new Error('no secret chats here');
    }
  };
  return { db, vault, ctx, calls, relay, frames };
}

describe('Saved Messages on the device', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('opens from my own profile without the relay (offline), with no read marker of a peer', async () => {
    const { db, ctx, calls } = await device();
    expect(await chatsHandlers.chat(ctx as never, { peerId: ME, refresh: true })).toEqual({ peer: myself, peerReadSeq: 0 });
    expect(calls).toEqual([]);
    expect((await db.chats.get(ME))?.peer).toEqual(myself);
  });

  it('my notes from another device: nothing unread, no notification, ticks "sent", and no read marker sent to the relay', async () => {
    const { db, vault, calls, relay } = await device();
    const applied = await applyUpdates(db, vault, ME, [note(1), note(2), msg(3, 'bob')]);
    expect(applied.fresh.map((f) => f.peer.id)).toEqual(['bob']);
    const saved = (await db.chats.get(ME))!;
    expect([saved.unread, saved.peerReadSeq]).toEqual([0, 0]);
    const { stored } = await localPage(db, ME, undefined, 50);
    expect(await Promise.all(stored.map(async (r) => (await messageView(vault, r, ME, saved.peerReadSeq)).ticks))).toEqual(['sent', 'sent']);

    // The outbox's flush tells the relay read markers: Bob's chat's, never Saved Messages'.
    await db.chats.update('bob', { myReadSeq: 3 });
    relay.answer = () => null;
    await flushOutbox(db, vault, () => {});
    expect(calls.map((c) => c.path)).toEqual([`/api/cloud/chats/${bob.id}/read`]);
  });

  it('sends no typing for Saved Messages (nobody reads it); a peer still gets mine', async () => {
    const { ctx, frames } = await device();
    await cloudHandlers.typing(ctx as never, { peerId: ME });
    await cloudHandlers.typing(ctx as never, { peerId: 'bob' });
    expect(frames).toEqual([{ t: 'typing', peerId: 'bob' }]);
  });

  it('a forward into it made offline waits there as pending copies, though this device held no row for it yet', async () => {
    const { db, vault, ctx } = await device();
    await applyUpdates(db, vault, ME, [msg(1, 'bob')]);
    expect(await db.chats.get(ME)).toBeUndefined();
    await forwardHandlers.forwardMessages(ctx as never, { fromPeerId: 'bob', toPeerId: ME, ids: [uuid(1)] });
    const { pending } = await localPage(db, ME, undefined, 50);
    const views = await Promise.all(pending.map((r) => messageView(vault, r, ME, 0)));
    expect(views.map((v) => [v.text, v.ticks, v.forwarded?.name])).toEqual([['text 1', 'pending', 'Bob']]);
    expect(await db.outbox.count()).toBe(1);
  });
});
