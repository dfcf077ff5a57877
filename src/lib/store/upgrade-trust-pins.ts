/**
 * Schema version 11: verified keys are pinned per (user id, device id) in `trustPins`. The old
 * `trust` table was keyed by device id alone, so an untrusted relay that listed one of Alice's
 * verified devices under Mallory made verifying Mallory replace Alice's pin, and a later substituted
 * key for Alice showed as a first contact instead of "key changed". Every row is copied as it is
 * (device ids were unique there, so no two collide here); the old table is then dropped.
 */
import type { Transaction } from 'dexie';
import type { TrustRow } from './db';

export async function pinTrustPerUser(tx: Transaction): Promise<void> {
  const rows = await tx.table<TrustRow, string>('trust').toArray();
  await tx.table<TrustRow, [string, string]>('trustPins').bulkPut(rows);
}
