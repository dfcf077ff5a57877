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

/**
 * The 8 small-order points (canonical encodings), rejected as public keys as noble does in strict mode,
 * and the two "negative zero" encodings (x = 0 with the sign bit set) that RFC 8032 §5.1.3 forbids and
 * noble rejects but OpenSSL (Node) accepts. Without this, identity A + identity R + S = 0 verifies any
 * message in Node but not in noble.
 */
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'
].map(fromHex);
const NEGATIVE_ZERO = ['0100000000000000000000000000000000000000000000000000000000000080', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'].map(
  fromHex
);

/**
 * Strict RFC 8032 encoding rules, as noble applies them with zip215:false: S < L, canonical (y < p)
 * encodings of R and A, no negative zero, no small-order A. Platforms differ on all of these, so the
 * WebCrypto path checks them itself. Public data, so plain comparisons are fine. Split in the
 * public-key part (checked once per imported key) and the signature part (checked every time).
 */
export function strictEd25519Pub(pub: Uint8Array): boolean {
  return canonicalY(pub) && !NEGATIVE_ZERO.some((z) => same(z, pub)) && !SMALL_ORDER.some((z) => same(z, pub));
}

export function strictEd25519Sig(sig: Uint8Array): boolean {
  const r = sig.subarray(0, 32);
  return ltLE(sig.subarray(32, 64), ED_L) && canonicalY(r) && !NEGATIVE_ZERO.some((z) => same(z, r));
}

// Curve25519's field prime and Edwards d (RFC 8032 §5.1), for the decoding check below.
const P = 2n ** 255n - 19n;
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;

function powMod(b: bigint, e: bigint): bigint {
  let r = 1n;
  for (b %= P; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
}

/**
 * The encoding (A or R) decodes to a point on the curve (RFC 8032 §5.1.3, strict: y < p). WebKitGTK
 * 2.50's Ed25519 verify crashes the whole web process (every tab of the site) on a public key that is
 * not a point, so a peer could kill the app with one crafted handshake: such input never reaches the
 * engine. Noble answers false for it too. y decodes iff x² = u/v (u = y² - 1, v = d·y² + 1, never 0)
 * has a root, i.e. u·v is 0 or a square (Euler's criterion), and x = 0 must not carry the sign bit.
 * Written out rather than imported so WebCrypto engines never download noble's curve (pinned against
 * noble in tests/unit/crypto/ed25519-edge.test.ts). Costly (a field exponentiation in BigInt, ~0.2 ms),
 * hence decoded A is remembered with its key.
 */
export function ed25519PointDecodes(enc: Uint8Array): boolean {
  if (enc.length !== 32 || !canonicalY(enc)) return false;
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? enc[i]! & 0x7f : enc[i]!);
  const y2 = (y * y) % P;
  const u = (y2 - 1n + P) % P;
  if (u === 0n) return (enc[31]! & 0x80) === 0;
  const v = (D * y2 + 1n) % P;
  return powMod(u * v, (P - 1n) / 2n) === 1n;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}

function ltLE(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = a.length - 1; i >= 0; i--) {
    if (a[i] !== b[i]) return a[i]! < b[i]!;
  }
  return false;
}

/** y (low 255 bits) < p = 2^255 - 19. */
function canonicalY(enc: Uint8Array): boolean {
  if ((enc[31]! & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (enc[i] !== 0xff) return true;
  return enc[0]! < 0xed;
}
