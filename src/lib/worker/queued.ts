import type { CinderDB } from '$lib/store/db';

/**
 * What waits to be sent: `count` messages (the cloud outbox and the secret messages in the send queue)
 * and `actions`, the cloud actions taken offline (edits, reactions, pins, deletes, chat settings: ./cloud-actions.ts)
 * still to be sent (not those refused already, which wait only for the relay's state to be read back).
 */
export async function countQueued(db: CinderDB): Promise<{ count: number; actions: number }> {
  const ids = new Set<string>();
  for (const q of await db.sendQueue.toArray()) for (const id of q.messageIds) ids.add(id);
  return { count: (await db.outbox.count()) + ids.size, actions: await db.cloudActions.filter((a) => !a.refused).count() };
}

/** Whether anything waits to be sent or read back (the retry's backoff keeps going until nothing does). */
export async function anyQueued(db: CinderDB): Promise<boolean> {
  return (await db.outbox.count()) + (await db.cloudActions.count()) + (await db.sendQueue.count()) > 0;
}
