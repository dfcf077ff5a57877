/**
 * My scheduled messages of cloud chats on this device (docs/api.md, "Scheduled messages"). The relay
 * holds them and sends each at its time; every change comes back as a 'scheduled' update in my log
 * (the item as it is now, or null once sent or deleted), applied with the sync's page (./cloud-sync.ts)
 * into the `scheduled` table, so the Scheduled view shows offline. A chat's list read from the relay
 * replaces what this device holds for it (a device signed in later has no older updates). A file's
 * summary (name, type, size, its upload's id) is sealed with the text; the file itself stays at the relay.
 * A photo or video scheduled from this device leaves a small picture of it here (sealed, in the cloud
 * media cache under its own key, THUMB), shown in the list and dropped with the row: another device
 * of mine shows the kind's icon.
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

/** The key of a scheduled message's small picture in `cloudMedia` (never a message's id: those are UUIDs). */
export const thumbKey = (id: string) => `scheduled:${id}`;

/** Keeps the small picture of `id`, a photo or video just scheduled from this device. */
export async function keepThumb(db: CinderDB, vault: Vault, id: string, peerId: string, thumb: ArrayBuffer): Promise<void> {
  const key = thumbKey(id);
  await db.cloudMedia.put({ messageId: key, peerId, box: await vault.sealBytes(places.cloudMedia(key), new Uint8Array(thumb)) });
}

/** Writes them (inside the batch's transaction, which holds `db.scheduled` and `db.cloudMedia`); a row gone (sent or deleted) takes its small picture. */
export function writeScheduled(db: CinderDB, rows: Map<string, ScheduledRow | null>): Promise<unknown>[] {
  if (!rows.size) return [];
  const puts = [...rows.values()].filter((r): r is ScheduledRow => r !== null);
  const drops = [...rows].flatMap(([id, r]) => (r ? [] : [id]));
  return [
    puts.length ? db.scheduled.bulkPut(puts) : null,
    drops.length ? db.scheduled.bulkDelete(drops) : null,
    drops.length ? db.cloudMedia.bulkDelete(drops.map(thumbKey)) : null
  ].filter((p) => p !== null);
}

/** Drops one row and its small picture (an answer of the relay: deleted, or sent now). */
export function dropScheduled(db: CinderDB, id: string): Promise<void> {
  return db.transaction('rw', db.scheduled, db.cloudMedia, async () => {
    await db.scheduled.delete(id);
    await db.cloudMedia.delete(thumbKey(id));
  });
}

/** A chat's list as the relay said it now: replaces this device's rows of that chat. */
export async function replaceScheduled(db: CinderDB, vault: Vault, peerId: string, items: ScheduledMessage[]): Promise<void> {
  const rows = await Promise.all(items.filter((m) => m.peerId === peerId).map((m) => sealScheduled(vault, m)));
  const kept = new Set(rows.map((r) => r.id));
  await db.transaction('rw', db.scheduled, db.cloudMedia, async () => {
    const gone = (await db.scheduled.where('peerId').equals(peerId).primaryKeys()).filter((id) => !kept.has(id));
    await db.cloudMedia.bulkDelete(gone.map(thumbKey));
    await db.scheduled.where('peerId').equals(peerId).delete();
    await db.scheduled.bulkPut(rows);
  });
}

/** The chat's scheduled messages held here, earliest first. */
export async function scheduledViews(db: CinderDB, vault: Vault, peerId: string): Promise<ScheduledView[]> {
  const rows = await db.scheduled.where('peerId').equals(peerId).toArray();
  const thumbs = await db.cloudMedia.bulkGet(rows.map((r) => thumbKey(r.id)));
  const views = await Promise.all(
    rows.map(async (r, i): Promise<ScheduledView> => {
      const s = await vault.open<Sealed>(places.scheduled(r.id), r.box);
      const t = thumbs[i];
      // A picture that does not open (damaged) is left out: the icon shows instead.
      const thumb = t && s.media ? await vault.openBytes(places.cloudMedia(t.messageId), t.box).catch(() => null) : null;
      return {
        id: r.id,
        peerId: r.peerId,
        at: r.at,
        text: s.text,
        replyTo: s.replyTo,
        ...(s.media ? { media: s.media } : {}),
        ...(thumb ? { thumb: new Blob([thumb as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }) } : {}),
        failed: s.failed
      };
    })
  );
  return views.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
}
