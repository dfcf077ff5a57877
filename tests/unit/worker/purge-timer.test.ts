// The worker's self-destruct timer knows the deadlines its own worker set; one set by another
// context (a tab closed before it fired, the service worker) reaches it through soon().
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { SecretMessageRow } from '$lib/store/db';
import { followPeers } from '$lib/worker/data-channel';
import { PurgeTimer } from '$lib/worker/purge-timer';
import type { WorkerEvent } from '$lib/worker/protocol';
import { unlockedStore } from '../support/store';

const row = (id: string, deadline: number): SecretMessageRow =>
  ({ id, chatId: 'c1', at: 1, mine: true, status: 'read', ttl: 1, blobId: null, box: new Uint8Array(0), deadline }) as SecretMessageRow;

describe('the purge timer', () => {
  it('fires a deadline another context set, once told something changed; a burst of changes arms it once', async () => {
    const { db } = await unlockedStore('purge-timer-1');
    const events: WorkerEvent[] = [];
    const timer = new PurgeTimer({ db: () => db, emit: (e) => events.push(e) });
    await timer.arm(); // nothing timed yet: no timer
    const arm = vi.spyOn(timer, 'arm');
    // Another tab's read set a deadline, then that tab closed before it came (it is now past).
    await db.secretMessages.put(row('m1', Date.now() - 1));
    for (let i = 0; i < 5; i++) timer.soon(10);
    await vi.waitFor(async () => expect(await db.secretMessages.get('m1')).toBeUndefined(), { timeout: 5000 });
    // Nothing else is timed, so nothing else can call it: once for the five changes.
    expect(arm).toHaveBeenCalledTimes(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'secret', chatId: 'c1' }));
    timer.stop();
    db.close();
  });

  it('stop() also cancels a pending soon()', async () => {
    const { db } = await unlockedStore('purge-timer-2');
    const timer = new PurgeTimer({ db: () => db, emit: () => undefined });
    const arm = vi.spyOn(timer, 'arm');
    timer.soon(10);
    timer.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(arm).not.toHaveBeenCalled();
    db.close();
  });
});

describe("another context's changes", () => {
  it('reach the page, and a change of messages re-arms the purge timer (other kinds do not)', async () => {
    const mine = new BroadcastChannel('cinder-data-test');
    const other = new BroadcastChannel('cinder-data-test');
    const shown: WorkerEvent[] = [];
    let moved = 0;
    followPeers(
      mine,
      (e) => shown.push(e),
      () => moved++
    );
    for (const e of [{ type: 'chats' }, { type: 'secret', chatId: 'c1' }, { type: 'messages', peerId: 'bob' }, { type: 'lock', locked: true }, null, 'x'])
      other.postMessage(e);
    await vi.waitFor(() => expect(shown).toHaveLength(3));
    expect(shown.map((e) => e.type)).toEqual(['chats', 'secret', 'messages']);
    expect(moved).toBe(2);
    mine.close();
    other.close();
  });

  it('drop a cloud chat event whose edited ids or read marker is malformed', async () => {
    const mine = new BroadcastChannel('cinder-data-test-2');
    const other = new BroadcastChannel('cinder-data-test-2');
    const shown: WorkerEvent[] = [];
    followPeers(
      mine,
      (e) => shown.push(e),
      () => {}
    );
    for (const e of [
      { type: 'messages', peerId: 'bob', peerRead: -1 },
      { type: 'messages', peerId: 'bob', peerRead: '9' },
      { type: 'messages', peerId: 'bob', edited: [1] },
      { type: 'messages', peerId: 'bob', peerRead: 1.5 },
      { type: 'messages', peerId: 'bob', peerRead: 7, edited: ['m1'] }
    ])
      other.postMessage(e);
    await vi.waitFor(() => expect(shown).toHaveLength(1));
    expect(shown).toEqual([{ type: 'messages', peerId: 'bob', peerRead: 7, edited: ['m1'] }]);
    mine.close();
    other.close();
  });
});
