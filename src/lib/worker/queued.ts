import type { CinderDB } from '$lib/store/db';

/** How many messages wait to be sent: the cloud outbox and the secret messages in the send queue. */
export async function countQueued(db: CinderDB): Promise<number> {
  const ids = new Set<string>();
  for (const q of await db.sendQueue.toArray()) for (const id of q.messageIds) ids.add(id);
  return (await db.outbox.count()) + ids.size;
}
