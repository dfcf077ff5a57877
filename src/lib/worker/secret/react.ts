/**
 * Reactions (payload `react`, docs/protocol.md §9.2): one emoji per person per message, kept in the
 * message's sealed body beside the other side's. Each reactor's newest `at` wins, so a late older one
 * changes nothing; a removal ('') is kept with its time for the same reason. Only a message of this
 * chat that shows as one (not a service row or a placeholder) takes a reaction; timed ones too, and
 * the reaction burns with them.
 */
import type { Reaction } from '$lib/api/limits';
import type { SecretMessageRow } from '$lib/store/db';
import type { ReactionsView } from '../protocol';
import type { Chats } from './chats';
import { recordProblem } from './diagnostics';
import { rewritten } from './edit';
import { SecretError } from './errors';
import type { SecretBody } from './payload';
import { secretMsgPlace, type Effects } from './state';

export interface React {
  msg: string;
  /** One of REACTIONS, or '' to remove. */
  emoji: Reaction | '';
  at: number;
}

/** Why `row` cannot take a reaction, or null when it can. */
export function notReactable(row: SecretMessageRow | undefined, body: SecretBody | null, chatId: string): 'gone' | 'not_message' | null {
  if (!row || !body || row.chatId !== chatId) return 'gone';
  if (body.kind !== 'text') return 'not_message';
  return null;
}

/** The body after `who`'s reaction, or null when it changes nothing (not newer than the one it would replace). */
export function reacted(body: SecretBody, who: 'mine' | 'peer', r: React): SecretBody | null {
  if ((body.reactions?.[who]?.at ?? 0) >= r.at) return null;
  return { ...body, reactions: { ...body.reactions, [who]: { e: r.emoji, at: r.at } } };
}

const openBody = (chats: Chats, row: SecretMessageRow) => chats.ctx.vault.open<SecretBody>(secretMsgPlace(row.id), row.box);

/**
 * The peer's reaction, added to the batch being built (`m`: the row as it will be once committed). A
 * message gone is a no-op; a service row or placeholder is refused and noted in the diagnostics.
 */
export async function applyPeerReact(chats: Chats, c: Effects, m: SecretMessageRow | undefined, r: React): Promise<void> {
  const chatId = c.row!.id;
  if (!m || m.chatId !== chatId) return;
  const i = c.put.findLastIndex((p) => p.row.id === m.id);
  if (i >= 0) await c.put[i].sealing;
  const body = await openBody(chats, m);
  const why = notReactable(m, body, chatId);
  if (why === 'gone') return;
  if (why) return await recordProblem(chats.ctx, `react_refused_${why}`).catch(() => undefined);
  const next = reacted(body, 'peer', r);
  if (!next) return;
  const row = rewritten(chats, m, next);
  if (i >= 0) c.put[i] = row;
  else c.put.push(row);
}

/** My reaction's target, checked against the stored row (before sending and again under the chat's lock). */
export async function myReactTarget(chats: Chats, chatId: string, id: string): Promise<{ row: SecretMessageRow; body: SecretBody }> {
  const row = await chats.ctx.db.secretMessages.get(id);
  const body = row && row.chatId === chatId ? await openBody(chats, row) : null;
  const why = notReactable(row, body, chatId);
  if (why === 'gone') throw new SecretError('not_found', 'This message is no longer here.');
  if (why || row!.status === 'failed') throw new SecretError('not_reactable', 'This message cannot take a reaction.');
  return { row: row!, body: body! };
}

/** What the message shows: each side's current emoji (a removal shows none). */
export function reactionsView(body: SecretBody): ReactionsView | undefined {
  const mine = body.reactions?.mine?.e;
  const peer = body.reactions?.peer?.e;
  return mine || peer ? { ...(mine ? { mine } : {}), ...(peer ? { peer } : {}) } : undefined;
}
