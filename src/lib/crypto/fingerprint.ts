/**
 * Key-verification fingerprint (compare out of band, like Telegram's key visualisation / Signal's
 * safety number):
 *   FP = SHA-512("Cinder/v1/fingerprint" || min(I_A, I_B) || max(I_A, I_B) || TH)[0..32]
 * I_X = signPub || dhPub (64 bytes), ordered lexicographically so both sides agree; TH binds the
 * actual key exchange, so it is fixed for the chat's lifetime. A MITM must run two handshakes with
 * different transcripts (and its own identity), so the two ends see different values.
 */
import { concat, toHex } from './bytes.js';
import { identityBytes, type PublicIdentity } from './identity.js';
import { LABEL, sha512 } from './kdf.js';
import type { Session } from './session.js';

export const FINGERPRINT_LEN = 32;

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function computeFingerprint(a: PublicIdentity, b: PublicIdentity, transcriptHash: Uint8Array): Uint8Array {
  const ia = identityBytes(a),
    ib = identityBytes(b);
  const [lo, hi] = compare(ia, ib) <= 0 ? [ia, ib] : [ib, ia];
  return sha512(concat(LABEL.fingerprint, lo, hi, transcriptHash)).slice(0, FINGERPRINT_LEN);
}

export function fingerprint(session: Session): Uint8Array {
  return computeFingerprint(session.localIdentity, session.remoteIdentity, session.transcriptHash);
}

/** Human-comparable form: 16 groups of 4 hex digits. */
export function formatFingerprint(fp: Uint8Array): string {
  return (toHex(fp).match(/.{4}/g) ?? []).join(' ');
}
