/**
 * Skipped message keys: keys of messages not yet received in a chain we moved past (out-of-order or
 * lost messages). Bounded per chain and in total, and expired by age, because every stored key is a
 * key that forward secrecy does not yet protect.
 */
import { equalBytes, zeroize } from './bytes.js';
import { LIMITS } from './limits.js';

export interface SkippedKey {
  readonly ratchetPub: Uint8Array; // chain the key belongs to
  readonly n: number; // message number in that chain
  readonly messageKey: Uint8Array;
  readonly storedAt: number; // caller time (ms) when stored
}

/** Index of the key for (pub, n), or -1. */
export function findSkipped(list: readonly SkippedKey[], pub: Uint8Array, n: number): number {
  for (let i = 0; i < list.length; i++) if (list[i]!.n === n && equalBytes(list[i]!.ratchetPub, pub)) return i;
  return -1;
}

/** Removes expired keys and enforces the per-chain and total bounds (oldest first). Mutates `list`. */
export function pruneSkipped(list: SkippedKey[], now: number): void {
  const keep: SkippedKey[] = [];
  for (const k of list) {
    // |age| so that a clock that jumped backwards cannot keep keys alive forever.
    if (Math.abs(now - k.storedAt) > LIMITS.skippedTtlMs) zeroize(k.messageKey);
    else keep.push(k);
  }
  // list is kept in insertion order, so the oldest are first.
  while (keep.length > LIMITS.maxSkippedTotal) zeroize(keep.shift()!.messageKey);
  list.length = 0;
  list.push(...keep);
}

export function addSkipped(list: SkippedKey[], key: SkippedKey): void {
  list.push(key);
  let inChain = 0;
  for (const k of list) if (equalBytes(k.ratchetPub, key.ratchetPub)) inChain++;
  if (inChain > LIMITS.maxSkippedPerChain) {
    const i = list.findIndex((k) => equalBytes(k.ratchetPub, key.ratchetPub));
    zeroize(list[i]!.messageKey);
    list.splice(i, 1);
  }
  if (list.length > LIMITS.maxSkippedTotal) zeroize(list.shift()!.messageKey);
}
