/**
 * Profile photos: each person's current version cached in `photos` (one row per user, so avatars show
 * offline), fetched once per version (a secret-chat peer's fetch tells the relay whom I look at: the
 * cache keeps that to once per version), replaced by a newer one and dropped when the profile says
 * another version or none. Mine is uploaded as the page re-encoded it (JPEG or WebP, no metadata).
 */
import { photoType } from '$lib/api/photo';
import type { CinderDB, PhotoCacheRow } from '$lib/store/db';
import { NetError } from './net';

const inflight = new Map<string, Promise<PhotoCacheRow | null>>();

const blobOf = (row: PhotoCacheRow) => new Blob([row.bytes as Uint8Array<ArrayBuffer>], { type: row.type });

async function fetchPhoto(db: CinderDB, userId: string, version: number): Promise<PhotoCacheRow | null> {
  let res: Response;
  try {
    res = await fetch(`/api/users/${encodeURIComponent(userId)}/photo/${version}`, { credentials: 'same-origin', signal: AbortSignal.timeout(15000) });
  } catch {
    return null;
  }
  if (!res.ok) return null;
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = photoType(bytes);
  if (!type) return null;
  const row: PhotoCacheRow = { userId, version, type, bytes };
  await db.transaction('rw', db.photos, async () => {
    const now = await db.photos.get(userId);
    if (!now || now.version < version) await db.photos.put(row);
  });
  return row;
}

/**
 * The photo of `userId` at `version` as a Blob: from the cache, else fetched (once at a time per
 * version). Offline or refused, the cached older version if any; null when there is nothing to show.
 * `version` undefined: only what is cached (nothing is asked of the relay).
 */
export async function photoBlob(db: CinderDB, userId: string, version: number | undefined): Promise<Blob | null> {
  const cached = await db.photos.get(userId);
  if (cached && (version === undefined || cached.version === version)) return blobOf(cached);
  if (version === undefined) return null;
  const key = `${userId}:${version}`;
  let p = inflight.get(key);
  if (!p) {
    p = fetchPhoto(db, userId, version).finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  const row = await p;
  return row ? blobOf(row) : cached && cached.version < version ? blobOf(cached) : null;
}

/** Drops the cached photos of these chats' peers whose profile now names another version, or none. */
export async function dropStalePhotos(db: CinderDB, peerIds: string[]): Promise<void> {
  const chats = await db.chats.bulkGet(peerIds);
  await db.transaction('rw', db.photos, async () => {
    for (const chat of chats) {
      if (!chat) continue;
      const row = await db.photos.get(chat.peerId);
      if (row && row.version !== (chat.peer.photo ?? null)) await db.photos.delete(chat.peerId);
    }
  });
}

/** Uploads my photo (the relay checks type, size and magic bytes); caches it under its new version. */
export async function uploadPhoto(db: CinderDB, me: string, bytes: Uint8Array, type: string): Promise<number> {
  let res: Response;
  try {
    res = await fetch('/api/me/photo', { method: 'PUT', credentials: 'same-origin', headers: { 'content-type': type }, body: bytes as Uint8Array<ArrayBuffer> });
  } catch {
    throw new NetError('offline', 'Cannot reach the server. You are offline or the server is down.');
  }
  const body = (await res.json().catch(() => null)) as { photo?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  if (!res.ok || typeof body?.photo !== 'number') {
    const e = body?.error;
    throw new NetError(
      typeof e?.code === 'string' ? e.code : 'bad_response',
      typeof e?.message === 'string' ? e.message : `The server answered ${res.status}`,
      res.status
    );
  }
  const version = body.photo;
  const sniffed = photoType(bytes);
  if (sniffed) await db.photos.put({ userId: me, version, type: sniffed, bytes });
  return version;
}
