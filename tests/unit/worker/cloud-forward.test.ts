// Forwarded cloud messages on the device: `forwardedFrom` kept sealed in the body through a sync (the
// fast check leaves such a row to the schema, which keeps it), shown as "Forwarded from <name>" ("Deleted
// account" for a deleted or unknown author); and the `forwardMessages` RPC online: it sends the relay
// only this chat's sent messages, stores the copies it answers, and a refusal is said as it is, storing
// nothing (offline, it is queued: forward-offline.test.ts).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CloudMessage, ForwardCloudReq, PublicUser, Update } from '$lib/api/wire';
import { messageView, msgPlace, newChat, type Body } from '$lib/worker/cloud';
import { applyUpdates, checkPage } from '$lib/worker/cloud-sync';
import { forwardHandlers } from '$lib/worker/rpc/forward';
import type { WorkerEvent } from '$lib/worker/protocol';
import { unlockedStore } from '../support/store';
import { bob, ME, msg, uuid } from '../support/cloud-updates';

let dbs = 0;
const carol: PublicUser = { id: 'carol', username: 'carol', displayName: 'Carol' };

/** A copy Bob forwarded to me of a message of `author`'s. */
function forwarded(i: number, author: PublicUser | null, authorId = author?.id ?? 'gone'): Update {
  const u = msg(i, 'bob');
  if (u.kind === 'message') u.message.forwardedFrom = { userId: authorId, createdAt: 500, ...(author ? { user: author } : {}) };
  return u;
}

async function store() {
  const { db, vault } = await unlockedStore(`cloud-forward-${dbs++}`);
  const view = async (i: number) => messageView(vault, (await db.messages.get(uuid(i)))!, ME, 0);
  return { db, vault, view };
}

describe('forwarded cloud messages from the update log', () => {
  it("keep their origin sealed in the body and show the author's name", async () => {
    const { db, vault, view } = await store();
    await applyUpdates(db, vault, ME, [
      forwarded(1, carol),
      forwarded(2, { id: 'dan', username: '', displayName: 'Deleted account', deleted: true }),
      forwarded(3, null),
      msg(4, 'bob')
    ]);
    expect((await view(1)).forwarded).toEqual({ name: 'Carol', createdAt: 500 });
    expect((await view(2)).forwarded).toEqual({ name: 'Deleted account', createdAt: 500 });
    expect((await view(3)).forwarded).toEqual({ name: 'Deleted account', createdAt: 500 });
    expect((await view(4)).forwarded).toBeUndefined();
    const row = (await db.messages.get(uuid(1)))!;
    expect(Object.keys(row)).not.toContain('forwardedFrom');
    expect((await vault.open<Body>(msgPlace(uuid(1)), row.box)).forwardedFrom?.userId).toBe('carol');
  });

  it('a sync page keeps forwardedFrom (the fast path leaves it to the schema), and refuses a malformed one', async () => {
    const good = forwarded(1, carol);
    const bad = forwarded(2, carol, 'someone-else');
    const page = checkPage({ updates: [good, bad], cursor: (bad as { cursor: number }).cursor, more: false }, 0);
    expect(page.updates).toHaveLength(1);
    expect(page.updates[0]).toMatchObject({ message: { forwardedFrom: { userId: 'carol', createdAt: 500, user: carol } } });
    expect(page.rejected).toEqual([{ cursor: (bad as { cursor: number }).cursor, reason: expect.stringMatching(/user must be the author/) }]);
    // A later version's extra field in it is dropped, not refused.
    const newer = forwarded(3, carol);
    if (newer.kind === 'message') Object.assign(newer.message.forwardedFrom!, { via: 'channel' });
    expect(checkPage({ updates: [newer], cursor: newer.cursor, more: false }, 0).updates[0]).toMatchObject({ message: { forwardedFrom: { userId: 'carol' } } });
  });
});

describe('the forwardMessages RPC', () => {
  afterEach(() => vi.unstubAllGlobals());

  async function rig() {
    const { db, vault, view } = await store();
    await applyUpdates(db, vault, ME, [msg(1, 'bob'), msg(2, ME)]);
    await db.chats.put(newChat(carol, 0));
    const events: WorkerEvent[] = [];
    const session = { user: { id: ME, username: 'me', displayName: 'Me' }, device: { id: 'd', name: 'phone' } };
    const ctx = { db, vault, me: ME, session, emit: (e: WorkerEvent) => events.push(e), sync: async () => {}, flush: async () => {} };
    return { db, vault, view, ctx, events };
  }

  it("sends the relay this chat's ids in the chat's order with new ids, and stores the copies it answers", async () => {
    const { db, ctx, events } = await rig();
    const asked: ForwardCloudReq[] = [];
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      expect(path).toBe('/api/cloud/forward');
      const body = JSON.parse(init.body as string) as ForwardCloudReq;
      asked.push(body);
      const messages: CloudMessage[] = body.newIds.map((id, i) => ({
        id,
        peerId: 'carol',
        seq: 10 + i,
        senderId: ME,
        senderDeviceId: 'd',
        text: `text ${i + 1}`,
        replyTo: null,
        createdAt: 9_000 + i,
        forwardedFrom: { userId: 'bob', createdAt: 1_001, user: bob }
      }));
      return new Response(JSON.stringify({ messages }), { status: 200 });
    });
    // Picked newest first: sent in the chat's order.
    await forwardHandlers.forwardMessages(ctx, { fromPeerId: 'bob', toPeerId: 'carol', ids: [uuid(2), uuid(1)] });
    expect(asked).toEqual([{ toUserId: 'carol', fromPeerId: 'bob', ids: [uuid(1), uuid(2)], newIds: [expect.any(String), expect.any(String)] }]);
    const copies = await db.messages.where('peerId').equals('carol').sortBy('seq');
    expect(copies.map((r) => r.id)).toEqual(asked[0].newIds);
    expect((await db.chats.get('carol'))?.lastAt).toBe(9_001);
    expect(events).toEqual([{ type: 'messages', peerId: 'carol' }, { type: 'chats' }]);
  });

  it('refuses a message of another chat or one not sent yet, asking the relay nothing', async () => {
    const { db, ctx } = await rig();
    vi.stubGlobal('fetch', async () => {
      throw new Error('must not be asked');
    });
    await db.messages.update(uuid(2), { seq: 0 });
    await expect(forwardHandlers.forwardMessages(ctx, { fromPeerId: 'bob', toPeerId: 'carol', ids: [uuid(2)] })).rejects.toMatchObject({ code: 'not_found' });
    await expect(forwardHandlers.forwardMessages(ctx, { fromPeerId: 'carol', toPeerId: 'bob', ids: [uuid(1)] })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a refusal for good is said as it is: nothing stored, nothing queued', async () => {
    const { db, ctx } = await rig();
    vi.stubGlobal('fetch', async () => Response.json({ error: { code: 'quota_exceeded', message: 'Your storage is full.' } }, { status: 413 }));
    await expect(forwardHandlers.forwardMessages(ctx, { fromPeerId: 'bob', toPeerId: 'carol', ids: [uuid(1)] })).rejects.toMatchObject({
      code: 'quota_exceeded',
      message: 'Your storage is full.'
    });
    expect(await db.messages.where('peerId').equals('carol').count()).toBe(0);
    expect(await db.outbox.count()).toBe(0);
  });
});
