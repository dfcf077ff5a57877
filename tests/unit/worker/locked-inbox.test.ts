import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '$lib/api/wire';
import { receiveHeld } from '$lib/worker/locked-inbox';
import type { SecretEngine } from '$lib/worker/secret';
import { unlockedStore } from '../support/store';

let n = 0;
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const envelope = (seq: number): Envelope => ({ seq, id: uuid(seq), fromDeviceId: 'dev', fromUserId: 'bob', body: 'AAAA', createdAt: 1, requestId: null });

/** An engine that records what it was handed, or fails like a store failure. */
function engine(fail = false) {
  const got: number[][] = [];
  const e = { receive: async (envs: Envelope[]) => (fail ? Promise.reject(new Error('store failed')) : (got.push(envs.map((x) => x.seq)), { chats: new Map() })) };
  return { got, engine: async () => e as unknown as SecretEngine };
}

describe('envelopes the service worker held while it could not open the vault', () => {
  it('are received in queue order, then dropped; a malformed row is dropped alone; none: the engine is not even built', async () => {
    const { db } = await unlockedStore(`held-${n++}`);
    let built = 0;
    expect(await receiveHeld(db, async () => (built++, {} as SecretEngine))).toBe(0);
    expect(built).toBe(0);

    for (const seq of [7, 3, 5]) await db.lockedInbox.put({ id: uuid(seq), seq, envelope: envelope(seq), at: 1 });
    await db.lockedInbox.put({ id: 'bad', seq: 4, envelope: { seq: 4, id: 'not a uuid' } as unknown as Envelope, at: 1 });
    const { got, engine: ok } = engine();
    expect(await receiveHeld(db, ok)).toBe(3);
    expect(got).toEqual([[3, 5, 7]]);
    expect(await db.lockedInbox.count()).toBe(0);
    db.close();
  });

  it('stay held when receiving them fails (the next unlock or wake tries again)', async () => {
    const { db } = await unlockedStore(`held-${n++}`);
    await db.lockedInbox.put({ id: uuid(1), seq: 1, envelope: envelope(1), at: 1 });
    await expect(receiveHeld(db, engine(true).engine)).rejects.toThrow('store failed');
    expect(await db.lockedInbox.count()).toBe(1);
    db.close();
  });
});
