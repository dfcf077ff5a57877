/** Ed25519 inputs where engines differ from strict RFC 8032 (noble): both backends must give the same answer. */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { sha512 } from '@noble/hashes/sha2.js';
import { concat, fromHex } from '../../../src/lib/crypto/bytes.js';
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
