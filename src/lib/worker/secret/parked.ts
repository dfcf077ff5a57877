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
import type { CinderDB, ParkedEnvelopeRow } from '$lib/store/db';
import type { Chats } from './chats';
import { recordRejection } from './diagnostics';
import { NewerStateError, SecretError, StoreFailure } from './errors';
import { wipeState } from './stored';

/**
 * Kept at most this long: as long as the relay keeps an undelivered envelope (7 days by default) and a
 * day more. A chat stuck on an older build (a rollback) must not keep rows for ever.
 */
export const PARKED_KEEP_MS = 8 * 86400_000;
/**
 * At most this many rows in all: a peer flooding a chat this version cannot open must not fill the
 * disk (the rows are not shown, so nobody would see it happen). Beyond, new envelopes are rejected
 * (`parked_full`) and acknowledged, as the relay refuses a full queue.
 */
export const PARKED_MAX = 2000;

const dropExpired = (db: CinderDB, now: number) =>
  db.parkedEnvelopes
    .filter((r) => !(r.at >= now - PARKED_KEEP_MS)) // a row without a valid time goes too
    .delete();

/**
 * Keeps `envelopes` of chat `chatId` for a version that reads its state, as far as PARKED_MAX allows
 * (an envelope parked again keeps its place). Throws StoreFailure (then nothing is acknowledged).
 */
export async function park(chats: Chats, chatId: string, envelopes: Envelope[]): Promise<void> {
  const { db } = chats.ctx;
  const at = Date.now();
  let refused = 0;
  let kept = 0;
  try {
    await db.transaction('rw', db.parkedEnvelopes, async () => {
      await dropExpired(db, at);
      const known = await db.parkedEnvelopes.bulkGet(envelopes.map((e) => e.id));
      let room = PARKED_MAX - (await db.parkedEnvelopes.count());
      const rows: ParkedEnvelopeRow[] = [];
      for (const [i, e] of envelopes.entries()) {
        if (!known[i] && room <= 0) {
          refused++;
          continue;
        }
        if (!known[i]) room--;
        rows.push({ id: e.id, seq: e.seq, chatId, envelope: e, at, token: crypto.randomUUID() });
      }
      await db.parkedEnvelopes.bulkPut(rows);
      kept = rows.length;
    });
  } catch (e) {
    throw new StoreFailure(e);
  }
  if (kept) console.warn(`cinder secret: ${kept} envelope(s) kept for a newer version of Cinder (chat ${chatId})`);
  for (let i = 0; i < refused; i++) await recordRejection(chats.ctx, new SecretError('parked_full', 'too many envelopes kept for a newer version of Cinder'));
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
  await dropExpired(db, Date.now());
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
