/** Input checks and result normalisation shared by both implementations, so they reject the same set. */
import { fromHex, isAllZero } from '../bytes.js';
import { fail } from '../errors.js';

export function check32(name: string, b: Uint8Array): void {
  if (!(b instanceof Uint8Array) || b.length !== 32) fail('malformed', `${name} must be 32 bytes`);
}

export function lowOrderGuard(out: Uint8Array): Uint8Array {
  // RFC 7748 §6.1: check for the all-zero value (low-order input point) in constant time.
  if (isAllZero(out)) fail('low_order', 'X25519 result is all-zero');
  return out;
}

const HKDF_MAX = 255 * 32;

export function checkHkdfLength(length: number): void {
  if (length < 1 || length > HKDF_MAX) fail('malformed', 'HKDF length');
}

// Ed25519 group order L, little-endian.
const ED_L = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

/** S < L and canonical (y < p) point encodings of R and A, as noble does with zip215:false. Platforms
 * differ on S >= L and non-canonical encodings, so the WebCrypto path checks them itself. */
export function strictEd25519Encoding(pub: Uint8Array, sig: Uint8Array): boolean {
  return ltLE(sig.subarray(32, 64), ED_L) && canonicalY(pub) && canonicalY(sig.subarray(0, 32));
}

function ltLE(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = a.length - 1; i >= 0; i--) {
    if (a[i] !== b[i]) return a[i] < b[i];
  }
  return false;
}

/** y (low 255 bits) < p = 2^255 - 19. Public data, so a plain check is fine. */
function canonicalY(enc: Uint8Array): boolean {
  if ((enc[31] & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (enc[i] !== 0xff) return true;
  return enc[0] < 0xed;
}
