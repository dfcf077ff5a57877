/**
 * Sends the queued cloud actions (./cloud-actions.ts) in order, after the outbox's sends and by the
 * same flush (../core.ts `flush`). An outage (offline, 429, 5xx) stops the pass and the backoff retries
 * it; a refusal for good (any other 4xx: `edit_expired`, `not_found`, `gone`, `too_many_pinned`…) tells
 * the user, puts back what the relay holds (read again from it) and then drops that action alone. The
 * refused action stays queued, marked and never sent again, until that read-back is done: a network
 * drop right then stops the pass like any outage, and the retry reads it back (the device never keeps
 * showing what the relay refused).
 * The relay's answer to an edit, a reaction or a delete comes back through the log, as on my other
 * devices; a settings change's answer is stored at once (as the online change did).
 */
import { z } from '$lib/api/zod';
import { ChatSettings, ChatSummary, CloudMessage, LIMITS } from '$lib/api/wire';
import { equalBytes } from '$lib/crypto/bytes';
import type { CinderDB } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { sealMessage } from './cloud';
import { flushOutbox } from './outbox';
import { dropSent, markRefused, readActions, withoutPin, type QueuedAction } from './cloud-actions';
import { applyLocal, reapplyPending } from './cloud-actions-local';
import { storeCloudSettings } from './chat-settings';
import { hiddenIds } from './hidden';
import { OUTBOX_LOCK, SYNC_LOCK, withLock } from './locks';
import { withoutPins } from './pins';
import type { Applied } from './cloud-sync';
import { NetError, request } from './net';
import type { WorkerEvent } from './protocol';
import { recountUnread } from './unread';

export interface ActionHooks {
  /** A chat's rows changed (a refusal put back the relay's): `edited` names rewritten messages. */
  changed(peerId: string, edited: string[]): void;
  /** Something the user did was refused for good: said in words. */
  refused(text: string): void;
}

const chatPath = (peerId: string, what: string) => `/api/cloud/chats/${encodeURIComponent(peerId)}/${what}`;

/** Sends one action; a settings change's answer is stored if the action is still the queued one. */
async function send(db: CinderDB, a: QueuedAction): Promise<void> {
  const b = a.body;
  if (b.kind !== 'settings') return void (await request('POST', chatPath(a.peerId, b.kind), b.req, null));
  const { settings } = await request('PUT', chatPath(a.peerId, 'settings'), b.req, z.object({ settings: ChatSettings }));
  // A newer change of the chat queued meanwhile stays shown; it goes next.
  const still = await db.cloudActions.get(a.key);
  if (still && equalBytes(still.box, a.box)) await storeCloudSettings(db, a.peerId, settings);
}

/** What was lost, in the user's words. */
function what(b: QueuedAction['body']): string {
  switch (b.kind) {
    case 'edit':
      return 'Your edit was not saved';
    case 'react':
      return 'Your reaction was not saved';
    case 'pin':
      return b.req.pinned ? 'The message was not pinned' : 'The message was not unpinned';
    case 'delete':
      return 'The messages were not deleted for everyone';
    case 'settings':
      return 'The chat setting was not saved';
  }
}

/** The user's words for a refusal: what was lost, and the relay's reason. */
export const refusalText = (a: QueuedAction, e: NetError) =>
  `${e.code === 'too_many_pinned' && a.body.kind === 'settings' ? 'The chat was not pinned' : what(a.body)}: ${e.message.replace(/\.$/, '')}.`;

/**
 * The relay's copy of messages `ids` (seqs from..to) stored here again; those it no longer has are
 * deleted here. Read and written under the sync's lock: a newer copy the log brings (the peer's
 * reaction, my phone's edit) is written by the sync either before this read (and so is in it) or after
 * this write, never overwritten by an older copy read before it. (A copy carries no version that
 * orders reactions, so comparing could not tell; the log replays converge from the relay's state.)
 */
const reread = (db: CinderDB, vault: Vault, me: string, peerId: string, ids: string[], seqs: number[]) =>
  seqs.length ? withLock(SYNC_LOCK, () => rereadLocked(db, vault, me, peerId, ids, seqs)) : Promise.resolve();

