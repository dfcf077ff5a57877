/**
 * Message key: single-use key for exactly one envelope. Expanded into an XChaCha20-Poly1305 key and
 * nonce (Signal-style). Because every key encrypts exactly one message, nonce reuse is impossible by
 * construction; the derived nonce is defence in depth, not a requirement.
 *   key || nonce = HKDF-SHA-256(ikm = MK, salt = "", info = "Cinder/v1/message", 56)
 */
import { open, seal } from './aead.js';
import { zeroize } from './bytes.js';
import { hkdfSha256, LABEL } from './kdf.js';

const EMPTY = new Uint8Array(0);

function expand(messageKey: Uint8Array): { key: Uint8Array; nonce: Uint8Array; okm: Uint8Array } {
  const okm = hkdfSha256(messageKey, EMPTY, LABEL.message, 56);
  return { okm, key: okm.subarray(0, 32), nonce: okm.subarray(32, 56) };
}

export function sealWithMessageKey(messageKey: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const { okm, key, nonce } = expand(messageKey);
  try {
    return seal(key, nonce, ad, plaintext);
  } finally {
    zeroize(okm);
  }
}

export function openWithMessageKey(messageKey: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const { okm, key, nonce } = expand(messageKey);
  try {
    return open(key, nonce, ad, ciphertext);
  } finally {
    zeroize(okm);
  }
}
