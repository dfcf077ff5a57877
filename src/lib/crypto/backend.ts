/**
 * CryptoBackend: the asymmetric primitives (and HKDF/HMAC for the handshake), behind one small async
 * interface with two implementations that must agree bit-for-bit:
 *  - webcryptoBackend(): WebCrypto X25519 / Ed25519 / HKDF / HMAC (hardware/native speed, ~15x faster DH);
 *  - nobleBackend(): @noble/curves + @noble/hashes, the portable fallback and reference.
 * Per-message symmetric work (chain KDFs, XChaCha20-Poly1305) is always synchronous noble code, see kdf.ts.
 *
 * All wrappers validate lengths first and normalise failures: X25519 with an all-zero result (or an
 * implementation that throws on a low-order point) -> ProtocolError('low_order'); Ed25519 verify
 * returns false on any malformed input instead of throwing.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { b64url, concat, equalBytes, fromB64url, isAllZero, randomBytes, zeroize, type Rng } from './bytes.js';
import { fail } from './errors.js';

export interface KeyPair {
  readonly priv: Uint8Array; // 32 bytes (X25519 scalar before clamping / Ed25519 seed)
  readonly pub: Uint8Array; // 32 bytes
}

export interface CryptoBackend {
  readonly name: 'webcrypto' | 'noble';
  /** Fresh X25519 key pair; priv = rng(32) (see webcrypto note on the default RNG fast path). */
  x25519Keygen(rng?: Rng): Promise<KeyPair>;
  x25519PublicKey(priv: Uint8Array): Promise<Uint8Array>;
  /** X25519(my.priv, theirPub); throws ProtocolError('low_order') for an all-zero result. */
  x25519(my: KeyPair, theirPub: Uint8Array): Promise<Uint8Array>;
  ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array>;
  ed25519Sign(my: KeyPair, msg: Uint8Array): Promise<Uint8Array>;
  /** Strict RFC 8032 verification (canonical encodings, S < L); false on malformed input. */
  ed25519Verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean>;
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
  hmacSha256(key: Uint8Array, msg: Uint8Array): Promise<Uint8Array>;
}

function check32(name: string, b: Uint8Array): void {
  if (!(b instanceof Uint8Array) || b.length !== 32) fail('malformed', `${name} must be 32 bytes`);
}

function lowOrderGuard(out: Uint8Array): Uint8Array {
  // RFC 7748 §6.1: check for the all-zero value (low-order input point) in constant time.
  if (isAllZero(out)) fail('low_order', 'X25519 result is all-zero');
  return out;
}

const HKDF_MAX = 255 * 32;

// ---------------------------------------------------------------------------------------------
// noble
// ---------------------------------------------------------------------------------------------

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
      if (length < 1 || length > HKDF_MAX) fail('malformed', 'HKDF length');
      return hkdf(sha256, ikm, salt, info, length);
    },
    async hmacSha256(key, msg) {
      return hmac(sha256, key, msg);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// WebCrypto
// ---------------------------------------------------------------------------------------------

// PKCS#8 prefixes for raw 32-byte private keys (RFC 8410).
const PKCS8_X25519 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
const PKCS8_ED25519 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** WebCrypto wants ArrayBuffer-backed views (TS 5.9+ typing, and SharedArrayBuffer is rejected). */
const bs = (u: Uint8Array): BufferSource => (u.buffer instanceof ArrayBuffer ? u : u.slice()) as BufferSource;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) fail('backend_unavailable', 'WebCrypto subtle missing');
  return s;
}

/**
 * Private-key import: JWK {d, x} is ~8x faster than PKCS#8 in Node (no DER decoder, measured 26k/s vs
 * 3.3k/s), but needs the public half, which the protocol always stores next to the private key. The
 * platform verifies that x matches d. PKCS#8 is only used when the public key is unknown.
 */
