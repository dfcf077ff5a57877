// Versioned QR payload for in-person verification. Binary layout (v1):
//
//   off  len  field
//   0    4    magic "CNDR" (0x43 0x4E 0x44 0x52)
//   4    1    format version = 0x01
//   5    1    fingerprint length L (32..64)
//   6    L    fingerprint
//   6+L  32   Ed25519 identity key of the device showing the code ("owner")
//   38+L 32   Ed25519 identity key the owner believes it is talking to ("peer")
//
// Text form for the QR: "cinder:v1:" + base64url(bytes), no padding. Plain ASCII
// text decodes identically with native BarcodeDetector and zxing (no byte-mode
// charset guessing), and the prefix lets us reject foreign codes cheaply.
import { IDENTITY_KEY_BYTES, MAX_FINGERPRINT_BYTES, MIN_FINGERPRINT_BYTES, assertFingerprint, assertIdentityKey } from './bytes';
import { b64url, b64urlDecode, concat, equalBytes } from '$lib/crypto/bytes';

// Not exported: a shared Uint8Array could be mutated by a caller.
const QR_MAGIC = Uint8Array.of(0x43, 0x4e, 0x44, 0x52); // "CNDR"
export const QR_VERSION = 1;
export const QR_SCHEME = 'cinder:';
export const QR_PREFIX = `${QR_SCHEME}v${QR_VERSION}:`;
/** Longest text we even look at; a v1 payload with a 64-byte fingerprint is 186 chars. */
export const QR_MAX_TEXT = 512;

const HEADER_BYTES = 6;

export interface VerifyPayload {
  /** Chat fingerprint as computed by the owner's device. */
  fingerprint: Uint8Array;
  /** Identity key of the device that displays this code. */
  ownerKey: Uint8Array;
  /** Identity key of the device the owner thinks it is chatting with. */
  peerKey: Uint8Array;
}

export type QrParseError = 'not_cinder' | 'unknown_version' | 'too_long' | 'malformed';

export type QrParseResult = ({ ok: true; version: 1 } & VerifyPayload) | { ok: false; error: QrParseError };

export type CompareResult = 'match' | 'mismatch' | 'wrong_chat';

/** Encodes my own code. Throws on wrong-sized inputs (a programming error, not user input). */
export function encodeQrPayload(p: VerifyPayload): string {
  assertFingerprint(p.fingerprint);
  assertIdentityKey(p.ownerKey, 'ownerKey');
  assertIdentityKey(p.peerKey, 'peerKey');
  const bytes = concat(QR_MAGIC, Uint8Array.of(QR_VERSION, p.fingerprint.length), p.fingerprint, p.ownerKey, p.peerKey);
  return QR_PREFIX + b64url(bytes);
}

const fail = (error: QrParseError): QrParseResult => ({ ok: false, error });

/**
 * Parses scanned text. Never throws: anything a camera can produce maps to a
 * typed error. Returned arrays are fresh copies, never views into shared memory.
 */
export function parseQrPayload(text: unknown): QrParseResult {
  if (typeof text !== 'string') return fail('malformed');
  // Length first, before any other work on attacker-supplied input.
  if (text.length > QR_MAX_TEXT) return fail('too_long');
  const t = text.trim(); // some scanners append a newline
  if (!t.startsWith(QR_SCHEME)) return fail('not_cinder');

  const m = /^cinder:v(\d{1,3}):([^]*)$/.exec(t);
  if (!m) return fail('malformed');
  if (m[1] !== String(QR_VERSION)) return fail('unknown_version');

  const bytes = b64urlDecode(m[2]);
  if (!bytes || bytes.length < HEADER_BYTES) return fail('malformed');
  for (let i = 0; i < QR_MAGIC.length; i++) if (bytes[i] !== QR_MAGIC[i]) return fail('malformed');
  if (bytes[4] !== QR_VERSION) return fail('unknown_version');

  const fpLen = bytes[5];
  if (fpLen < MIN_FINGERPRINT_BYTES || fpLen > MAX_FINGERPRINT_BYTES) return fail('malformed');
  if (bytes.length !== HEADER_BYTES + fpLen + 2 * IDENTITY_KEY_BYTES) return fail('malformed');

  const ownerOff = HEADER_BYTES + fpLen;
  const peerOff = ownerOff + IDENTITY_KEY_BYTES;
  return {
    ok: true,
    version: 1,
    fingerprint: bytes.slice(HEADER_BYTES, ownerOff),
    ownerKey: bytes.slice(ownerOff, peerOff),
    peerKey: bytes.slice(peerOff)
  };
}

/**
 * `scanned` is what I read from my contact's screen; `local` is my own code
 * (ownerKey = my key, peerKey = the key I believe is theirs).
 *
 * - match: same fingerprint, their owner = my peer, their peer = me.
 * - wrong_chat: the code was shown by my own device (owner = my key) — e.g. I
 *   scanned my own screen or a screenshot of it. No interceptor can produce this
 *   (it would need my identity private key to sit in my place), so it is safe to
 *   call a user mistake.
 * - mismatch: everything else. Any identity-key disagreement is what key
 *   substitution looks like, and a fingerprint difference with matching keys is
 *   what a MITM on an unauthenticated key exchange looks like; we cannot tell
 *   either apart from "some other chat", so we never downgrade them.
 *
 * All comparisons always run (no short-circuit) so timing does not reveal which
 * field differed.
 */
export function compareScanned(scanned: VerifyPayload, local: VerifyPayload): CompareResult {
  const sameFp = equalBytes(scanned.fingerprint, local.fingerprint);
  const theyAreMyPeer = equalBytes(scanned.ownerKey, local.peerKey);
  const theyTalkToMe = equalBytes(scanned.peerKey, local.ownerKey);
  const isMyOwnCode = equalBytes(scanned.ownerKey, local.ownerKey);

  // Bitwise & keeps all three results in play without a branch per field.
  if ((Number(sameFp) & Number(theyAreMyPeer) & Number(theyTalkToMe)) === 1) return 'match';
  if (isMyOwnCode) return 'wrong_chat';
  return 'mismatch';
}
