import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { EPOCH_MS, epochOf } from '$lib/crypto';
import { openStore } from '$lib/store/db';
import { announceProtocol, PROTOCOL_EPOCHS } from '$lib/worker/protocol-announce';

/** Telling the relay protocol 2 without the secret-chat engine (a device without secret chats, at connect). */
describe('announceProtocol', () => {
  it('tells protocol 2 once, again after PROTOCOL_EPOCHS days, and records it only once the relay answered', async () => {
    const { db } = await openStore(`announce-${Math.random()}`);
    const told: number[] = [];
    const t0 = Date.UTC(2026, 11, 5, 12);
    await expect(announceProtocol(db, () => Promise.reject(new Error('offline')), t0)).rejects.toThrow('offline');
    expect(await db.meta.get('protocol')).toBeUndefined();

    await announceProtocol(db, async (v) => void told.push(v), t0);
    expect(told).toEqual([2]);
    expect((await db.meta.get('protocol'))?.value).toEqual({ v: 2, epoch: epochOf(t0) });
    await announceProtocol(db, async (v) => void told.push(v), t0 + (PROTOCOL_EPOCHS - 1) * EPOCH_MS);
    expect(told).toEqual([2]);
    await announceProtocol(db, async (v) => void told.push(v), t0 + PROTOCOL_EPOCHS * EPOCH_MS);
    expect(told).toEqual([2, 2]);
    // A record from the future (a clock set back) is told again rather than trusted.
    await announceProtocol(db, async (v) => void told.push(v), t0);
    expect(told).toEqual([2, 2, 2]);
    db.close();
  });
});
