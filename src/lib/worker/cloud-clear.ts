/**
 * Clear history / delete chat in cloud chats. "For me": the relay keeps my "cleared up to seq" of the
 * chat and a 'clear' update in my log takes those messages off every device of mine (here: in the sync
 * commit, ./cloud-sync.ts); the chat row remembers the seq so an older copy (a replayed update, a late
 * page) never comes back, and with `removed` it leaves my list until a later message. "For both": the
 * relay also deletes them for the peer, a 'delete' update naming them all. Online only: the relay's
 * answer is what clears (an offline attempt is refused at once, nothing queued).
 */
import { Dexie } from 'dexie';
import type { Update } from '$lib/api/wire';
import type { ChatRow, CinderDB, MessageRow } from '$lib/store/db';

type Clear = Extract<Update, { kind: 'clear' }>;

/** The ids a 'clear' update takes: the chat's stored messages up to its seq, and those about to be written by the same batch. */
export async function clearedIds(db: CinderDB, u: Clear, puts: Map<string, MessageRow>): Promise<string[]> {
  if (u.upTo < 1) return [];
  const stored = (await db.messages.where('[peerId+seq]').between([u.peerId, 1], [u.peerId, u.upTo], true, true).primaryKeys()) as string[];
  const batch = [...puts.values()].filter((m) => m.peerId === u.peerId && m.seq > 0 && m.seq <= u.upTo).map((m) => m.id);
  return [...new Set([...stored, ...batch])];
}

/** The chat row after a 'clear' update: its cleared seq never goes back; `removed` as the update says. */
export function withCleared(chat: ChatRow, u: Clear): ChatRow {
  const out: ChatRow = { ...chat, clearedSeq: Math.max(chat.clearedSeq ?? 0, u.upTo) };
  if (u.removed) out.removed = true;
  else delete out.removed;
  return out;
}

/** The newest seq stored here for the chat (what "every message up to now" means on this device), 0 when none. */
export async function newestStoredSeq(db: CinderDB, peerId: string): Promise<number> {
  const key = (await db.messages.where('[peerId+seq]').between([peerId, 1], [peerId, Dexie.maxKey]).reverse().limit(1).keys())[0] as unknown as
    [string, number] | undefined;
  return key?.[1] ?? 0;
}
