/**
 * My scheduled messages of cloud chats on this device (docs/api.md, "Scheduled messages"). The relay
 * holds them and sends each at its time; every change comes back as a 'scheduled' update in my log
 * (the item as it is now, or null once sent or deleted), applied with the sync's page (./cloud-sync.ts)
 * into the `scheduled` table, so the Scheduled view shows offline. A chat's list read from the relay
 * replaces what this device holds for it (a device signed in later has no older updates). A file's
 * summary (name, type, size, its upload's id) is sealed with the text; the file itself stays at the relay.
 */
import type { ScheduledMessage } from '$lib/api/wire-scheduled';
import type { Update } from '$lib/api/wire';
import type { CinderDB, ScheduledRow } from '$lib/store/db';
import { places } from '$lib/store/places';
import type { Vault } from '$lib/store/vault';
import type { ScheduledView } from './protocol';

type Sealed = Pick<ScheduledMessage, 'text' | 'replyTo' | 'createdAt' | 'failed' | 'media'>;

export const sealScheduled = async (vault: Vault, m: ScheduledMessage): Promise<ScheduledRow> => ({
  id: m.id,
  peerId: m.peerId,
  at: m.at,
  box: await vault.seal<Sealed>(places.scheduled(m.id), {
    text: m.text,
    replyTo: m.replyTo,
    createdAt: m.createdAt,
    failed: m.failed,
    ...(m.media ? { media: m.media } : {})
  })
});

/** The 'scheduled' updates of a batch, sealed (before its transaction): by id, the last word on each (null: gone). */
export async function prepareScheduled(vault: Vault, updates: Update[]): Promise<Map<string, ScheduledRow | null>> {
  const out = new Map<string, ScheduledRow | null>();
  for (const u of updates) if (u.kind === 'scheduled') out.set(u.id, u.item && u.item.peerId === u.peerId ? await sealScheduled(vault, u.item) : null);
  return out;
}

/** Writes them (inside the batch's transaction, which holds `db.scheduled`). */
export function writeScheduled(db: CinderDB, rows: Map<string, ScheduledRow | null>): Promise<unknown>[] {
  if (!rows.size) return [];
  const puts = [...rows.values()].filter((r): r is ScheduledRow => r !== null);
  const drops = [...rows].flatMap(([id, r]) => (r ? [] : [id]));
  return [puts.length ? db.scheduled.bulkPut(puts) : null, drops.length ? db.scheduled.bulkDelete(drops) : null].filter((p) => p !== null);
}

/** A chat's list as the relay said it now: replaces this device's rows of that chat. */
export async function replaceScheduled(db: CinderDB, vault: Vault, peerId: string, items: ScheduledMessage[]): Promise<void> {
  const rows = await Promise.all(items.filter((m) => m.peerId === peerId).map((m) => sealScheduled(vault, m)));
  await db.transaction('rw', db.scheduled, async () => {
    await db.scheduled.where('peerId').equals(peerId).delete();
    await db.scheduled.bulkPut(rows);
  });
}

/** The chat's scheduled messages held here, earliest first. */
export async function scheduledViews(db: CinderDB, vault: Vault, peerId: string): Promise<ScheduledView[]> {
  const rows = await db.scheduled.where('peerId').equals(peerId).toArray();
  const views = await Promise.all(
    rows.map(async (r): Promise<ScheduledView> => {
      const s = await vault.open<Sealed>(places.scheduled(r.id), r.box);
      return { id: r.id, peerId: r.peerId, at: r.at, text: s.text, replyTo: s.replyTo, ...(s.media ? { media: s.media } : {}), failed: s.failed };
    })
  );
  return views.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
}
