/**
 * Editing a sent message (payload `edit`, docs/protocol.md §9.2). The same rule on both sides: only a
 * message (a text, or a file's caption) without a timer, of this chat, written by the one who edits it;
 * the newest edit (by its `at`) wins, so an older one arriving late changes nothing. A file's caption
 * may become empty, a text may not. The sender also keeps to LIMITS.editWindowMs; a receiver does not
 * judge the peer's clock.
 */
import { LIMITS } from '$lib/api/limits';
import type { SecretMessageRow } from '$lib/store/db';
import type { Chats } from './chats';
import { recordProblem } from './diagnostics';
import { SecretError } from './errors';
import type { SecretBody } from './payload';
import { secretMsgPlace, type Effects } from './state';

export interface Edit {
  msg: string;
  text: string;
  at: number;
}

/** Why `row` cannot take an edit by its author (`mine`: this device's user), or null when it can. */
export function notEditable(row: SecretMessageRow | undefined, body: SecretBody | null, chatId: string, mine: boolean): string | null {
  if (!row || !body || row.chatId !== chatId) return 'gone';
  if (row.mine !== mine) return 'not_author';
  if (body.kind !== 'text') return 'not_text';
  if (row.ttl > 0 || body.ttl > 0) return 'timed';
  return null;
}

/** The body after `edit`, or null when it changes nothing (an older or equal edit). */
export function edited(body: SecretBody, edit: Edit): SecretBody | null {
  if ((body.edited ?? 0) >= edit.at) return null;
  return { ...body, text: edit.text, edited: edit.at };
}

/** A blank text (unless it is a file's caption) or one over the limit is no edit (sending refuses it; receiving ignores it). */
export const validText = (text: string, body: SecretBody | null): boolean => (!!text.trim() || !!body?.file) && text.length <= LIMITS.textMax;

/** The stored row with a new body, sealed in the background like Chats.messageRow. */
export function rewritten(chats: Chats, row: SecretMessageRow, body: SecretBody): { row: SecretMessageRow; sealing: Promise<void> } {
  const next: SecretMessageRow = { ...row, box: new Uint8Array(0) };
  const sealing = chats.ctx.vault.seal(secretMsgPlace(row.id), body).then((box) => void (next.box = box));
  sealing.catch(() => undefined);
  return { row: next, sealing };
}

const openBody = (chats: Chats, row: SecretMessageRow) => chats.ctx.vault.open<SecretBody>(secretMsgPlace(row.id), row.box);

/**
 * The peer's edit, added to the batch being built. `m`: the row as it will be once the batch is
 * committed. Anything but the peer's own editable message is ignored (a refused one noted in the
 * diagnostics); a message gone (deleted, expired) makes it a no-op.
 */
export async function applyPeerEdit(chats: Chats, c: Effects, m: SecretMessageRow | undefined, edit: Edit): Promise<void> {
  const chatId = c.row!.id;
  if (!m || m.chatId !== chatId) return;
  // Written earlier in this batch: its box is filled in once sealed.
  const i = c.put.findLastIndex((p) => p.row.id === m.id);
  if (i >= 0) await c.put[i].sealing;
  const body = await openBody(chats, m);
  const why = notEditable(m, body, chatId, false) ?? (validText(edit.text, body) ? null : 'bad_text');
  if (why) return await recordProblem(chats.ctx, `edit_refused_${why}`).catch(() => undefined);
  const next = edited(body, edit);
  if (!next) return;
  const row = rewritten(chats, m, next);
  // Replaces its put in this batch (one put per row), else joins the commit.
  if (i >= 0) c.put[i] = row;
  else c.put.push(row);
}

/**
 * What my edit of `id` is, checked against the stored row (before sending and again under the chat's
 * lock): a SecretError when it cannot be edited, null when the text is unchanged (nothing to send).
 */
export async function myEdit(chats: Chats, chatId: string, id: string, text: string, now: number): Promise<{ row: SecretMessageRow; body: SecretBody } | null> {
  const row = await chats.ctx.db.secretMessages.get(id);
  const body = row && row.chatId === chatId ? await openBody(chats, row) : null;
  const why = notEditable(row, body, chatId, true);
  if (why === 'gone') throw new SecretError('not_found', 'This message is no longer here.');
  if (why === 'timed') throw new SecretError('not_editable', 'A self-destructing message cannot be edited.');
  if (why) throw new SecretError('not_editable', 'Only your own messages can be edited.');
  if (now - row!.at > LIMITS.editWindowMs) throw new SecretError('edit_too_late', 'A message can be edited for 48 hours after it was sent.');
  if (!text.trim() && !body!.file) throw new SecretError('bad_text', 'A message cannot be empty.');
  if (text.length > LIMITS.textMax) throw new SecretError('bad_text', `A message is at most ${LIMITS.textMax} characters.`);
  return body!.text === text ? null : { row: row!, body: body! };
}
