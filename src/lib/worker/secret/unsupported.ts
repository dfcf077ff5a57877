/**
 * Messages from a newer Cinder (docs/protocol.md §9.3). A decrypted payload that payload.ts does not
 * accept is not dropped when it is message-shaped: a JSON object with a message `id` whose kind this
 * version does not know, or a 'text' in a shape it does not know (a longer text, a new timer, a new
 * attachment form). It becomes a placeholder from the peer — "needs a newer version" — counted as
 * unread, deletable, and burning on the chat's timer. Nothing of it is rendered, so nothing of what
 * this version renders is validated less.
 *
 * Stays rejected (as before): no JSON object, no `id`, larger than RAW_MAX, and a known control kind
 * (read, delete, ttl, …) that does not validate: half-understood, it must neither act nor pose as a
 * message. So a newer version's control payload that older apps should ignore carries no `id`.
 */
import { TTL_CHOICES } from '$lib/api/limits';
import { putIncoming } from './apply';
import type { Chats } from './chats';
import { Uuid, type SecretPayload } from './payload';
import type { Effects, Received } from './state';

/** Largest placeholder payload (bytes); it is kept, sealed with the row, for a later version to show. A text of today is under 30 KiB. */
export const RAW_MAX = 64 * 1024;
const KIND_MAX = 64;

/** Every kind this version knows: TypeScript keeps the list complete. Only a message kind may stand as a placeholder. */
const KNOWN: Record<SecretPayload['k'], 'message' | 'control'> = {
  text: 'message',
  read: 'control',
  typing: 'control',
  delete: 'control',
  clear: 'control',
  cancel: 'control',
  ttl: 'control',
  screenshot: 'control',
  verified: 'control',
  edit: 'control',
  react: 'control',
  pin: 'control'
};

export interface Unsupported {
  id: string;
  /** The timer it asked for, as one this version has (null: none given, the chat's timer applies). */
  ttl: number | null;
  /** The payload as it came. */
  raw: string;
}

const dec = new TextDecoder('utf-8', { fatal: true });
const TIMERS: readonly number[] = TTL_CHOICES;

/**
 * A timer this version has for `ttl`: itself when known, else the longest known one that is not
 * longer (or the shortest, 1 s): it burns no later than the sender asked. Null when there is none.
 */
function timerOf(ttl: unknown): number | null {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) return null;
  if (ttl === 0) return 0;
  return Math.max(
    ...TIMERS.filter((t) => t > 0 && t <= ttl),
    TIMERS.find((t) => t > 0)!
  );
}

/** The placeholder for a payload decodePayload refused, or null when it stays rejected (see above). */
export function unsupportedPayload(bytes: Uint8Array): Unsupported | null {
  if (bytes.length > RAW_MAX) return null;
  let raw: string;
  let o: unknown;
  try {
    raw = dec.decode(bytes);
    o = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return null;
  const { k, id, ttl } = o as Record<string, unknown>;
  if (typeof k !== 'string' || !k || k.length > KIND_MAX) return null;
  if (Object.hasOwn(KNOWN, k) && KNOWN[k as SecretPayload['k']] === 'control') return null;
  const checked = Uuid.safeParse(id);
  if (!checked.success) return null;
  return { id: checked.data, ttl: timerOf(ttl), raw };
}

/**
 * Adds the placeholder to the batch's effects as an incoming message. Without a timer of its own it
 * takes the chat's: a message of a kind unknown here must not outlive what the chat's timer promises.
 */
export function applyUnsupported(chats: Chats, c: Effects, u: Unsupported, received: Received): void {
  putIncoming(chats, c, u.id, received, { kind: 'unsupported', text: '', replyTo: null, ttl: u.ttl ?? c.state!.ttl, raw: u.raw });
}
