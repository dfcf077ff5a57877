/**
 * Self-destruct purge: deletes every secret message whose deadline has passed. It needs no key
 * (deadlines are stored in clear), so the service worker runs it on every wake, even while the
 * app is locked or closed, and the app runs it on start before anything renders.
 */
import type { Collection, Table } from 'dexie';
import type { CinderDB } from './db';
import { withoutPins } from './pin-refs';

export interface Purged {
  chats: Set<string>;
  /** The secret messages deleted, by chat. */
  removed: Map<string, string[]>;
  /** Cloud chats (peer ids) that lost a timed photo or video (the relay deletes them too, at the same time). */
  cloudPeers: Set<string>;
  /** Relay copies of the expired attachments, to delete there too (best effort). */
  blobs: string[];
}

/**
 * Rows whose deadline is a number up to `upTo`, soonest first. Checked again here: no row is written
 * with a null deadline, but WebKit returns null-keyed rows from index ranges (versions before schema
 * 4 wrote them; an old tab may still), and such a row must never count as expired. A deadline ≤ 0
 * (a hostile read time before apply.ts bounded it) is due like any other.
 */
function due<T extends { deadline?: number }, I>(table: Table<T, string, I>, upTo: number): Collection<T, string, I> {
  return table
    .where('deadline')
    .between(-Infinity, upTo, true, true)
    .filter((r) => typeof r.deadline === 'number' && !Number.isNaN(r.deadline) && r.deadline <= upTo);
}

export async function purgeExpired(db: CinderDB, now = Date.now()): Promise<Purged> {
  const out: Purged = { chats: new Set(), removed: new Map(), cloudPeers: new Set(), blobs: [] };
  await db.transaction('rw', db.secretMessages, db.secretMedia, db.secretChats, async () => {
    const expired = await due(db.secretMessages, now).toArray();
    for (const m of expired) {
      out.chats.add(m.chatId);
      out.removed.set(m.chatId, [...(out.removed.get(m.chatId) ?? []), m.id]);
      if (m.blobId) out.blobs.push(m.blobId);
    }
    const ids = expired.map((m) => m.id);
    await db.secretMessages.bulkDelete(ids);
    await db.secretMedia.bulkDelete(ids);
    // A pin goes with its message: no id of it stays on the chat's row. (A commit of the chat's engine
    // that read the row before this keeps no pin of a message gone either: ../worker/secret/chats.ts.)
    for (const [chatId, gone] of out.removed) {
      const row = await db.secretChats.get(chatId);
      const next = row && withoutPins(row, gone);
      if (next !== row) await db.secretChats.put(next!);
    }
  });
  await db.transaction('rw', db.messages, db.cloudMedia, db.chats, async () => {
    const expired = await due(db.messages, now).toArray();
    const byPeer = new Map<string, string[]>();
    for (const m of expired) byPeer.set(m.peerId, [...(byPeer.get(m.peerId) ?? []), m.id]);
    const ids = expired.map((m) => m.id);
    await db.messages.bulkDelete(ids);
    await db.cloudMedia.bulkDelete(ids);
    for (const [peerId, gone] of byPeer) {
      out.cloudPeers.add(peerId);
      // The chat's unread count is counted again at the next list read (this layer cannot tell mine).
      await db.chats.update(peerId, { unread: undefined });
      // Its pins of these go with them, as the relay's do (its 'delete' update comes later).
      const row = await db.chats.get(peerId);
      const next = row && withoutPins(row, gone);
      if (next !== row) await db.chats.put(next!);
    }
  });
  return out;
}

/** The next deadline still ahead, to arm a timer for it. */
export async function nextDeadline(db: CinderDB): Promise<number | null> {
  const first = await due(db.secretMessages, Infinity).first();
  const cloud = await due(db.messages, Infinity).first();
  const times = [first?.deadline, cloud?.deadline].filter((t): t is number => typeof t === 'number');
  return times.length ? Math.min(...times) : null;
}
