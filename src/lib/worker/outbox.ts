/**
 * The cloud outbox's flush: what was written, or forwarded, while the relay could not be reached (or
 * behind what could not), sent oldest first under the outbox's Web Lock, one context at a time, by the
 * client-chosen ids (a resend after a lost answer makes no second message). A message the relay refuses
 * for good stays shown as failed; a forward refused for good leaves the chat and the user is told
 * (./outbox-forward.ts). Stops at the first outage; the read markers go once everything went.
 */
import { z } from '$lib/api/zod';
import { CloudMessage, FORWARD_MAX } from '$lib/api/wire';
import type { CinderDB, OutboxRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { msgPlace, refreshPeer, sealMessage, type Body } from './cloud';
import { isRefusal, REFUSED_TEXT } from './blocks';
import { OUTBOX_LOCK, withLock } from './locks';
import { isTemporary, NetError, request } from './net';
import { sameForward, sendForward, type Sent } from './outbox-forward';

/**
 * One message written here sent; refused for good, it stays shown as failed, and a refusal because of
 * a block (403 `blocked` / `you_blocked`) keeps its reason on the row and is said once (`refused`).
 */
async function sendMessage(db: CinderDB, vault: Vault, row: OutboxRow, body: Body, refused: (text: string) => void): Promise<Sent> {
  try {
    const { message } = await request(
      'POST',
      '/api/cloud/messages',
      // writtenAt: a message written offline keeps the time it was written, for everyone.
      {
        id: row.id,
        toUserId: row.peerId,
        text: body.text,
        replyTo: body.replyTo,
        writtenAt: row.createdAt,
        ...(body.replyTo && body.quote ? { quote: body.quote } : {})
      },
      z.object({ message: CloudMessage })
    );
    const stored = await sealMessage(vault, message);
    await db.transaction('rw', db.messages, db.outbox, async () => {
      await db.messages.put(stored);
      await db.outbox.delete(row.id);
    });
    return 'sent';
  } catch (e) {
    if (isTemporary(e)) return 'wait';
    if (e instanceof NetError && e.code === 'unauthorized') throw e;
    // The server refused this message for good: keep it visible as failed, stop retrying.
    const blocked = e instanceof NetError && isRefusal(e.code) ? e.code : undefined;
    await db.transaction('rw', db.messages, db.outbox, async () => {
      await db.messages.update(row.id, { status: 'failed', ...(blocked ? { refused: blocked } : {}) });
      await db.outbox.delete(row.id);
    });
    if (blocked) refused(REFUSED_TEXT[blocked]);
    // 410: the peer deleted their account; the chat shows it (and stops offering to write).
    if (e instanceof NetError && e.code === 'gone' && (await refreshPeer(db, row.peerId).catch(() => false))) return 'peer';
    return 'refused';
  }
}

/**
 * Sends the outbox oldest first; stops at the first outage. `onChanged`: a chat's rows changed
 * (`peerChanged`: its peer's profile too); `refused`: a forward, or a message refused because of a
 * block, in the user's words.
 * Throws NetError('unauthorized') when revoked.
 */
export function flushOutbox(
  db: CinderDB,
  vault: Vault,
  onChanged: (peerId: string, peerChanged?: boolean) => void,
  refused: (text: string) => void = () => {}
): Promise<void> {
  return withLock(OUTBOX_LOCK, async () => {
    const rows = await db.outbox.orderBy('createdAt').toArray();
    const bodies = new Map<string, Body>();
    const open = async (row: OutboxRow) => bodies.get(row.id) ?? bodies.set(row.id, await vault.open<Body>(msgPlace(row.id), row.box)).get(row.id)!;
    for (let i = 0; i < rows.length;) {
      const row = rows[i];
      const body = await open(row);
      const batch = [{ row, body }];
      // One forward's copies go together, in their order, as the relay copies them: all or none.
      while (body.forward && i + batch.length < rows.length && batch.length < FORWARD_MAX) {
        const next = { row: rows[i + batch.length], body: await open(rows[i + batch.length]) };
        if (next.row.peerId !== row.peerId || !sameForward(body, next.body)) break;
        batch.push(next);
      }
      i += batch.length;
      const sent = body.forward ? await sendForward(db, vault, batch, refused) : await sendMessage(db, vault, row, body, refused);
      if (sent === 'wait') return;
      onChanged(row.peerId, sent === 'peer');
    }
    for (const chat of await db.chats.toArray()) {
      if (chat.myReadSeq <= chat.readSentSeq) continue;
      await request('POST', `/api/cloud/chats/${encodeURIComponent(chat.peerId)}/read`, { seq: chat.myReadSeq }, null);
      await db.chats.update(chat.peerId, { readSentSeq: chat.myReadSeq });
    }
  });
}
