import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { EPOCH_MS, epochOf } from '$lib/crypto';
import { openStore } from '$lib/store/db';
import { announceProtocol, keepAddressing, PROTOCOL_EPOCHS } from '$lib/worker/protocol-announce';
import type { SecretEngine } from '$lib/worker/secret';

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

  it('at connect: the engine keeps the addressing once there are mailboxes or untold secret chats; otherwise only the protocol is told', async () => {
    const { db } = await openStore(`keep-${Math.random()}`);
    const calls: string[] = [];
    const engine = async () => ({ maintain: async () => void calls.push('maintain') }) as unknown as SecretEngine;
    const tell = async () => void calls.push('told');
    await keepAddressing(db, engine, tell);
    await keepAddressing(db, engine, tell); // told already: nothing
    expect(calls).toEqual(['told']);
    await db.meta.delete('protocol');
    await db.secretChats.put({ id: 'c1' } as never);
    await keepAddressing(db, engine, tell);
    expect(calls).toEqual(['told', 'maintain']);
    await db.meta.put({ key: 'protocol', value: { v: 2, epoch: 0 } });
    await keepAddressing(db, engine, tell); // told (long ago) and no mailbox: the protocol again, no engine
    expect(calls).toEqual(['told', 'maintain', 'told']);
    await db.mailboxes.put({ id: 'm1', chatId: 'c1', epoch: 1, expiresAt: Date.now() + 1e6 } as never);
    await keepAddressing(db, engine, tell);
    expect(calls).toEqual(['told', 'maintain', 'told', 'maintain']);
    db.close();
  });
});
