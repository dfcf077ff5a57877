/**
 * Self-destruct purge: deletes every secret message whose deadline has passed. It needs no key
 * (deadlines are stored in clear), so the service worker runs it on every wake, even while the
 * app is locked or closed, and the app runs it on start before anything renders.
 */
import type { CinderDB } from './db';

export async function purgeExpired(db: CinderDB, now = Date.now()): Promise<Set<string>> {
  const chats = new Set<string>();
  await db.transaction('rw', db.secretMessages, async () => {
    const expired = await db.secretMessages.where('deadline').belowOrEqual(now).toArray();
    for (const m of expired) chats.add(m.chatId);
    await db.secretMessages.bulkDelete(expired.map((m) => m.id));
  });
  return chats;
}

/** The next deadline still ahead, to arm a timer for it. */
export async function nextDeadline(db: CinderDB): Promise<number | null> {
  const first = await db.secretMessages.where('deadline').above(0).first();
  return first?.deadline ?? null;
}
