/**
 * Sealed addressing (protocol version 2): everything a device needs to find, prove and read one
 * direction's mail on one UTC day, derived from that direction's 32-byte seed (Session.seal, see
 * handshake.ts) and the day number:
 *   X(label) = HMAC-SHA-256(seed, utf8(label) || u32be(epoch))
 *   mailbox  = X("Cinder/v2/mailbox")[0..16]   the relay address (registered by the recipient)
 *   cap      = X("Cinder/v2/cap")               told to the relay: it checks posts, cannot read
 *   header   = X("Cinder/v2/header")            never leaves the two devices (sealed-envelope.ts)
 * HMAC is a PRF in its message, so the three are independent and none reveals the seed or another day's.
 */
import { concat, u32be, utf8 } from './bytes.js';
import { fail } from './errors.js';
import { hmacSha256, LABEL } from './kdf.js';

export { EPOCH_MS, epochOf } from './epoch.js';
export const MAILBOX_ID_LEN = 16;
export const SEED_LEN = 32;

export interface MailboxKeys {
  mailbox: Uint8Array; // 16
  cap: Uint8Array; // 32
  header: Uint8Array; // 32
}

export function mailboxKeys(seed: Uint8Array, epoch: number): MailboxKeys {
  const e = epochBytes(seed, epoch);
  const mailbox = hmacSha256(seed, concat(LABEL.mailbox, e));
  const out = { mailbox: mailbox.slice(0, MAILBOX_ID_LEN), cap: hmacSha256(seed, concat(LABEL.cap, e)), header: hmacSha256(seed, concat(LABEL.header, e)) };
  mailbox.fill(0);
  return out;
}

/** `mailboxKeys(seed, epoch).header` alone: all a receiver needs to unseal (one HMAC instead of three). */
export function headerKey(seed: Uint8Array, epoch: number): Uint8Array {
  return hmacSha256(seed, concat(LABEL.header, epochBytes(seed, epoch)));
}

function epochBytes(seed: Uint8Array, epoch: number): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_LEN) fail('malformed', 'seal seed length');
  return u32be(epoch); // 'limit' outside 0..2^32-1
}

/** Proof of membership for one sealed post: HMAC-SHA-256(cap, "Cinder/v2/post" || utf8(id) || 0x00 || body).
 * The NUL ends the id, so an id may not contain one (the relay's client ids are printable anyway). */
export function capMac(cap: Uint8Array, id: string, body: Uint8Array): Uint8Array {
  if (cap.length !== 32) fail('malformed', 'cap length');
  if (id.includes('\0')) fail('malformed', 'post id contains NUL');
  return hmacSha256(cap, concat(LABEL.post, utf8(id), new Uint8Array([0]), body));
}

/** Bearer token for an anonymous media upload to the mailbox's device: HMAC-SHA-256(cap, "Cinder/v2/blob"). */
export function blobToken(cap: Uint8Array): Uint8Array {
  if (cap.length !== 32) fail('malformed', 'cap length');
  return hmacSha256(cap, LABEL.blob);
}
