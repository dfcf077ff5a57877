/**
 * Cloud updates of a kind this version does not know (docs/api.md, "Forward compatibility"). The sync
 * (cloud-sync.ts) keeps one that is well formed as an envelope — an object with an integer `cursor`
 * in log order and a string `kind` — instead of rejecting it as malformed, so that once the app is
 * updated to a version that knows the kind it is applied after all (the cursor has moved past it: the
 * log never serves it again). Sealed like the cloud messages it may carry; bounded so a hostile or
 * buggy relay cannot fill the disk (past the bounds it is rejected, as before). The same idea as a
 * secret chat's placeholders and parked envelopes (secret/unsupported.ts, secret/parked.ts).
 */
import type { Update } from '$lib/api/wire';
import type { CinderDB, KeptUpdateRow } from '$lib/store/db';
import { places } from '$lib/store/places';
import type { Vault } from '$lib/store/vault';

/** At most this many kept updates… */
export const KEPT_MAX = 500;
/** …of at most this many bytes each (a message update of today is under 40 KiB)… */
export const KEPT_UPDATE_MAX_BYTES = 64 * 1024;
/** …and this many in all. */
export const KEPT_TOTAL_MAX_BYTES = 4 * 1024 * 1024;
const KIND_MAX = 64;

/** Every kind this version applies: TypeScript keeps the list complete (a new kind must be added here). */
const KNOWN: Record<Update['kind'], true> = {
  message: true,
  read: true,
  delete: true,
  edit: true,
  react: true,
  settings: true,
  pin: true,
  clear: true,
  scheduled: true,
  profile: true
};
export const KNOWN_KINDS: readonly string[] = Object.keys(KNOWN);

/** An update of an unknown kind as it came. */
export interface Later {
  cursor: number;
  kind: string;
  /** Its JSON text. */
  raw: string;
}

const enc = new TextEncoder();

/** `item` as an update to keep: an envelope (integer cursor, string kind) of a kind not known here; else null. */
export function later(item: unknown): Later | null {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return null;
  const { cursor, kind } = item as Record<string, unknown>;
  if (!Number.isSafeInteger(cursor) || (cursor as number) < 0 || typeof kind !== 'string' || !kind || kind.length > KIND_MAX) return null;
  if (Object.hasOwn(KNOWN, kind)) return null;
  return { cursor: cursor as number, kind, raw: JSON.stringify(item) };
}

/**
 * Stores `updates` sealed, as far as the bounds allow (one kept already keeps its place); returns those
 * refused, which the caller rejects as before. Its own transaction, committed before the page that
 * moves the cursor past them: a crash between the two keeps them again from the same page.
 */
export async function keepLater(db: CinderDB, vault: Vault, updates: Later[]): Promise<Later[]> {
  if (!updates.length) return [];
  const refused: Later[] = [];
  const rows: KeptUpdateRow[] = [];
  for (const u of updates) {
    const size = enc.encode(u.raw).length;
    if (size > KEPT_UPDATE_MAX_BYTES) refused.push(u);
    else rows.push({ cursor: u.cursor, kind: u.kind, size, box: await vault.seal(places.keptUpdate(u.cursor), u.raw) });
  }
  await db.transaction('rw', db.keptUpdates, async () => {
    const stored = await db.keptUpdates.toArray();
    const known = new Set(stored.map((r) => r.cursor));
    let count = stored.length;
    let bytes = stored.reduce((n, r) => n + r.size, 0);
    const fit: KeptUpdateRow[] = [];
    for (const r of rows) {
      if (!known.has(r.cursor)) {
        if (count + 1 > KEPT_MAX || bytes + r.size > KEPT_TOTAL_MAX_BYTES) {
          refused.push(updates.find((u) => u.cursor === r.cursor)!);
          continue;
        }
        count++;
        bytes += r.size;
      }
      fit.push(r);
    }
    await db.keptUpdates.bulkPut(fit);
  });
  return refused;
}

/**
 * The kept updates whose kind this version knows now, in cursor order, as they came (JSON values;
 * null for one that no longer opens: it is checked, refused and dropped like a malformed one).
 */
export async function knownNow(db: CinderDB, vault: Vault): Promise<{ cursor: number; update: unknown }[]> {
  const rows = await db.keptUpdates.where('kind').anyOf(KNOWN_KINDS).toArray();
  rows.sort((a, b) => a.cursor - b.cursor);
  const open = async (r: KeptUpdateRow): Promise<unknown> => {
    try {
      return JSON.parse(await vault.open<string>(places.keptUpdate(r.cursor), r.box));
    } catch {
      return null;
    }
  };
  return Promise.all(rows.map(async (r) => ({ cursor: r.cursor, update: await open(r) })));
}

/** Drops kept updates (applied, or refused once their kind was known). */
export const dropKept = (db: CinderDB, cursors: number[]) => (cursors.length ? db.keptUpdates.bulkDelete(cursors) : Promise.resolve());
