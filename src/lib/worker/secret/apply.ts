/**
 * What one decrypted payload from the peer does here: a message stored, a receipt that starts a
 * timer, a delete, an edit, a reaction, a pin, a clear, a cancel, a timer change, a screenshot notice, the peer's verification.
 * It only adds to the commit being built; nothing is written before that commit.
 */
import type { SecretMessageRow } from '$lib/store/db';
import { unarchivedByMessage } from '../chat-settings';
import type { Chats } from './chats';
import { applyPeerEdit } from './edit';
import type { SecretBody, SecretPayload } from './payload';
import { applyPeerPin } from './pin';
import { applyPeerReact } from './react';
import type { Effects, Received } from './state';

/**
 * A message row as it will be once `c` is committed: a batch (batch.ts) builds one commit from many
 * frames, so a row written, removed or cleared earlier in it is not what the database holds yet.
 */
async function pending(chats: Chats, c: Effects, id: string): Promise<SecretMessageRow | undefined> {
  const put = c.put.findLast((p) => p.row.id === id);
  if (put) return put.row;
  if (c.clearChat || c.remove.includes(id)) return undefined;
  return chats.ctx.db.secretMessages.get(id);
}

/**
 * The peer's message `id` (a text, or a placeholder for one this version cannot show: unsupported.ts),
 * new and unread; the chat leaves the archive unless muted.
 */
export function putIncoming(chats: Chats, c: Effects, id: string, received: Received, body: SecretBody): void {
  const row = c.row!;
  // A copy within this batch is dropped here; one already stored, for the whole batch at once (batch.ts).
  if (c.put.some((x) => x.row.id === id)) return;
  // Display order is (at, id): messages released together (a gap filled) or in the same
  // millisecond must still get increasing times, or random ids would reorder them.
  const at = Math.max(Date.now(), row.lastAt + 1);
  c.put.push(chats.messageRow(row.id, id, at, false, body));
  // A new message brings an archived chat back to the list, unless it is muted (as the relay does for cloud chats).
  c.row = unarchivedByMessage({ ...row, lastAt: at }, Date.now());
  c.texts.push(id);
  received.chats.set(row.id, (received.chats.get(row.id) ?? 0) + 1);
}

export async function applyPayload(chats: Chats, c: Effects, p: SecretPayload, received: Received): Promise<void> {
  const row = c.row!;
  const chatId = row.id;
  const now = Date.now();
  switch (p.k) {
    case 'text':
      return putIncoming(chats, c, p.id, received, {
        kind: 'text',
        text: p.text,
        replyTo: p.replyTo,
        ...(p.replyTo && p.quote ? { quote: p.quote } : {}),
        ttl: p.ttl,
        file: p.file ?? null
      });
    case 'read':
      for (const id of p.ids) {
        const m = await pending(chats, c, id);
        if (!m || m.chatId !== chatId || !m.mine) continue;
        // The sender's timer starts at the peer's read time: back-dated, so an offline sender
        // whose deadline already passed deletes at once. The peer's clock is not trusted past
        // now, nor before the message was sent (a hostile time gave a deadline ≤ 0).
        const at = Math.max(m.at, Math.min(p.at, now));
        c.updates.push({ id, changes: { status: 'read', deadline: m.ttl > 0 ? (m.deadline ?? at + m.ttl * 1000) : undefined } });
      }
      return;
    case 'typing':
      chats.ctx.emit({ type: 'typing', peerId: row.peerId, chatId });
      return;
    case 'delete':
      for (const id of p.ids) {
        const m = await pending(chats, c, id);
        if (!m || m.chatId !== chatId) continue;
        // Written earlier in this batch: not written after all (the remove runs before the puts).
        const i = c.put.findIndex((p) => p.row.id === id);
        if (i >= 0) c.put.splice(i, 1);
        c.remove.push(id);
      }
      return;
    case 'edit':
      return applyPeerEdit(chats, c, await pending(chats, c, p.msg), p);
    case 'react':
      return applyPeerReact(chats, c, await pending(chats, c, p.msg), p);
    case 'pin':
      return applyPeerPin(chats, c, await pending(chats, c, p.msg), p);
    case 'clear':
      c.clearChat = true;
      c.put.length = 0;
      c.put.push(chats.messageRow(chatId, crypto.randomUUID(), now, false, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'cleared', by: 'peer' }));
      return;
    case 'cancel':
      c.clearChat = true;
      c.put.length = 0;
      c.row = { ...row, status: 'cancelled', cancelledBy: 'peer', lastAt: now };
      c.put.push(chats.messageRow(chatId, crypto.randomUUID(), now, false, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'cancelled', by: 'peer' }));
      return;
    case 'ttl': {
      c.state!.ttl = p.seconds;
      // After the rows before it, also those of the same batch and millisecond (see 'text').
      const at = Math.max(now, row.lastAt + 1);
      c.put.push(chats.messageRow(chatId, p.id, at, false, { kind: 'service', text: '', replyTo: null, ttl: p.seconds, service: 'ttl', by: 'peer' }));
      c.row = { ...row, lastAt: at };
      return;
    }
    case 'screenshot': {
      const at = Math.max(now, row.lastAt + 1);
      c.put.push(chats.messageRow(chatId, p.id, at, false, { kind: 'service', text: '', replyTo: null, ttl: 0, service: 'screenshot', by: 'peer' }));
      c.row = { ...row, lastAt: at };
      return;
    }
    case 'verified':
      c.state!.verifiedByPeer = p.on;
      return;
  }
}
