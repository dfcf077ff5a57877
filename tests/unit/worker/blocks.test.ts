// Blocked users on the device (worker/blocks.ts, RPC blockedUsers/blockUser/unblockUser): the list is
// the relay's, kept in `meta` and read back through its schema (offline too); a block or unblock needs
// the connection (offline: a clear refusal, nothing changed); each change tells the pages once. A cloud
// message the relay refuses because of a block fails for good, keeps its text, says why under it and
// in a notice, and is not retried; one to a user I blocked is refused before it is queued.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BlockedUser } from '$lib/api/wire';
import { BLOCKS_KEY, followBlocks, readBlocks } from '$lib/worker/blocks';
import { messageView } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { blocksHandlers } from '$lib/worker/rpc/blocks';
import { cloudHandlers } from '$lib/worker/rpc/cloud';
import type { WorkerEvent } from '$lib/worker/protocol';
import { unlockedStore } from '../support/store';
import { cloudQueue, stubRelay } from '../support/relay-stub';
import { ME, msg } from '../support/cloud-updates';

let dbs = 0;

const bob: BlockedUser = { id: 'bob', username: 'bob', displayName: 'Bob', since: 1_000 };
const carol: BlockedUser = { id: 'carol', username: 'carol', displayName: 'Carol', since: 2_000 };

/** A device with Bob's chat, and a relay stub: `answer` decides each call (undefined: offline). */
async function device() {
  const { db, vault } = await unlockedStore(`blocks-${dbs++}`);
  await applyUpdates(db, vault, ME, [msg(1, 'bob')]);
  await db.chats.update('bob', { readSentSeq: 1, myReadSeq: 1 });
  const events: WorkerEvent[] = [];
  const { calls, relay } = stubRelay();
  const emit = (e: WorkerEvent) => void events.push(e);
  const ctx = { db, vault, me: ME, emit, flush: async () => {}, sendFrame: () => {} };
  const { flush } = cloudQueue(db, vault, events);
  return { db, vault, ctx, events, calls, relay, flush };
}

const blocksEvents = (events: WorkerEvent[]) => events.filter((e) => e.type === 'blocks').length;

describe('the block list on the device', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('blocks and unblocks at the relay, keeps its answers, and tells the pages once per change', async () => {
    const { ctx, events, calls, relay } = await device();
    relay.answer = (c) => (c.method === 'PUT' ? { status: 200, body: { user: c.path.endsWith('/carol') ? carol : bob } } : { status: 204 });
    expect(await blocksHandlers.blockUser(ctx, { userId: 'bob' })).toEqual(bob);
    expect(await blocksHandlers.blockUser(ctx, { userId: 'carol' })).toEqual(carol);
    expect(await blocksHandlers.blockedUsers(ctx, {})).toEqual([carol, bob]);
    // A repeat (the relay keeps the first time) changes nothing here either.
    await blocksHandlers.blockUser(ctx, { userId: 'bob' });
    expect(await blocksHandlers.blockedUsers(ctx, {})).toEqual([bob, carol]);
    expect(blocksEvents(events)).toBe(3);
    await blocksHandlers.unblockUser(ctx, { userId: 'bob' });
    expect(await blocksHandlers.blockedUsers(ctx, {})).toEqual([carol]);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['PUT /api/blocks/bob', 'PUT /api/blocks/carol', 'PUT /api/blocks/bob', 'DELETE /api/blocks/bob']);
    expect(blocksEvents(events)).toBe(4);
  });

  it('offline, a block or unblock is refused in words and changes nothing; the list still reads', async () => {
    const { db, ctx, events } = await device();
    await db.meta.put({ key: BLOCKS_KEY, value: [bob] });
    await expect(blocksHandlers.blockUser(ctx, { userId: 'carol' })).rejects.toMatchObject({
      code: 'needs_connection',
      message: "Blocking needs a connection to Cinder's server. Nothing changed: try again once you are online."
    });
    await expect(blocksHandlers.unblockUser(ctx, { userId: 'bob' })).rejects.toMatchObject({
      code: 'needs_connection',
      message: expect.stringMatching(/^Unblocking needs/)
    });
    expect(await blocksHandlers.blockedUsers(ctx, {})).toEqual([bob]);
    expect(blocksEvents(events)).toBe(0);
    await expect(blocksHandlers.blockUser(ctx, { userId: ME })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it("follows the relay's list (at connect, on a 'blocks' frame); a stored value that does not read back is no list", async () => {
    const { db, events, relay } = await device();
    relay.answer = () => ({ status: 200, body: { users: [carol, bob] } });
    await followBlocks(db, (e) => events.push(e));
    await followBlocks(db, (e) => events.push(e));
    expect(await readBlocks(db)).toEqual([carol, bob]);
    expect(blocksEvents(events)).toBe(1);
    // A malformed answer changes nothing.
    relay.answer = () => ({ status: 200, body: { users: [{ id: 'x' }] } });
    await expect(followBlocks(db, (e) => events.push(e))).rejects.toMatchObject({ code: 'bad_response' });
    expect(await readBlocks(db)).toEqual([carol, bob]);
    await db.meta.put({ key: BLOCKS_KEY, value: [{ id: 'bob', since: 'yesterday' }] });
    expect(await readBlocks(db)).toEqual([]);
  });
});

describe('a cloud message refused because of a block', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('fails for good with its text kept, says why under it and in a notice, and is not retried', async () => {
    const { db, vault, ctx, events, calls, relay, flush } = await device();
    const sent = await cloudHandlers.send(ctx, { peerId: 'bob', text: 'are you there?' });
    relay.answer = () => ({ status: 403, body: { error: { code: 'blocked', message: 'This user blocked you: nothing was sent.' } } });
    await flush();
    const view = await messageView(vault, (await db.messages.get(sent.id))!, ME, 0);
    expect(view).toMatchObject({ text: 'are you there?', ticks: 'failed', failure: 'Not sent: this user blocked you.' });
    expect(await db.outbox.count()).toBe(0);
    expect(events.filter((e) => e.type === 'notice')).toEqual([{ type: 'notice', text: 'Not sent: this user blocked you.' }]);
    const asked = calls.length;
    await flush();
    expect(calls.length).toBe(asked);

    // Any other refusal fails it as before, without a reason in words.
    const other = await cloudHandlers.send(ctx, { peerId: 'bob', text: 'again' });
    relay.answer = () => ({ status: 400, body: { error: { code: 'bad_request', message: 'no' } } });
    await flush();
    const otherView = await messageView(vault, (await db.messages.get(other.id))!, ME, 0);
    expect(otherView.ticks).toBe('failed');
    expect(otherView.failure).toBeUndefined();
  });

  it('to a user I blocked is refused before it is queued', async () => {
    const { db, ctx } = await device();
    await db.meta.put({ key: BLOCKS_KEY, value: [bob] });
    await expect(cloudHandlers.send(ctx, { peerId: 'bob', text: 'hi' })).rejects.toMatchObject({ code: 'you_blocked' });
    expect(await db.outbox.count()).toBe(0);
    expect(await db.messages.count()).toBe(1);
  });
});
