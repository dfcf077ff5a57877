/**
 * Forwards waiting in the outbox. A forward made while the relay cannot be reached, or while the outbox
 * still holds messages (which go first), is queued as my pending copies in the target chat: one message
 * row and one outbox row each, shown at once with a clock, sent by the outbox's flush (./outbox.ts) in
 * their place among that chat's messages. The relay still makes the copies from its stored originals
 * (server/cloud-forward.ts): a row names only the original (my chat with `fromPeerId`, its id) and the
 * copy's new id, and the relay's answer, with its own `forwardedFrom`, replaces the pending row under
 * that id. What a pending copy shows meanwhile (text, file, "Forwarded from") is what this device knows
 * of the original, and is never sent. A refusal for good removes the copies and says why.
 */
import { z } from '$lib/api/zod';
import { ClientId, ForwardCloudRes, Id, type ForwardCloudReq, type ForwardedFrom, type PublicUser } from '$lib/api/wire';
import type { CinderDB, CloudMediaCacheRow, MessageRow, OutboxRow } from '$lib/store/db';
import { places } from '$lib/store/places';
import type { Vault } from '$lib/store/vault';
import { msgPlace, refreshPeer, sealMessage, type Body } from './cloud';
import { isTemporary, NetError, request } from './net';

/** What a queued copy's body names (checked when read back: storage is a trust boundary). */
const QueuedForward = z.object({ fromPeerId: Id, id: ClientId, batch: ClientId });

/** What a pass of the outbox did with a message or a forward: `wait` stops the pass; `peer`: the chat's peer changed too. */
export type Sent = 'sent' | 'refused' | 'peer' | 'wait';

/**
 * New ids for `n` copies, ascending: the copies of one forward share one time, and the outbox's index
 * (and a chat's pending rows) order equal times by id, so they stay in the chat's order.
 */
export const copyIds = (n: number): string[] => Array.from({ length: n }, () => crypto.randomUUID()).sort();

/** Whether two outbox bodies are copies of the same forward. */
export const sameForward = (a: Body, b: Body): boolean => !!a.forward && a.forward.batch === b.forward?.batch && a.forward.fromPeerId === b.forward.fromPeerId;

/** My pending copies of a forward and the file bytes that come with them. */
export interface PendingCopies {
  rows: MessageRow[];
  media: CloudMediaCacheRow[];
}

/**
 * My pending copies of `originals` (stored messages of one chat, in its order) for my chat with
 * `toPeerId`, under `newIds`, made at `at`: each the original's text and file (its bytes too when this
 * device has them), "Forwarded from" its first author (`authors`: the profiles this device knows), and
 * the original it names. A self-destructing file is refused here, as the relay would.
 */
export async function pendingCopies(
  db: CinderDB,
  vault: Vault,
  me: string,
  toPeerId: string,
  originals: MessageRow[],
  newIds: string[],
  at: number,
  authors: ReadonlyMap<string, PublicUser>
): Promise<PendingCopies> {
  const out: PendingCopies = { rows: [], media: [] };
  for (const [i, original] of originals.entries()) {
    const id = newIds[i];
    const body = await vault.open<Body>(msgPlace(original.id), original.box);
    if (body.media && body.media.ttl > 0) throw new NetError('not_forwardable', 'A message with a self-destructing file cannot be forwarded.');
    const author = authors.get(original.senderId);
    // A copy of a copy keeps the first origin, as the relay does.
    const origin: ForwardedFrom = body.forwardedFrom ?? { userId: original.senderId, createdAt: original.createdAt, ...(author ? { user: author } : {}) };
    const copy: Body = {
      text: body.text,
      replyTo: null,
      media: body.media ?? null,
      forwardedFrom: origin,
      forward: { fromPeerId: original.peerId, id: original.id, batch: newIds[0] }
    };
    out.rows.push({ id, peerId: toPeerId, seq: 0, senderId: me, createdAt: at, status: 'pending', box: await vault.seal<Body>(msgPlace(id), copy) });
    const cached = body.media ? await db.cloudMedia.get(original.id) : undefined;
    if (cached) {
      const bytes = await vault.openBytes(places.cloudMedia(original.id), cached.box);
      out.media.push({ messageId: id, peerId: toPeerId, box: await vault.sealBytes(places.cloudMedia(id), bytes) });
    }
  }
  return out;
}

