/**
 * Self-destruct purge: deletes every secret message whose deadline has passed. It needs no key
 * (deadlines are stored in clear), so the service worker runs it on every wake, even while the
 * app is locked or closed, and the app runs it on start before anything renders.
 */
import type { CinderDB } from './db';

export interface Purged {
  chats: Set<string>;
  /** Cloud chats (peer ids) that lost a timed photo or video (the relay deletes them too, at the same time). */
  cloudPeers: Set<string>;
  /** Relay copies of the expired attachments, to delete there too (best effort). */
  blobs: string[];
}

export async function purgeExpired(db: CinderDB, now = Date.now()): Promise<Purged> {
  const out: Purged = { chats: new Set(), cloudPeers: new Set(), blobs: [] };
  await db.transaction('rw', db.secretMessages, db.secretMedia, async () => {
    const expired = await db.secretMessages.where('deadline').belowOrEqual(now).toArray();
    for (const m of expired) {
      out.chats.add(m.chatId);
      if (m.blobId) out.blobs.push(m.blobId);
    }
    const ids = expired.map((m) => m.id);
    await db.secretMessages.bulkDelete(ids);
    await db.secretMedia.bulkDelete(ids);
  });
  await db.transaction('rw', db.messages, db.cloudMedia, async () => {
    const expired = await db.messages.where('deadline').belowOrEqual(now).toArray();
    for (const m of expired) out.cloudPeers.add(m.peerId);
    const ids = expired.map((m) => m.id);
    await db.messages.bulkDelete(ids);
    await db.cloudMedia.bulkDelete(ids);
  });
  return out;
}

/** The next deadline still ahead, to arm a timer for it. */
export async function nextDeadline(db: CinderDB): Promise<number | null> {
  const first = await db.secretMessages.where('deadline').above(0).first();
  const cloud = await db.messages.where('deadline').above(0).first();
  const times = [first?.deadline, cloud?.deadline].filter((t): t is number => typeof t === 'number');
  return times.length ? Math.min(...times) : null;
}
