import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '$lib/api/wire';
import { receiveHeld, takeHeld } from '$lib/worker/locked-inbox';
import type { SecretEngine } from '$lib/worker/secret';
import { unlockedStore } from '../support/store';

let n = 0;
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const envelope = (seq: number): Envelope => ({ seq, id: uuid(seq), fromDeviceId: 'dev', fromUserId: 'bob', body: 'AAAA', createdAt: 1, requestId: null });

/** A receive run that records what it was handed and handles up to `stopAt` (all by default), or fails like a store failure. */
function receiver(fail = false, stopAt = Infinity) {
  const got: number[][] = [];
  const receiveUpTo = async (envs: Envelope[]) => {
    if (fail) throw new Error('store failed');
    got.push(envs.map((x) => x.seq));
    return Math.max(0, ...envs.map((x) => x.seq).filter((s) => s <= stopAt));
  };
  return { got, receiveUpTo };
}

describe('envelopes the service worker held while it could not open the vault', () => {
  it('none: the engine is not even built', async () => {
    const { db } = await unlockedStore(`held-${n++}`);
    let built = 0;
    expect(await receiveHeld(db, async () => (built++, {} as SecretEngine))).toBe(0);
    expect(built).toBe(0);
    db.close();
  });

  it('are received in queue order, then dropped; a malformed row is dropped alone', async () => {
    const { db } = await unlockedStore(`held-${n++}`);
    for (const seq of [7, 3, 5]) await db.lockedInbox.put({ id: uuid(seq), seq, envelope: envelope(seq), at: 1 });
    await db.lockedInbox.put({ id: 'bad', seq: 4, envelope: { seq: 4, id: 'not a uuid' } as unknown as Envelope, at: 1 });
    const { got, receiveUpTo } = receiver();
    expect(await takeHeld(db, receiveUpTo)).toEqual({ handled: 3, left: 0 });
    expect(got).toEqual([[3, 5, 7]]);
    expect(await db.lockedInbox.count()).toBe(0);
    db.close();
  });

  it('stay held past where a run stopped short (an outage while claiming a request): only the handled ones go', async () => {
    const { db } = await unlockedStore(`held-${n++}`);
    for (const seq of [3, 5, 7, 9]) await db.lockedInbox.put({ id: uuid(seq), seq, envelope: envelope(seq), at: 1 });
    expect(await takeHeld(db, receiver(false, 5).receiveUpTo)).toEqual({ handled: 2, left: 2 });
    expect((await db.lockedInbox.orderBy('seq').toArray()).map((h) => h.seq)).toEqual([7, 9]);
    expect(await takeHeld(db, receiver(false, 0).receiveUpTo)).toEqual({ handled: 0, left: 2 });
    expect(await db.lockedInbox.count()).toBe(2);
    db.close();
  });

  it('stay held when receiving them fails (the next unlock or wake tries again)', async () => {
    const { db } = await unlockedStore(`held-${n++}`);
    await db.lockedInbox.put({ id: uuid(1), seq: 1, envelope: envelope(1), at: 1 });
    await expect(takeHeld(db, receiver(true).receiveUpTo)).rejects.toThrow('store failed');
    expect(await db.lockedInbox.count()).toBe(1);
    db.close();
  });
});
