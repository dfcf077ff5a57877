// Size rules shared by the verification modules. Byte helpers (concat, compare, base64url) come
// from crypto/bytes.ts, the one codec of the app.

/** Minimum fingerprint length we accept; the protocol produces 32 bytes or more. */
export const MIN_FINGERPRINT_BYTES = 32;
/** Upper bound so a bogus caller cannot make us hash/encode megabytes. */
export const MAX_FINGERPRINT_BYTES = 64;
/** Ed25519 public key length. */
export const IDENTITY_KEY_BYTES = 32;

export function assertFingerprint(fp: Uint8Array): void {
  if (!(fp instanceof Uint8Array)) throw new TypeError('fingerprint must be a Uint8Array');
  if (fp.length < MIN_FINGERPRINT_BYTES || fp.length > MAX_FINGERPRINT_BYTES) {
    throw new RangeError(`fingerprint must be ${MIN_FINGERPRINT_BYTES}..${MAX_FINGERPRINT_BYTES} bytes, got ${fp.length}`);
  }
}

export function assertIdentityKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== IDENTITY_KEY_BYTES) {
    throw new RangeError(`${what} must be a ${IDENTITY_KEY_BYTES}-byte Uint8Array`);
  }
}
