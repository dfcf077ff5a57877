/**
 * A fast path for the commonest row of a sync page: a plain message update (no quote, no media).
 * zod runs without its compiled parsers here (see $lib/no-eval), and parsing a 1,000-row page row by
 * row took a large share of the worker's time per page. This check only ever accepts: a row it does
 * not recognise as valid goes to the wire schema (`Update`), which accepts it or names what is wrong.
 * It is at least as strict as the schema and returns the same shape (unknown keys dropped); the
 * tests compare the two on valid and invalid rows.
 */
import type { Update } from '$lib/api/wire';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const CLIENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is string => typeof v === 'string' && ID.test(v);
const isClientId = (v: unknown): v is string => typeof v === 'string' && CLIENT_ID.test(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

/** The row as the schema would return it, or null: not recognised here (the schema decides). */
export function fastMessageUpdate(u: unknown): Update | null {
  if (!isObj(u) || u.kind !== 'message' || !isInt(u.cursor)) return null;
  const m = u.message;
  const p = u.peer;
  if (!isObj(m) || !isObj(p)) return null;
  if (!isClientId(m.id) || !isId(m.peerId) || !isInt(m.seq) || m.seq <= 0 || !isId(m.senderId) || !isId(m.senderDeviceId)) return null;
  if (typeof m.text !== 'string' || (m.replyTo !== null && !isClientId(m.replyTo)) || typeof m.createdAt !== 'number' || !Number.isFinite(m.createdAt)) return null;
  // A quote or an attachment: left to the schema.
  if (m.quote !== undefined || (m.media !== undefined && m.media !== null)) return null;
  // Edited: left to the schema too (this path would drop `editedAt`).
  if (m.editedAt !== undefined || m.reactions !== undefined) return null;
  // Forwarded: the schema checks its origin (this path would drop `forwardedFrom`).
  if (m.forwardedFrom !== undefined) return null;
  if (!isId(p.id) || typeof p.username !== 'string' || typeof p.displayName !== 'string' || (p.deleted !== undefined && p.deleted !== true)) return null;
  if (p.photo !== undefined && p.photo !== null && !(isInt(p.photo) && p.photo > 0)) return null;
  return {
    kind: 'message',
    cursor: u.cursor,
    message: {
      id: m.id,
      peerId: m.peerId,
      seq: m.seq,
      senderId: m.senderId,
      senderDeviceId: m.senderDeviceId,
      text: m.text,
      replyTo: m.replyTo,
      createdAt: m.createdAt,
      ...(m.media === null ? { media: null } : {})
    },
    peer: {
      id: p.id,
      username: p.username,
      displayName: p.displayName,
      ...(p.deleted ? { deleted: true as const } : {}),
      ...(p.photo !== undefined ? { photo: p.photo as number | null } : {})
    }
  };
}
