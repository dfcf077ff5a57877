/**
 * Pinned messages of a secret chat (payload `pin`, docs/protocol.md §9.2). A pin is the chat's, not
 * one side's: either device may pin or unpin any message of the chat that shows as one, and both
 * apply one rule, so they agree whatever order the frames take: the newest `at` wins, an unpin beating
 * a pin of the same `at`. The rule's state is kept in the message's sealed body (`pin`), so it goes
 * with the message (deleted, self-destructed); the chat row lists the pinned ones for the bar
 * (../pins.ts). LIMITS.pinnedMessagesMax is checked by the device that pins; a peer's pin past it is
 * still applied (two pins at once must not leave the sides apart), up to PINS_STORED_MAX.
 */
import { LIMITS } from '$lib/api/limits';
import type { SecretMessageRow } from '$lib/store/db';
import { PINS_FULL, secretPinnable, storedPins, withPinned } from '../pins';
import type { Chats } from './chats';
import { recordProblem } from './diagnostics';
import { rewritten } from './edit';
import { SecretError } from './errors';
import type { SecretBody } from './payload';
import { secretMsgPlace, type Effects } from './state';

export interface Pin {
  msg: string;
  pinned: boolean;
  at: number;
}

/** Whether `p` wins over the message's pin state now (newest `at`; at the same `at`, an unpin). */
export function pinWins(body: SecretBody, p: Pin): boolean {
  const cur = body.pin;
  if (!cur) return p.pinned;
  return p.at > cur.at || (p.at === cur.at && cur.on && !p.pinned);
}

/** The body with `p` applied, or null when it changes nothing (older than the state it would replace). */
export function pinnedBody(body: SecretBody, p: Pin): SecretBody | null {
  return pinWins(body, p) ? { ...body, pin: { on: p.pinned, at: p.at } } : null;
}

/**
 * The peer's pin or unpin, added to the batch being built (`m`: the row as it will be once committed).
 * A message gone is a no-op; a service row or placeholder is refused and noted in the diagnostics.
 */
export async function applyPeerPin(chats: Chats, c: Effects, m: SecretMessageRow | undefined, p: Pin): Promise<void> {
  const chatId = c.row!.id;
  if (!m || m.chatId !== chatId) return;
  const i = c.put.findLastIndex((x) => x.row.id === m.id);
  if (i >= 0) await c.put[i].sealing;
  const body = await chats.ctx.vault.open<SecretBody>(secretMsgPlace(m.id), m.box);
  if (body.kind !== 'text') return await recordProblem(chats.ctx, 'pin_refused_not_message').catch(() => undefined);
  const next = pinnedBody(body, p);
  if (!next) return;
  const row = rewritten(chats, m, next);
  if (i >= 0) c.put[i] = row;
  else c.put.push(row);
  c.row = withPinned(c.row!, m.id, p.pinned ? p.at : null);
}

/**
 * My pin's target, checked against the stored rows (before sending and again under the chat's lock):
 * null when it changes nothing (pinned already, or not pinned to unpin). A message not here, or not
 * shown as one, or not sent, throws; so does a pin past the chat's limit.
 */
export async function myPinTarget(chats: Chats, chatId: string, id: string, pinned: boolean): Promise<{ row: SecretMessageRow; body: SecretBody } | null> {
  const { db, vault } = chats.ctx;
  const m = await secretPinnable(db, vault, chatId, id);
  if (!m) throw new SecretError('not_found', 'This message is no longer here.');
  if (m.row.status === 'failed' || m.row.status === 'pending') throw new SecretError('not_pinnable', 'A message can be pinned once it is sent.');
  if ((m.body.pin?.on ?? false) === pinned) return null;
  if (pinned) {
    // Pins whose messages are gone (deleted, expired) do not count.
    const pins = storedPins(await db.secretChats.get(chatId)).filter((p) => p.id !== id);
    const live = (await db.secretMessages.bulkGet(pins.map((p) => p.id))).filter((r) => r?.chatId === chatId).length;
    if (live >= LIMITS.pinnedMessagesMax) throw new SecretError('too_many_pinned', PINS_FULL);
  }
  return m;
}
