/**
 * Sealed (version 2) ratchet envelope: the version-1 envelope with its 59-byte header encrypted under
 * the mailbox's header key (mailbox.ts). The ratchet is unchanged: unsealing gives back exactly the
 * version-1 bytes, whose own AEAD still authenticates header and ciphertext together.
 *    0  u8   0x02 (version)
 *    1  u8   0x04 (kind: sealed message; kinds are per version, 01 04 is the worker's REFUSE)
 *    2  [24] nonce (random)
 *   26  [75] XChaCha20-Poly1305(headerKey, nonce, aad = bytes[0..2], the 59-byte version-1 header)
 *  101  [..] the version-1 envelope's ciphertext (its associated data is still the plain header)
 * Random nonces: one header key seals a whole day of one direction, and 192-bit random nonces make a
 * repeat negligible for any number of messages a day can hold.
 */
import { NONCE_LEN, open, seal, TAG_LEN } from './aead.js';
import { randomBytes, type Rng } from './bytes.js';
import { HEADER_LEN, Kind, MIN_ENVELOPE_LEN, WIRE_VERSION } from './envelope.js';
import { fail, isProtocolError } from './errors.js';

export const SEALED_VERSION = 0x02;
export const SEALED_KIND = 0x04;
export const SEALED_HEADER_LEN = 2 + NONCE_LEN + HEADER_LEN + TAG_LEN; // 101
/** Bytes a sealed envelope adds to its version-1 envelope. */
export const SEALED_OVERHEAD = SEALED_HEADER_LEN - HEADER_LEN; // 42
export const MIN_SEALED_LEN = MIN_ENVELOPE_LEN + SEALED_OVERHEAD; // 373

const PREFIX = new Uint8Array([SEALED_VERSION, SEALED_KIND]);

/** Seals a version-1 message envelope (from encrypt()) for posting to a mailbox. */
export function sealEnvelope(envelope: Uint8Array, headerKey: Uint8Array, rng: Rng = randomBytes): Uint8Array {
  if (!(envelope instanceof Uint8Array) || envelope.length < MIN_ENVELOPE_LEN) fail('malformed', 'envelope too short');
  if (envelope[0] !== WIRE_VERSION || envelope[1] !== Kind.MESSAGE) fail('malformed', 'not a version-1 message envelope');
  const nonce = rng(NONCE_LEN);
  const sealedHeader = seal(headerKey, nonce, PREFIX, envelope.subarray(0, HEADER_LEN));
  const out = new Uint8Array(envelope.length + SEALED_OVERHEAD);
  out.set(PREFIX);
  out.set(nonce, 2);
  out.set(sealedHeader, 2 + NONCE_LEN);
  out.set(envelope.subarray(HEADER_LEN), SEALED_HEADER_LEN);
  return out;
}

/** The version-1 envelope inside a sealed one, for decrypt(). A header that does not open under this
 * key is 'bad_header' (another chat's or day's key, or a forgery: the relay knows the cap, not this key). */
export function unsealEnvelope(sealed: Uint8Array, headerKey: Uint8Array): Uint8Array {
  if (!(sealed instanceof Uint8Array) || sealed.length < 2) fail('malformed', 'sealed envelope too short');
  if (sealed[0] !== SEALED_VERSION) fail('bad_version', `sealed envelope version ${sealed[0]}`);
  if (sealed[1] !== SEALED_KIND) fail('malformed', 'not a sealed message');
  if (sealed.length < MIN_SEALED_LEN) fail('malformed', 'sealed envelope truncated');
  let header: Uint8Array;
  try {
    header = open(headerKey, sealed.subarray(2, 2 + NONCE_LEN), PREFIX, sealed.subarray(2 + NONCE_LEN, SEALED_HEADER_LEN));
  } catch (e) {
    if (isProtocolError(e, 'decrypt_failed')) fail('bad_header', 'sealed header did not authenticate');
    throw e;
  }
  // Authentic, so written by a chat member; checked anyway so nothing but a message reaches decrypt().
  if (header[0] !== WIRE_VERSION || header[1] !== Kind.MESSAGE) fail('malformed', 'sealed header is not a message header');
  const out = new Uint8Array(sealed.length - SEALED_OVERHEAD);
  out.set(header);
  out.set(sealed.subarray(SEALED_HEADER_LEN), HEADER_LEN);
  return out;
}