/** Stores pending copies and their outbox rows in one commit, if the target chat is stored here (false: it is not). */
export function storePending(db: CinderDB, toPeerId: string, copies: PendingCopies): Promise<boolean> {
  return db.transaction('rw', [db.messages, db.outbox, db.cloudMedia, db.chats], async () => {
    const chat = await db.chats.get(toPeerId);
    if (!chat) return false;
    await db.messages.bulkAdd(copies.rows);
    await db.outbox.bulkAdd(copies.rows.map((r): OutboxRow => ({ id: r.id, peerId: r.peerId, createdAt: r.createdAt, attempts: 0, box: r.box })));
    await db.cloudMedia.bulkPut(copies.media);
    await db.chats.update(toPeerId, { lastAt: Math.max(chat.lastAt, ...copies.rows.map((r) => r.createdAt)) });
    return true;
  });
}

/** Pending copies taken off the device (a copy the relay's log brought meanwhile stays: it is the relay's). */
async function dropCopies(db: CinderDB, ids: string[]): Promise<void> {
  await db.transaction('rw', [db.messages, db.outbox, db.cloudMedia], async () => {
    const rows = await db.messages.bulkGet(ids);
    const pending = ids.filter((_, i) => rows[i]?.seq === 0);
    await db.messages.bulkDelete(pending);
    await db.cloudMedia.bulkDelete(pending);
    await db.outbox.bulkDelete(ids);
  });
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** The user's words for a forward refused for good: what was lost, where to, and why. */
export function forwardRefusal(e: unknown, count: number, to: string): string {
  const what = count > 1 ? `${count} messages were not forwarded to ${to}` : `The message was not forwarded to ${to}`;
  const message = e instanceof Error ? e.message : String(e);
  // The relay names an original by its id: said in words instead.
  const why =
    e instanceof NetError && e.code === 'not_forwardable'
      ? 'a self-destructing file cannot be forwarded'
      : UUID.test(message)
        ? e instanceof NetError && e.status === 410
          ? 'the original was deleted meanwhile'
          : 'the original is no longer in that chat'
        : message.replace(/\.$/, '');
  return `${what}: ${why}.`;
}

/**
 * Sends one forward's copies waiting in the outbox (`batch`: consecutive rows of one forward to one
 * chat) in one request. Answered, the relay's copies replace the pending rows; refused for good, the
 * pending copies leave and `refused` says why. A row that does not name a forward as this version
 * writes it is dropped with a warning. Throws NetError('unauthorized') when revoked.
 */
export async function sendForward(db: CinderDB, vault: Vault, batch: { row: OutboxRow; body: Body }[], refused: (text: string) => void): Promise<Sent> {
  const peerId = batch[0].row.peerId;
  const newIds = batch.map((q) => q.row.id);
  const asked = batch.map((q) => QueuedForward.safeParse(q.body.forward));
  if (asked.some((f) => !f.success)) {
    console.warn('cinder: a queued forward was dropped (malformed)');
    await dropCopies(db, newIds);
    return 'refused';
  }
  const ids = asked.map((f) => f.data!.id);
  const req: ForwardCloudReq = { toUserId: peerId, fromPeerId: asked[0].data!.fromPeerId, ids, newIds, writtenAt: batch[0].row.createdAt };
  try {
    const { messages } = await request('POST', '/api/cloud/forward', req, ForwardCloudRes);
    const sealed = await Promise.all(messages.filter((m) => m.peerId === peerId && newIds.includes(m.id)).map((m) => sealMessage(vault, m)));
    await db.transaction('rw', db.messages, db.outbox, async () => {
      await db.messages.bulkPut(sealed);
      await db.outbox.bulkDelete(newIds);
    });
    return 'sent';
  } catch (e) {
    if (isTemporary(e)) return 'wait';
    if (e instanceof NetError && e.code === 'unauthorized') throw e;
    await dropCopies(db, newIds);
    refused(forwardRefusal(e, newIds.length, (await db.chats.get(peerId))?.peer.displayName ?? 'this chat'));
    // 410 for the recipient: their account was deleted; the chat shows it.
    if (e instanceof NetError && e.code === 'gone' && (await refreshPeer(db, peerId).catch(() => false))) return 'peer';
    return 'refused';
  }
}