async function importPriv(alg: 'X25519' | 'Ed25519', priv: Uint8Array, pub: Uint8Array | null): Promise<CryptoKey> {
  const usage: KeyUsage[] = alg === 'X25519' ? ['deriveBits'] : ['sign'];
  if (pub) {
    const jwk: JsonWebKey = { kty: 'OKP', crv: alg, d: b64url(priv), x: b64url(pub) };
    return subtle().importKey('jwk', jwk, { name: alg }, false, usage);
  }
  const der = concat(alg === 'X25519' ? PKCS8_X25519 : PKCS8_ED25519, priv);
  try {
    return await subtle().importKey('pkcs8', bs(der), { name: alg }, true, usage);
  } finally {
    zeroize(der);
  }
}

/** Public half via PKCS#8 import + JWK export (the platform computes it). */
async function publicFromPriv(alg: 'X25519' | 'Ed25519', priv: Uint8Array): Promise<Uint8Array> {
  const der = concat(alg === 'X25519' ? PKCS8_X25519 : PKCS8_ED25519, priv);
  try {
    const k = await subtle().importKey('pkcs8', bs(der), { name: alg }, true, alg === 'X25519' ? ['deriveBits'] : ['sign']);
    const jwk = await subtle().exportKey('jwk', k);
    return fromB64url(jwk.x!);
  } finally {
    zeroize(der);
  }
}

/**
 * Tiny LRU of imported CryptoKeys, keyed by the (public) X25519 public key. Importing dominates a
 * WebCrypto DH (~40us JWK import vs ~65us derive); in the ratchet every private key is used twice
 * and every peer key twice, so caching saves ~30% per DH step. Private entries also keep a copy of
 * the raw private key, compared in constant time, so a stale entry can never answer for another key;
 * evicted entries are wiped. Cap 16 entries: old ratchet keys leave the cache quickly.
 */
class KeyCache {
  private m = new Map<string, { priv: Uint8Array | null; key: CryptoKey }>();
  constructor(private readonly cap = 16) {}
  get(pub: Uint8Array, priv: Uint8Array | null): CryptoKey | undefined {
    const id = toHexStr(pub);
    const e = this.m.get(id);
    if (!e || (priv && !(e.priv && equalBytes(e.priv, priv)))) return undefined;
    this.m.delete(id);
    this.m.set(id, e);
    return e.key;
  }
  set(pub: Uint8Array, priv: Uint8Array | null, key: CryptoKey): void {
    const id = toHexStr(pub);
    const old = this.m.get(id);
    if (old) zeroize(old.priv);
    this.m.delete(id);
    this.m.set(id, { priv: priv ? priv.slice() : null, key });
    while (this.m.size > this.cap) {
      const [first, e] = this.m.entries().next().value!;
      zeroize(e.priv);
      this.m.delete(first);
    }
  }
}

function toHexStr(a: Uint8Array): string {
  let h = '';
  for (let i = 0; i < a.length; i++) h += (a[i] < 16 ? '0' : '') + a[i].toString(16);
  return h;
}

