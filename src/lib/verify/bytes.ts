// Small byte helpers shared by the verification modules. Kept local (no Buffer,
// no Uint8Array.fromBase64) so the same code runs in Node 20 and every browser.

/** Minimum fingerprint length we accept; the protocol produces 32 bytes or more. */
export const MIN_FINGERPRINT_BYTES = 32;
/** Upper bound so a bogus caller cannot make us hash/encode megabytes. */
export const MAX_FINGERPRINT_BYTES = 64;
/** Ed25519 public key length. */
export const IDENTITY_KEY_BYTES = 32;

export function assertFingerprint(fp: Uint8Array): void {
  if (!(fp instanceof Uint8Array)) throw new TypeError('fingerprint must be a Uint8Array');
  if (fp.length < MIN_FINGERPRINT_BYTES || fp.length > MAX_FINGERPRINT_BYTES) {
    throw new RangeError(
      `fingerprint must be ${MIN_FINGERPRINT_BYTES}..${MAX_FINGERPRINT_BYTES} bytes, got ${fp.length}`
    );
  }
}

export function assertIdentityKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== IDENTITY_KEY_BYTES) {
    throw new RangeError(`${what} must be a ${IDENTITY_KEY_BYTES}-byte Uint8Array`);
  }
}

/**
 * Compares two byte strings without data-dependent early exit: every byte of the
 * longer input is visited and differences are OR-accumulated, so timing depends
 * only on the (public) lengths. JS JITs give no hard guarantee; this is best effort
 * and avoids the obvious first-differing-byte leak.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.max(a.length, b.length);
  // Fold the length difference in so unequal lengths can never compare equal.
  let diff = a.length ^ b.length;
  for (let i = 0; i < n; i++) {
    // Out-of-range reads yield undefined; `| 0` maps that to 0 without a branch.
    diff |= (a[i] | 0) ^ (b[i] | 0);
  }
  return diff === 0;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// ASCII -> 6-bit value, -1 for characters outside the alphabet.
const B64URL_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64URL_INDEX[B64URL.charCodeAt(i)] = i;

/** RFC 4648 §5 base64url without padding. */
export function base64UrlEncode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63] + B64URL[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63];
  }
  return out;
}

/**
 * Strict base64url decode (no padding, no whitespace, canonical trailing bits).
 * Returns null instead of throwing so parsers can map it to a typed error.
 * Strictness matters: one payload must have exactly one textual form.
 */
export function base64UrlDecode(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64URL_INDEX[c] : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, otherwise several strings would decode to the same bytes.
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}
