/**
 * Envelopes of a chat whose state a newer version of Cinder wrote (NewerStateError, stored.ts): a tab
 * still running the old version meets them while a newer one runs in another tab, or after going back
 * to an older build. This version cannot open them and must not lose them, nor hold up the rest of the
 * queue (relay acknowledgements are cumulative, in seq order). So, like the envelopes held while locked
 * (../locked-inbox.ts), they are kept as the relay sent them (ciphertext) and acknowledged; these rows
 * are then the only copy. A version that reads the chat's state (the updated app: in another tab, or
 * in this one after a reload) receives them at the start of every pull, before anything newer, and
 * drops those its run handled. The old version leaves them be.
 */
import { Envelope } from '$lib/api/wire';
import type { ParkedEnvelopeRow } from '$lib/store/db';
import type { Chats } from './chats';
import { NewerStateError, StoreFailure } from './errors';
import { wipeState } from './stored';

/** Keeps `envelopes` of chat `chatId` for a version that reads its state. Throws StoreFailure (then nothing is acknowledged). */
export async function park(chats: Chats, chatId: string, envelopes: Envelope[]): Promise<void> {
  const at = Date.now();
  const rows: ParkedEnvelopeRow[] = envelopes.map((e) => ({ id: e.id, seq: e.seq, chatId, envelope: e, at, token: crypto.randomUUID() }));
  try {
    await chats.ctx.db.parkedEnvelopes.bulkPut(rows);
  } catch (e) {
    throw new StoreFailure(e);
  }
  console.warn(`cinder secret: ${rows.length} envelope(s) kept for a newer version of Cinder (chat ${chatId})`);
}

/** Whether this version reads the chat's state now (a chat gone or unreadable for another reason: its run says so). */
async function readable(chats: Chats, chatId: string): Promise<boolean> {
  try {
    wipeState((await chats.load(chatId)).state);
    return true;
  } catch (e) {
    return !(e instanceof NewerStateError);
  }
}

/**
 * The parked envelopes of the chats this version reads now, in queue order, through `receiveUpTo` (a
 * receive run answering the seq up to which it handled them); those handled are dropped, unless one
 * was parked again meanwhile (its token changed: another tab's older version met it again).
 * `left`: envelopes of readable chats the run did not reach (it stopped short), to come first next time.
 */
export async function takeParked(chats: Chats, receiveUpTo: (envelopes: Envelope[]) => Promise<number>): Promise<{ handled: number; left: number }> {
  const { db } = chats.ctx;
  if (!(await db.parkedEnvelopes.count())) return { handled: 0, left: 0 };
  const rows = await db.parkedEnvelopes.orderBy('seq').toArray();
  const open = new Map<string, boolean>();
  for (const chatId of new Set(rows.map((r) => r.chatId))) open.set(chatId, await readable(chats, chatId));
  const envelopes: Envelope[] = [];
  const tokens = new Map<string, string>();
  const gone: string[] = [];
  for (const r of rows) {
    if (!open.get(r.chatId)) continue;
    const parsed = Envelope.safeParse(r.envelope);
    // Stored by this app from a checked relay response: a row that no longer parses is dropped, not retried forever.
    if (!parsed.success) gone.push(r.id);
    else {
      envelopes.push(parsed.data);
      tokens.set(r.id, r.token);
    }
  }
  if (!envelopes.length && !gone.length) return { handled: 0, left: 0 };
  const upTo = envelopes.length ? await receiveUpTo(envelopes) : 0;
  const handled = envelopes.filter((e) => e.seq <= upTo);
  await db.transaction('rw', db.parkedEnvelopes, async () => {
    const now = await db.parkedEnvelopes.bulkGet(handled.map((e) => e.id));
    const done = now.flatMap((r) => (r && r.token === tokens.get(r.id) ? [r.id] : []));
    await db.parkedEnvelopes.bulkDelete([...gone, ...done]);
  });
  return { handled: handled.length, left: envelopes.length - handled.length };
}
