// Scheduled messages on the device: a 'scheduled' update (my log only) puts my scheduled message into
// the `scheduled` table as it is now, or takes it out (null: sent or deleted); the last word in a batch
// wins; the chat is told by its own event (not as a change of its messages). The RPC: offline it says so and keeps nothing; online it keeps the
// relay's answer; a list read from the relay replaces the chat's rows. An older version keeps the kind.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { Update } from '$lib/api/wire';
import type { ScheduledMessage } from '$lib/api/wire-scheduled';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { cloudEvents, followPeers, share } from '$lib/worker/data-channel';
import type { WorkerEvent } from '$lib/worker/protocol';
import { KNOWN_KINDS } from '$lib/worker/cloud-kept';
import { scheduledViews } from '$lib/worker/scheduled';
import { scheduledHandlers } from '$lib/worker/rpc/scheduled';
import { unlockedStore } from '../support/store';
import { fakeChannel } from '../support/fake-channel';
import { ME, nextCursor, uuid } from '../support/cloud-updates';

let dbs = 0;
const item = (n: number, over: Partial<ScheduledMessage> = {}): ScheduledMessage => ({
  id: uuid(n),
  peerId: 'bob',
  text: `later ${n}`,
  replyTo: null,
  at: 1_000_000 + n,
  createdAt: 500,
  failed: null,
  ...over
});
const upd = (n: number, it: ScheduledMessage | null, peerId = 'bob'): Update => ({ kind: 'scheduled', cursor: nextCursor(), peerId, id: uuid(n), item: it });

describe('scheduled messages on the device', () => {
  it('applies the update: put as it is now, replaced, removed; the last word in a batch wins; the chat is told', async () => {
    const { db, vault } = await unlockedStore(`scheduled-${dbs++}`);
    const applied = await applyUpdates(db, vault, ME, [upd(1, item(1)), upd(2, item(2, { at: 900 }))]);
    // Told as its own event: the chat's messages did not change, so no window re-reads them, nor the list.
    expect([...applied.changed]).toEqual([]);
    expect(cloudEvents(applied)).toEqual([{ type: 'scheduled', peerId: 'bob' }]);
    expect((await scheduledViews(db, vault, 'bob')).map((s) => [s.text, s.at])).toEqual([
      ['later 2', 900],
      ['later 1', 1_000_001]
    ]);
    await applyUpdates(db, vault, ME, [upd(1, item(1, { text: 'edited', failed: 'this user blocked you' })), upd(2, item(2)), upd(2, null)]);
    expect(await scheduledViews(db, vault, 'bob')).toEqual([
      { id: uuid(1), peerId: 'bob', text: 'edited', replyTo: null, at: 1_000_001, failed: 'this user blocked you' }
    ]);
    // Sealed at rest: the text is not in the row.
    expect(JSON.stringify(await db.scheduled.toArray())).not.toContain('edited');
    // An item naming another chat than its update is not taken.
    await applyUpdates(db, vault, ME, [upd(3, item(3, { peerId: 'carol' }))]);
    expect(await db.scheduled.get(uuid(3))).toBeUndefined();
    await applyUpdates(db, vault, ME, [upd(1, null)]);
    expect(await scheduledViews(db, vault, 'bob')).toEqual([]);
  });

  it('is a kind this version applies (not kept for a later one)', () => {
    expect(KNOWN_KINDS).toContain('scheduled');
  });

  it('RPC: offline it says so and keeps nothing; online it keeps the answer; a list read from the relay replaces the chat', async () => {
    const { db, vault } = await unlockedStore(`scheduled-${dbs++}`);
    const events: unknown[] = [];
    const ctx = { db, vault, me: ME, emit: (e: unknown) => events.push(e) };
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(scheduledHandlers.scheduleMessage(ctx, { peerId: 'bob', text: 'hi', at: 2_000_000 })).rejects.toMatchObject({
      code: 'offline',
      message: 'You are offline. Connect to schedule this message.'
    });
    await expect(scheduledHandlers.editScheduled(ctx, { id: uuid(1), text: 'x' })).rejects.toMatchObject({ code: 'offline' });
    expect(await db.scheduled.count()).toBe(0);
    // Offline, the list held here is shown.
    expect(await scheduledHandlers.scheduledList(ctx, { peerId: 'bob', refresh: true })).toEqual([]);

    const sent: unknown[] = [];
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      sent.push([init.method, path, init.body ? JSON.parse(String(init.body)) : null]);
      if (init.method === 'GET') return Response.json({ scheduled: [item(7), item(8)] });
      const body = JSON.parse(String(init.body)) as { id: string; text: string; at: number };
      return Response.json({ scheduled: item(5, { id: body.id, text: body.text, at: body.at }) });
    });
    const view = await scheduledHandlers.scheduleMessage(ctx, { id: uuid(5), peerId: 'bob', text: 'hi **there**', at: 2_000_000 });
    expect(view).toMatchObject({ id: uuid(5), text: 'hi **there**', at: 2_000_000 });
    expect(sent[0]).toEqual(['POST', '/api/cloud/scheduled', { id: uuid(5), peerId: 'bob', text: 'hi **there**', replyTo: null, at: 2_000_000 }]);
    expect(events).toEqual([{ type: 'scheduled', peerId: 'bob' }]);
    expect((await scheduledHandlers.scheduledList(ctx, { peerId: 'bob' })).map((s) => s.id)).toEqual([uuid(5)]);
    expect((await scheduledHandlers.scheduledList(ctx, { peerId: 'bob', refresh: true })).map((s) => s.id)).toEqual([uuid(7), uuid(8)]);
    vi.unstubAllGlobals();
  });

  it("other tabs hear a chat's scheduled change (a well-formed one only)", () => {
    const { channel, posted, hear } = fakeChannel();
    share(channel, { type: 'scheduled', peerId: 'bob' });
    expect(posted).toEqual([{ type: 'scheduled', peerId: 'bob' }]);
    const heard: WorkerEvent[] = [];
    followPeers(
      channel,
      (e) => heard.push(e),
      () => {}
    );
    hear({ type: 'scheduled', peerId: 'bob' });
    hear({ type: 'scheduled', peerId: 7 });
    expect(heard).toEqual([{ type: 'scheduled', peerId: 'bob' }]);
  });
});
