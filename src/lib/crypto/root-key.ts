/**
 * Root key: the DH-ratchet KDF. Every time the peer's ratchet public key changes, the DH output is
 * mixed into the root key, which yields a fresh chain key (post-compromise recovery).
 *   RK', CK = HKDF-SHA-256(ikm = DH(...), salt = RK, info = "Cinder/v1/ratchet", 64) split 32/32
 */
import { zeroize } from './bytes.js';
import { hkdfSha256, LABEL } from './kdf.js';

export interface RootStep {
  rootKey: Uint8Array;
  chainKey: Uint8Array;
}

export function advanceRootKey(rootKey: Uint8Array, dhOut: Uint8Array): RootStep {
  const okm = hkdfSha256(dhOut, rootKey, LABEL.ratchet, 64);
  const out = { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64) };
  zeroize(okm);
  return out;
}