export function webcryptoBackend(): CryptoBackend {
  const s = subtle();
  const privKeys = new KeyCache();
  const pubKeys = new KeyCache();
  return {
    name: 'webcrypto',
    async x25519Keygen(rng = randomBytes) {
      if (rng === randomBytes) {
        // Fast path (~85us vs ~300us): with the default RNG the platform CSPRNG is the entropy source
        // either way, so let the platform generate the key and export both halves. An injected RNG
        // (tests, known-answer vectors) takes the deterministic path below.
        const kp = (await s.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
        const jwk = await s.exportKey('jwk', kp.privateKey);
        const pair = { priv: fromB64url(jwk.d!), pub: fromB64url(jwk.x!) };
        privKeys.set(pair.pub, pair.priv, kp.privateKey);
        return pair;
      }
      const priv = rng(32);
      return { priv, pub: await publicFromPriv('X25519', priv) };
    },
    async x25519PublicKey(priv) {
      check32('priv', priv);
      return publicFromPriv('X25519', priv);
    },
    async x25519(my, theirPub) {
      check32('priv', my.priv);
      check32('pub', theirPub);
      // Cache hits are synchronous: skip the promise machinery entirely on the hot path.
      const k =
        privKeys.get(my.pub, my.priv) ??
        (await importPriv('X25519', my.priv, my.pub).then(
          (k) => (privKeys.set(my.pub, my.priv, k), k),
          () => fail('malformed', 'X25519 private key does not match its public key')
        ));
      const p =
        pubKeys.get(theirPub, null) ??
        (await s.importKey('raw', bs(theirPub), { name: 'X25519' }, false, []).then(
          (k) => (pubKeys.set(theirPub, null, k), k),
          () => fail('low_order', 'X25519 public key rejected')
        ));
      let out: Uint8Array;
      try {
        out = new Uint8Array(await s.deriveBits({ name: 'X25519', public: p }, k, 256));
      } catch {
        // Node/OpenSSL throws on low-order points instead of returning zeros (lengths were checked).
        fail('low_order', 'X25519 derive failed');
      }
      return lowOrderGuard(out);
    },
    async ed25519PublicKey(seed) {
      check32('seed', seed);
      return publicFromPriv('Ed25519', seed);
    },
    async ed25519Sign(my, msg) {
      check32('seed', my.priv);
      const k = await importPriv('Ed25519', my.priv, my.pub);
      return new Uint8Array(await s.sign({ name: 'Ed25519' }, k, bs(msg)));
    },
    async ed25519Verify(pub, msg, sig) {
      if (pub.length !== 32 || sig.length !== 64) return false;
      // Platforms differ on S >= L and non-canonical encodings; enforce strict RFC 8032 rules
      // ourselves so both backends accept exactly the same set.
      if (!strictEd25519Encoding(pub, sig)) return false;
      try {
        const k = await s.importKey('raw', bs(pub), { name: 'Ed25519' }, false, ['verify']);
        return await s.verify({ name: 'Ed25519' }, k, bs(sig), bs(msg));
      } catch {
        return false;
      }
    },
    async hkdfSha256(ikm, salt, info, length) {
      if (length < 1 || length > HKDF_MAX) fail('malformed', 'HKDF length');
      const k = await s.importKey('raw', bs(ikm), 'HKDF', false, ['deriveBits']);
      return new Uint8Array(await s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: bs(salt), info: bs(info) }, k, length * 8));
    },
    async hmacSha256(key, msg) {
      // WebCrypto rejects zero-length HMAC keys; RFC 2104 allows them (pads with zeros). Empty key ==
      // 64 zero bytes by definition, so substitute to keep both backends total.
      const k = await s.importKey('raw', bs(key.length ? key : new Uint8Array(64)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      return new Uint8Array(await s.sign('HMAC', k, bs(msg)));
    }
  };
}

// Ed25519 group order L, little-endian.
const ED_L = new Uint8Array([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0x10
]);

/** S < L and canonical (y < p) point encodings of R and A, as noble does with zip215:false. */
function strictEd25519Encoding(pub: Uint8Array, sig: Uint8Array): boolean {
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

// ---------------------------------------------------------------------------------------------
// detection
// ---------------------------------------------------------------------------------------------

let detected: Promise<CryptoBackend> | null = null;

/**
 * Feature-test WebCrypto X25519 + Ed25519 once (RFC 7748 §6.1 and RFC 8032 test 1 vectors, checked
 * against noble) and return the WebCrypto backend if it works, else the noble backend.
 */
export function detectBackend(): Promise<CryptoBackend> {
  detected ??= (async () => {
    const noble = nobleBackend();
    try {
      const wc = webcryptoBackend();
      const a = { priv: fromHexStr('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'), pub: fromHexStr('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a') };
      const bPub = fromHexStr('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      const [s1, s2] = await Promise.all([wc.x25519(a, bPub), noble.x25519(a, bPub)]);
      const seed = fromHexStr('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
      const edPub = await wc.ed25519PublicKey(seed);
      const sig = await wc.ed25519Sign({ priv: seed, pub: edPub }, new Uint8Array(0));
      const ok = s1.every((v, i) => v === s2[i]) && (await noble.ed25519Verify(edPub, new Uint8Array(0), sig));
      return ok ? wc : noble;
    } catch {
      return noble;
    }
  })();
  return detected;
}

function fromHexStr(h: string): Uint8Array {
  return Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
}
