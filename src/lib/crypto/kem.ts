/**
 * ML-KEM-768 (FIPS 203) via @noble/post-quantum, used by both backends (no WebCrypto ML-KEM in the
 * target platforms yet). Randomness is injected: keygen takes a 64-byte seed (d || z), encapsulation
 * a 32-byte message m. Errors map to ProtocolError('bad_kem').
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { randomBytes, type Rng } from './bytes.js';
import { fail } from './errors.js';

export const KEM_PK_LEN = 1184;
export const KEM_SK_LEN = 2400;
export const KEM_CT_LEN = 1088;
export const KEM_SS_LEN = 32;

export interface KemKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export function kemKeygen(rng: Rng = randomBytes): KemKeyPair {
  const seed = rng(64);
  try {
    return ml_kem768.keygen(seed);
  } finally {
    seed.fill(0);
  }
}

/** Includes the FIPS 203 §7.2 encapsulation-key checks (length, coefficients reduced mod q). */
export function kemEncapsulate(publicKey: Uint8Array, rng: Rng = randomBytes): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  if (publicKey.length !== KEM_PK_LEN) fail('bad_kem', 'ML-KEM public key length');
  const m = rng(32);
  try {
    return ml_kem768.encapsulate(publicKey, m);
  } catch {
    fail('bad_kem', 'ML-KEM public key rejected');
  } finally {
    m.fill(0);
  }
}

/** ML-KEM uses implicit rejection: a well-formed but wrong ciphertext yields a pseudorandom secret
 * (caught later by the accept confirmation tag); only malformed inputs throw here. */
export function kemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (cipherText.length !== KEM_CT_LEN) fail('bad_kem', 'ML-KEM ciphertext length');
  if (secretKey.length !== KEM_SK_LEN) fail('bad_kem', 'ML-KEM secret key length');
  try {
    return ml_kem768.decapsulate(cipherText, secretKey);
  } catch {
    fail('bad_kem', 'ML-KEM decapsulation rejected');
  }
}
