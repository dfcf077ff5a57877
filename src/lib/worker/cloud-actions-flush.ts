/**
 * Sends the queued cloud actions (./cloud-actions.ts) in order, after the outbox's sends and by the
 * same flush (../core.ts `flush`). An outage (offline, 429, 5xx) stops the pass and the backoff retries
 * it; a refusal for good (any other 4xx: `edit_expired`, `not_found`, `gone`, `too_many_pinned`…) drops
 * that action alone, puts back what the relay holds (read again from it) and tells the user.
 * The relay's answer to an edit, a reaction or a delete comes back through the log, as on my other
 * devices; a settings change's answer is stored at once (as the online change did).
 */
import { z } from '$lib/api/zod';
import { ChatSettings, ChatSummary, CloudMessage, LIMITS } from '$lib/api/wire';
import { equalBytes } from '$lib/crypto/bytes';
import type { CinderDB } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { flushOutbox, sealMessage } from './cloud';
import { dropSent, readActions, type QueuedAction } from './cloud-actions';
import { reapplyPending } from './cloud-actions-local';
import { storeCloudSettings } from './chat-settings';
import { hiddenIds } from './hidden';
import { OUTBOX_LOCK, withLock } from './locks';
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
export const refusalText = (a: QueuedAction, e: NetError) => `${what(a.body)}: ${e.message.replace(/\.$/, '')}.`;

/** The relay's copy of messages `ids` (seqs from..to) stored here again; those it no longer has are deleted here. */
async function reread(db: CinderDB, vault: Vault, me: string, peerId: string, ids: string[], seqs: number[]): Promise<void> {
  if (!seqs.length) return;
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
  });
}

/** Puts back what the relay holds for a refused action (best effort: offline, it stays as shown). */
async function restore(db: CinderDB, vault: Vault, me: string, a: QueuedAction): Promise<string[]> {
  const b = a.body;
  if (b.kind === 'settings') {
    const { chats } = await request('GET', '/api/cloud/chats', undefined, z.object({ chats: z.array(ChatSummary) }));
    const chat = chats.find((c) => c.peer.id === a.peerId);
    await storeCloudSettings(db, a.peerId, { pinnedAt: chat?.pinnedAt ?? null, mutedUntil: chat?.mutedUntil ?? null });
    await reapplyPending(db, vault, me, new Set(), new Set([a.peerId]));
    return [];
  }
  if (b.kind === 'pin') {
    // Any refusal of a pin leaves the relay with no pin of that message (404/410: no such message
    // there, and a deleted one loses its pin; 409: the limit reached, so not pinned): the relay's pins
    // are what its log said without this one; the pins still waiting go again below.
    await db.transaction('rw', db.chats, async () => {
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

/**
 * Sends the queue oldest first, one context at a time. Stops at an outage, and before an action on a
 * message still in the outbox (it waits for its send). Throws NetError('unauthorized') when revoked.
 */
export function flushActions(db: CinderDB, vault: Vault, me: string, hooks: ActionHooks): Promise<void> {
  return withLock(OUTBOX_LOCK, async () => {
    if (!(await db.cloudActions.count())) return;
    for (const a of await readActions(db, vault)) {
      const b = a.body;
      if (b.kind === 'edit' || b.kind === 'react') {
        const row = await db.messages.get(b.req.id);
        if (row && row.seq === 0 && (await db.outbox.get(row.id))) return;
      }
      try {
        await send(db, a);
        await dropSent(db, a);
      } catch (e) {
        if (!(e instanceof NetError) || e.code === 'offline' || e.code === 'rate_limited' || e.status >= 500) return;
        if (e.code === 'unauthorized') throw e;
        await dropSent(db, a);
        hooks.refused(refusalText(a, e));
        const edited = await restore(db, vault, me, a).catch(() => []);
        hooks.changed(a.peerId, edited);
      }
    }
  });
}

/** A change to announce, as the core's `announce` takes it. */
type Announce = (a: Pick<Applied, 'changed'> & Partial<Applied>) => void;

/**
 * The cloud side of a flush: the outbox's sends first, then, once it is empty, the queued actions
 * (an edit of a message is never sent before the message). A refusal's notice goes out as an event.
 */
export async function flushCloud(db: CinderDB, vault: Vault, me: string, announce: Announce, emit: (e: WorkerEvent) => void): Promise<void> {
  await flushOutbox(
    db,
    vault,
    (peerId, peerChanged) => announce({ changed: new Set([peerId]), peers: peerChanged ? new Set([peerId]) : undefined }),
    (text) => emit({ type: 'notice', text })
  );
  // Sends still waiting (an outage stopped the pass): what follows them waits too.
  if (await db.outbox.count()) return;
  await flushActions(db, vault, me, {
    changed: (peerId, edited) => announce({ changed: new Set([peerId]), list: true, ...(edited.length ? { edited: new Map([[peerId, edited]]) } : {}) }),
    refused: (text) => emit({ type: 'notice', text })
  });
}
