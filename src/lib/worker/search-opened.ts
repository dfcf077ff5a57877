/**
 * What the searches opened, kept in memory (never stored) so the next search, usually the same words
 * typed further, does not open the same rows again: each key stroke's search would otherwise unseal the
 * whole history. Kept per open vault (a WeakMap on it: once the vault is locked or replaced, nothing
 * reaches its entries), each entry tied to the sealed value it came from by the value's AES-GCM tag (its
 * last 16 bytes), so an edited (re-sealed) row is opened again. Bounded by OPENED_BUDGET: past it, new rows
 * are not kept (a search reads newest first, so the newest rows, most often read, stay). Cloud rows only:
 * secret rows are opened anew for each search, so a burned or deleted secret message leaves nothing here.
 */
import type { Vault } from '$lib/store/vault';

/** About how many characters (each row's size, plus a fixed cost per row) are kept per vault: some 16-32 MB at most. */
export const OPENED_BUDGET = 16_000_000;
/** The bookkeeping of one entry, counted against the budget. */
const ENTRY_COST = 100;
const TAG_BYTES = 16;

type Entry<T> = { tag: string; value: T };
type Kept = { map: Map<string, Entry<unknown>>; size: number };

let kept = new WeakMap<Vault, Kept>();

/** The tag of a sealed value as a short string (compared, never decoded). */
const tagOf = (box: Uint8Array) => String.fromCharCode(...box.subarray(Math.max(0, box.length - TAG_BYTES)));

/**
 * The value `open` gives for the sealed `box` at `place`, opened once per vault while it stays in the
 * budget. `size` says how many characters the value holds.
 */
export async function openedOnce<T>(vault: Vault, place: string, box: Uint8Array, open: () => Promise<T>, size: (value: T) => number): Promise<T> {
  let k = kept.get(vault);
  if (!k) kept.set(vault, (k = { map: new Map(), size: 0 }));
  const tag = tagOf(box);
  const hit = k.map.get(place);
  if (hit?.tag === tag) return hit.value as T;
  const value = await open();
  const cost = size(value) + ENTRY_COST;
  const old = k.map.get(place);
  const freed = old ? size(old.value as T) + ENTRY_COST : 0;
  if (k.size - freed + cost <= OPENED_BUDGET) {
    k.map.set(place, { tag, value });
    k.size += cost - freed;
  } else if (old) {
    k.map.delete(place);
    k.size -= freed;
  }
  return value;
}

/** Drops everything kept (every vault's). */
export function forgetOpened() {
  kept = new WeakMap();
}