async function rereadLocked(db: CinderDB, vault: Vault, me: string, peerId: string, ids: string[], seqs: number[]): Promise<void> {
  const top = Math.max(...seqs);
  const n = Math.min(LIMITS.pageMax, top - Math.min(...seqs) + 1);
  const { messages } = await request('GET', `${chatPath(peerId, 'messages')}?before=${top + 1}&limit=${n}`, undefined, z.object({ messages: z.array(CloudMessage) }));
  const hidden = await hiddenIds(db, peerId);
  const want = new Set(ids);
  const rows = await Promise.all(messages.filter((m) => want.has(m.id) && !hidden.has(m.id)).map((m) => sealMessage(vault, m)));
  const back = new Set(rows.map((r) => r.id));
  await db.transaction('rw', [db.messages, db.chats, db.cloudMedia], async () => {
    await db.messages.bulkPut(rows);
    const gone = ids.filter((id) => !back.has(id));
    await db.messages.bulkDelete(gone);
    await db.cloudMedia.bulkDelete(gone);
    await recountUnread(db, [peerId], me);
    // A message the relay no longer has keeps no pin there (a trigger): none here either.
    const chat = await db.chats.get(peerId);
    const next = chat && withoutPins(chat, gone);
    if (next !== chat) await db.chats.put(next!);
  });
}

/** A chat's pin, mute, archive and unread mark as its row has them (unset: null), to tell whether they changed. */
const settingsOf = (row: { pinnedAt?: number; mutedUntil?: number; archived?: true; markedUnread?: true } | undefined) =>
  `${row?.pinnedAt ?? null} ${row?.mutedUntil ?? null} ${row?.archived === true} ${row?.markedUnread === true}`;

/** A newer action for the same thing, queued over the refused one (which stays, marked refused, until put back). */
const newerQueued = async (db: CinderDB, key: string) => {
  const row = await db.cloudActions.get(key);
  return !!row && row.refused !== true;
};

/**
 * Puts back what the relay holds for a refused action (throws when the relay cannot be read). The
 * newest intent wins: a newer action for the same thing, queued meanwhile, stays shown and goes next;
 * it is checked in the transaction that would write, so no later step is needed to put it back.
 */
async function restore(db: CinderDB, vault: Vault, me: string, a: QueuedAction): Promise<string[]> {
  const b = a.body;
  if (b.kind === 'settings') {
    const before = settingsOf(await db.chats.get(a.peerId));
    const { chats } = await request('GET', '/api/cloud/chats', undefined, z.object({ chats: z.array(ChatSummary) }));
    const chat = chats.find((c) => c.peer.id === a.peerId);
    await db.transaction('rw', [db.chats, db.meta, db.cloudActions], async () => {
      // Changed while the relay was asked (a newer change of mine applied, or my other device's
      // from the log, newer than that answer): the newer one stays.
      if ((await newerQueued(db, a.key)) || settingsOf(await db.chats.get(a.peerId)) !== before) return;
      await storeCloudSettings(db, a.peerId, {
        pinnedAt: chat?.pinnedAt ?? null,
        mutedUntil: chat?.mutedUntil ?? null,
        archived: chat?.archived === true,
        markedUnread: chat?.markedUnread === true
      });
    });
    return [];
  }
  if (b.kind === 'pin') {
    // Any refusal of a pin leaves the relay with no pin of that message (404/410: no such message
    // there, and a deleted one loses its pin; 409: the limit reached, so not pinned): the relay's pins
    // are what its log said without this one; the pins still waiting go again below.
    await db.transaction('rw', db.chats, db.cloudActions, async () => {
      if (await newerQueued(db, a.key)) return;
      const row = await db.chats.get(a.peerId);
      if (row) await db.chats.put(withoutPins(row, [b.req.id]));
    });
  }
  // The messages acted on read back from the relay (gone there: gone here).
  const ids = b.kind === 'delete' ? b.req.ids : [b.req.id];
  const seqs = b.kind === 'delete' ? b.seqs : [(await db.messages.get(b.req.id))?.seq ?? 0].filter((s) => s > 0);
  await reread(db, vault, me, a.peerId, ids, seqs);
  await reapplyPending(db, vault, me, new Set(ids), new Set(b.kind === 'pin' ? [a.peerId] : []));
  return ids;
}

/** A failure to wait out (offline, 429, 5xx, or not the relay's answer at all): the pass stops and the backoff retries. */
const passing = (e: unknown): boolean => !(e instanceof NetError) || e.code === 'offline' || e.code === 'rate_limited' || e.status >= 500;

