/** Ed25519 inputs where engines differ from strict RFC 8032 (noble): both backends must give the same answer. */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { ed25519PointDecodes } from '../../../src/lib/crypto/backend/checks.js';
import { concat, fromHex, toHex } from '../../../src/lib/crypto/bytes.js';
import { backends } from './helpers.js';

const ID = '0100000000000000000000000000000000000000000000000000000000000000';
const ORD8 = 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a';
const NEG_ZERO = '0100000000000000000000000000000000000000000000000000000000000080';
const Z32 = '00'.repeat(32);
const msg = new Uint8Array([1, 2, 3]);
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const leToBig = (b: Uint8Array) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const bigToLe = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 255n));

// [label, public key, signature]; noble (zip215:false) rejects all of them.
const cases: [string, string, string][] = [
  ['identity A, identity R, S = 0 (OpenSSL accepts for any message)', ID, ID + Z32],
  ['order-8 A, identity R, S = 0', ORD8, ID + Z32],
  ['negative-zero A', NEG_ZERO, ID + Z32],
  ['negative-zero R', ID, NEG_ZERO + Z32]
];

describe('Ed25519 strict edge cases agree across backends', () => {
  it.each(cases)('%s', async (_l, pub, sig) => {
    expect(ed25519.verify(fromHex(sig), msg, fromHex(pub), { zip215: false })).toBe(false);
    for (const b of backends) expect(await b.ed25519Verify(fromHex(pub), msg, fromHex(sig)), b.name).toBe(false);
  });

  it("a key owner's signature with a negative-zero R (valid as an equation) is rejected by both", async () => {
    // R = identity and S = k·a mod L satisfy [S]B = R + [k]A, so only the encoding rule rejects it.
    const seed = new Uint8Array(32).fill(7);
    const { scalar, pointBytes: pub } = ed25519.utils.getExtendedPublicKey(seed);
    const r = fromHex(NEG_ZERO);
    const k = leToBig(sha512(concat(r, pub, msg))) % L;
    const sig = concat(r, bigToLe((k * scalar) % L));
    // Control: the same construction with the canonical identity encoding is a valid signature.
    const k2 = leToBig(sha512(concat(fromHex(ID), pub, msg))) % L;
    expect(ed25519.verify(concat(fromHex(ID), bigToLe((k2 * scalar) % L)), msg, pub, { zip215: false })).toBe(true);
    for (const b of backends) expect(await b.ed25519Verify(pub, msg, sig), b.name).toBe(false);
  });
});

/** noble's strict decoding (zip215: false), the reference for checks.ts's own. */
const nobleDecodes = (enc: Uint8Array): boolean => {
  try {
    ed25519.Point.fromBytes(enc, false);
    return true;
  } catch {
    return false;
  }
};
const P = 2n ** 255n - 19n;
const withSign = (n: bigint) => {
  const b = bigToLe(n);
  b[31]! |= 0x80;
  return b;
};

describe('ed25519PointDecodes (written out so WebCrypto engines need no noble) decodes exactly what noble does', () => {
  it('edge encodings: small-order points, negative zero, y = 0, ±1, p - 1, non-canonical y ≥ p, each with and without the sign bit', () => {
    const ys = [0n, 1n, 2n, P - 1n, P - 2n, P, P + 1n, P + 18n, 2n ** 255n - 1n, (P - 1n) / 2n];
    const encodings = [...ys.flatMap((y) => [bigToLe(y & (2n ** 255n - 1n)), withSign(y & (2n ** 255n - 1n))]), fromHex(ID), fromHex(ORD8), fromHex(NEG_ZERO)];
    let points = 0;
    for (const enc of encodings) {
      const want = nobleDecodes(enc);
      points += want ? 1 : 0;
      expect(ed25519PointDecodes(enc), toHex(enc)).toBe(want);
    }
    expect(points).toBeGreaterThan(4); // both answers occur
    expect(points).toBeLessThan(encodings.length);
  });

  it('random encodings (about half are points) and real public keys with either sign', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (enc) => {
        expect(ed25519PointDecodes(enc)).toBe(nobleDecodes(enc));
      }),
      { numRuns: 2000 }
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), (seed, flip) => {
        const pub = ed25519.getPublicKey(seed);
        if (flip) pub[31]! ^= 0x80; // the point's mirror image: still a point, unless x = 0
        expect(ed25519PointDecodes(pub)).toBe(nobleDecodes(pub));
      }),
      { numRuns: 300 }
    );
  });

  it('refuses anything that is not 32 bytes', () => {
    expect(ed25519PointDecodes(new Uint8Array(31))).toBe(false);
    expect(ed25519PointDecodes(new Uint8Array(33))).toBe(false);
  });
});
