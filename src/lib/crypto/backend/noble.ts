/** @noble/curves + @noble/hashes: the portable fallback and the reference every WebCrypto result is compared with. */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { check32, checkHkdfLength, lowOrderGuard } from './checks.js';
import type { CryptoBackend } from './types.js';

export function nobleBackend(): CryptoBackend {
  return {
    name: 'noble',
    async x25519Keygen(rng = randomBytes) {
      const priv = rng(32);
      return { priv, pub: x25519.getPublicKey(priv) };
    },
    async x25519PublicKey(priv) {
      check32('priv', priv);
      return x25519.getPublicKey(priv);
    },
    async x25519(my, theirPub) {
      check32('priv', my.priv);
      check32('pub', theirPub);
      let out: Uint8Array;
      try {
        out = x25519.getSharedSecret(my.priv, theirPub);
      } catch {
        // noble rejects low-order points itself; normalise to our code.
        fail('low_order', 'X25519 rejected point');
      }
      return lowOrderGuard(out);
    },
    async ed25519PublicKey(seed) {
      check32('seed', seed);
      return ed25519.getPublicKey(seed);
    },
    async ed25519Sign(my, msg) {
      check32('seed', my.priv);
      return ed25519.sign(msg, my.priv);
    },
    async ed25519Verify(pub, msg, sig) {
      if (pub.length !== 32 || sig.length !== 64) return false;
      try {
        return ed25519.verify(sig, msg, pub, { zip215: false });
      } catch {
        return false;
      }
    },
    async hkdfSha256(ikm, salt, info, length) {
      checkHkdfLength(length);
      return hkdf(sha256, ikm, salt, info, length);
    },
    async hmacSha256(key, msg) {
      return hmac(sha256, key, msg);
    }
  };
}
