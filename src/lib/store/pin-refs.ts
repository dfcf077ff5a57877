/**
 * A chat row's pinned messages (`pins`: ids and times, newest first; ../worker/pins.ts reads them for
 * the bar): checked as read back, and changed by the purge, a secret chat's commit and the cloud
 * sync alike. A pin goes with its message, in the same transaction that deletes it.
 */
import { z } from '$lib/api/zod';
import type { PinnedRef } from './db';

/**
 * Pins a row keeps at most: above LIMITS.pinnedMessagesMax, so the peer's pins past it (two pins at
 * once, a later version's limit) still agree on both sides, yet bounded against a hostile peer.
 */
export const PINS_STORED_MAX = 100;

const Stored = z.array(z.object({ id: z.string().check(z.minLength(1), z.maxLength(64)), at: z.number() })).check(z.maxLength(PINS_STORED_MAX));

/** A row's pins as stored, checked like anything read back from storage: malformed ones count as none. */
export function storedPins(row: { pins?: unknown } | undefined): PinnedRef[] {
  const parsed = Stored.safeParse(row?.pins ?? []);
  return parsed.success ? parsed.data : [];
}

/** `row` with these pins (newest first, at most PINS_STORED_MAX); none: the field removed. */
export function withPins<R extends { pins?: PinnedRef[] }>(row: R, pins: readonly PinnedRef[]): R {
  const out = { ...row };
  const sorted = [...pins].sort((a, b) => b.at - a.at || (a.id < b.id ? -1 : 1)).slice(0, PINS_STORED_MAX);
  if (sorted.length) out.pins = sorted.map(({ id, at }) => ({ id, at }));
  else delete out.pins;
  return out;
}

/** `row` without the pins of these messages (deleted ones); the row itself when it had none of them. */
export function withoutPins<R extends { pins?: PinnedRef[] }>(row: R, ids: Iterable<string>): R {
  const gone = new Set(ids);
  const pins = storedPins(row);
  return pins.some((p) => gone.has(p.id))
    ? withPins(
        row,
        pins.filter((p) => !gone.has(p.id))
      )
    : row;
}

/** `row` with message `id` pinned at `at`, or unpinned (`at` null); its other pins as they were. */
export function withPinned<R extends { pins?: PinnedRef[] }>(row: R, id: string, at: number | null): R {
  const others = storedPins(row).filter((p) => p.id !== id);
  return withPins(row, at === null ? others : [{ id, at }, ...others]);
}