/**
 * The relay's state read back over a refused action, which is then done with. False when an outage
 * stopped it: the action stays (marked refused) and the next pass tries again. A read-back the relay
 * refuses for good (nothing left there to read) ends it too, with a warning.
 */
async function putBack(db: CinderDB, vault: Vault, me: string, a: QueuedAction, hooks: ActionHooks): Promise<boolean> {
  let edited: string[] = [];
  try {
    edited = await restore(db, vault, me, a);
  } catch (e) {
    if (e instanceof NetError && e.code === 'unauthorized') throw e;
    if (passing(e)) return false;
    console.warn(`cinder: a refused cloud action could not be read back (${(e as NetError).message})`);
  }
  await dropSent(db, a);
  hooks.changed(a.peerId, edited);
  return true;
}

/**
 * Sends one action: 'sent' (done with), 'stop' (an outage: the pass stops), or the action refused for
 * good, the user told. A chat's pin refused over the limit does not take the mute merged with it: that
 * goes alone at once (./cloud-actions.ts `withoutPin`), and is done with or refused in its turn.
 */
async function sendOrRefuse(db: CinderDB, vault: Vault, me: string, a: QueuedAction, hooks: ActionHooks): Promise<'sent' | 'stop' | QueuedAction> {
  try {
    await send(db, a);
    await dropSent(db, a);
    return 'sent';
  } catch (e) {
    if (passing(e)) return 'stop';
    if ((e as NetError).code === 'unauthorized') throw e;
    hooks.refused(refusalText(a, e as NetError));
    const rest = (e as NetError).code === 'too_many_pinned' ? await withoutPin(db, vault, a) : null;
    if (!rest) return a;
    // The relay refuses only a chat not pinned there: unpinned here at once (an outage next keeps the
    // rest queued); the answer to the rest, the relay's settings, is stored by `send`.
    await applyLocal(db, vault, me, a.peerId, { kind: 'settings', req: { pinned: false } });
    hooks.changed(a.peerId, []);
    const next = await sendOrRefuse(db, vault, me, rest, hooks);
    return next;
  }
}

/**
 * Sends the queue oldest first, one context at a time. Stops at an outage, and before an action on a
 * message still in the outbox (it waits for its send). Throws NetError('unauthorized') when revoked.
 */
export function flushActions(db: CinderDB, vault: Vault, me: string, hooks: ActionHooks): Promise<void> {
  return withLock(OUTBOX_LOCK, async () => {
    if (!(await db.cloudActions.count())) return;
    for (let a of await readActions(db, vault)) {
      const b = a.body;
      if (!a.refused) {
        if (b.kind === 'edit' || b.kind === 'react') {
          const row = await db.messages.get(b.req.id);
          if (row && row.seq === 0 && (await db.outbox.get(row.id))) return;
        }
        const sent = await sendOrRefuse(db, vault, me, a, hooks);
        if (sent === 'stop') return;
        if (sent === 'sent') continue;
        a = sent;
        if (!(await markRefused(db, a))) {
          // A newer action of the same thing replaced it meanwhile: that one goes next and says
          // what holds; the read-back here is best effort.
          hooks.changed(a.peerId, await restore(db, vault, me, a).catch(() => []));
          continue;
        }
      }
      // Refused, now or in an earlier pass cut short: the relay's state back, then it is done.
      if (!(await putBack(db, vault, me, a, hooks))) return;
    }
  });
}

/** A change to announce, as the core's `announce` takes it. */
type Announce = (a: Pick<Applied, 'changed'> & Partial<Applied>) => void;

/**
 * The cloud side of a flush: the outbox's sends and forwards first, then, once it is empty, the queued
 * actions (an edit of a message is never sent before the message). A refusal's notice goes out as an event.
 */
export async function flushCloud(db: CinderDB, vault: Vault, me: string, announce: Announce, emit: (e: WorkerEvent) => void): Promise<void> {
  const refused = (text: string) => emit({ type: 'notice', text });
  await flushOutbox(db, vault, (peerId, peerChanged) => announce({ changed: new Set([peerId]), peers: peerChanged ? new Set([peerId]) : undefined }), refused);
  // Sends still waiting (an outage stopped the pass): what follows them waits too.
  if (await db.outbox.count()) return;
  await flushActions(db, vault, me, {
    changed: (peerId, edited) => announce({ changed: new Set([peerId]), list: true, ...(edited.length ? { edited: new Map([[peerId, edited]]) } : {}) }),
    refused
  });
}
