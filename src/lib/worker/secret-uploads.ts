/**
 * Secret files on their way out. A file's row is stored (and shown "sending") before its upload, and
 * only the send after the upload queues it: a worker that dies in between (the tab closed) would
 * leave it so for good. So each upload leaves a marker in `meta` and holds a Web Lock while it runs;
 * at worker start a marker whose lock is free names an upload that died, and its row, still pending
 * and never queued, is marked failed (the "Not sent" tick). Rows from apps before the markers are
 * found by how they look in clear instead (legacyUploads). Outside secret/: no crypto code is loaded.
 */
import type { CinderDB } from '$lib/store/db';
import type { WorkerEvent } from './protocol';
import { tryLock, withLock } from './locks';
import { NetError } from './net';

const PREFIX = 'secretUpload:';
const lockName = (id: string) => `cinder-upload-${id}`;

export const uploadMarker = (id: string) => ({ key: PREFIX + id, value: Date.now() });

/**
 * One secret upload at a time on this device, across tabs: the relay runs only a few per account at
 * once (429 past that), and photos picked together would otherwise race for them. A 429 still met
 * (the account's other devices uploading) is waited out a few times before the file shows failed.
 */
export function oneUploadAtATime<T>(upload: () => Promise<T>, waitMs = 2000): Promise<T> {
  return withLock('cinder-secret-upload', async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await upload();
      } catch (e) {
        if (!(e instanceof NetError && e.code === 'rate_limited') || attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, waitMs * attempt));
      }
    }
  });
}

/** Runs one file's upload and send under its lock (held from before its marker is written until it is dropped). */
export function whileUploading<T>(id: string, fn: () => Promise<T>): Promise<T> {
  return withLock(lockName(id), fn);
}

/**
 * Marks a file's row failed unless its send was queued (or went), and drops its marker. `failed`: the
 * chat of a row marked; `queued`: the send is on its way, so the relay's copy is still wanted.
 */
export async function failUpload(db: CinderDB, id: string): Promise<{ failed?: string; queued: boolean }> {
  return db.transaction('rw', db.secretMessages, db.sendQueue, db.meta, async () => {
    await db.meta.delete(PREFIX + id);
    const m = await db.secretMessages.get(id);
    if (!m) return { queued: false }; // deleted meanwhile
    if (m.status !== 'pending') return { queued: true };
    if (
      await db.sendQueue
        .where('chatId')
        .equals(m.chatId)
        .filter((q) => q.messageIds.includes(id))
        .count()
    )
      return { queued: true };
    await db.secretMessages.update(id, { status: 'failed' });
    return { failed: m.chatId, queued: false };
  });
}

/**
 * A file row without a marker is one an app from before the markers wrote. Younger than this, it may
 * be that app's upload still running in a tab not yet reloaded (it holds no lock); older, it died.
 */
export const LEGACY_UPLOAD_MS = 60 * 60_000;
/** Set once no legacy row is left to judge: later starts skip the sweep (this app writes none). */
const LEGACY_SWEPT = 'secretUploadsLegacySwept';

/**
 * Ids of files stuck "sending" by an app from before the markers, as they look in clear: mine, pending,
 * no relay blob yet (the row gets one only with its send), the file's bytes stored with it. `young`:
 * some such row was too young, or its lock held, to judge now. Reads keys and rows, never the bytes.
 */
async function legacyUploads(db: CinderDB, now: number): Promise<{ dead: string[]; young: boolean }> {
  const withMedia = (await db.secretMedia.toCollection().primaryKeys()) as string[];
  const marked = new Set(((await db.meta.where('key').startsWith(PREFIX).primaryKeys()) as string[]).map((k) => k.slice(PREFIX.length)));
  const rows = await db.secretMessages.bulkGet(withMedia.filter((id) => !marked.has(id)));
  const stuck = rows.filter((r) => r?.mine && r.status === 'pending' && !r.blobId);
  const dead = stuck.filter((r) => now - r!.at >= LEGACY_UPLOAD_MS).map((r) => r!.id);
  return { dead, young: dead.length < stuck.length };
}

/**
 * Uploads left by a worker that died (worker start): an index range of `meta`, empty almost always;
 * then, until none is left, the files an older app left "sending" (see legacyUploads). A failed file's
 * row shows "Not sent", so the user can retry or delete it.
 */
export async function failDeadUploads(db: CinderDB, emit: (e: WorkerEvent) => void, now = Date.now()): Promise<void> {
  const keys = (await db.meta.where('key').startsWith(PREFIX).primaryKeys()) as string[];
  const ids = keys.map((key) => key.slice(PREFIX.length));
  const legacy = (await db.meta.get(LEGACY_SWEPT)) ? { dead: [], young: false } : await legacyUploads(db, now);
  let unjudged = legacy.young;
  const changed = new Map<string, string[]>();
  for (const id of [...ids, ...legacy.dead]) {
    // A held lock: another tab's worker is uploading it now.
    const result = await tryLock(lockName(id), () => failUpload(db, id));
    if (!result && legacy.dead.includes(id)) unjudged = true;
    if (result?.failed) changed.set(result.failed, [...(changed.get(result.failed) ?? []), id]);
  }
  if (!unjudged) await db.meta.put({ key: LEGACY_SWEPT, value: now });
  for (const [chatId, rows] of changed) emit({ type: 'secret', chatId, rows });
  if (changed.size) emit({ type: 'chats' });
}
