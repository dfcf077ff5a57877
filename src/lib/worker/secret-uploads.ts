/**
 * Secret files on their way out. A file's row is stored (and shown "sending") before its upload, and
 * only the send after the upload queues it: a worker that dies in between (the tab closed) would
 * leave it so for good. So each upload leaves a marker in `meta` and holds a Web Lock while it runs;
 * at worker start a marker whose lock is free names an upload that died, and its row, still pending
 * and never queued, is marked failed (the "Not sent" tick). Outside secret/: no crypto code is loaded.
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

/** Uploads left by a worker that died (worker start): an index range of `meta`, empty almost always. */
export async function failDeadUploads(db: CinderDB, emit: (e: WorkerEvent) => void): Promise<void> {
  const keys = (await db.meta.where('key').startsWith(PREFIX).primaryKeys()) as string[];
  const changed = new Map<string, string[]>();
  for (const key of keys) {
    const id = key.slice(PREFIX.length);
    // A held lock: another tab's worker is uploading it now.
    const chatId = (await tryLock(lockName(id), () => failUpload(db, id)))?.failed;
    if (chatId) changed.set(chatId, [...(changed.get(chatId) ?? []), id]);
  }
  for (const [chatId, rows] of changed) emit({ type: 'secret', chatId, rows });
  if (changed.size) emit({ type: 'chats' });
}
