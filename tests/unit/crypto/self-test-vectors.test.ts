/**
 * The backend self-test compares WebCrypto with answers pinned in self-test-vectors.ts instead of
 * computing them with noble at start-up. Here noble recomputes every pinned value, so a typo in a
 * vector fails CI rather than silently sending a sound engine's primitive to noble on every device.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { nobleBackend, PRIMITIVES, selfTest } from '../../../src/lib/crypto/backend.js';
import { toHex } from '../../../src/lib/crypto/bytes.js';
import * as V from '../../../src/lib/crypto/backend/self-test-vectors.js';

const hex = toHex;
const noble = nobleBackend();

describe('self-test vectors are noble’s answers', () => {
  it('RFC 7748 §6.1 and §5.2 (and the §5.2 scalars’ public keys)', () => {
    for (const k of [V.ALICE, V.BOB]) expect(hex(x25519.getPublicKey(k.priv))).toBe(hex(k.pub));
    expect(hex(x25519.getSharedSecret(V.ALICE.priv, V.BOB.pub))).toBe(hex(V.ALICE_BOB));
    expect(hex(x25519.getSharedSecret(V.BOB.priv, V.ALICE.pub))).toBe(hex(V.ALICE_BOB));
    for (const v of V.RFC7748_52) {
      expect(hex(x25519.getPublicKey(v.k))).toBe(hex(v.pub));
      expect(hex(x25519.getSharedSecret(v.k, v.u))).toBe(hex(v.out));
    }
  });

  it('zero-byte keys: X25519 public key and shared secret, Ed25519 public key and signature', () => {
    for (const [i, k] of V.ZERO_KEYS.entries()) {
      expect(hex(x25519.getPublicKey(k.priv)), `xPub ${i}`).toBe(hex(k.xPub));
      expect(hex(x25519.getSharedSecret(k.priv, V.ALICE.pub)), `xShared ${i}`).toBe(hex(k.xShared));
      expect(hex(ed25519.getPublicKey(k.priv)), `edPub ${i}`).toBe(hex(k.edPub));
      expect(hex(ed25519.sign(V.MSG, k.priv)), `edSig ${i}`).toBe(hex(k.edSig));
    }
  });

  it('the zero-byte keys have the zero bytes they are there for', () => {
    const [lead, twoLead, trail, clamped] = V.ZERO_KEYS.map((k) => k.priv);
    expect([lead[0], twoLead[0], twoLead[1], trail[31], clamped[0] & 0xf8]).toEqual([0, 0, 0, 0, 0]);
    expect(lead[1]).not.toBe(0);
    expect([V.X_PUB_ZERO.pub[0], V.ED_PUB_ZERO.pub[0]]).toEqual([0, 0]);
  });

  it('keys whose public key starts with a zero byte', () => {
    expect(hex(x25519.getPublicKey(V.X_PUB_ZERO.priv))).toBe(hex(V.X_PUB_ZERO.pub));
    expect(hex(x25519.getSharedSecret(V.ALICE.priv, V.X_PUB_ZERO.pub))).toBe(hex(V.X_PUB_ZERO.shared));
    expect(hex(ed25519.getPublicKey(V.ED_PUB_ZERO.seed))).toBe(hex(V.ED_PUB_ZERO.pub));
    expect(hex(ed25519.sign(V.MSG, V.ED_PUB_ZERO.seed))).toBe(hex(V.ED_PUB_ZERO.sig));
  });

  it('RFC 8032 §7.1 tests 1-3 and test 1’s key signing MSG', () => {
    for (const v of V.RFC8032) {
      expect(hex(ed25519.getPublicKey(v.seed))).toBe(hex(v.pub));
      expect(hex(ed25519.sign(v.msg, v.seed))).toBe(hex(v.sig));
    }
    expect(hex(ed25519.sign(V.MSG, V.RFC8032[0].seed))).toBe(hex(V.RFC8032_1_MSG_SIG));
  });

  it('low-order points end in low_order', async () => {
    for (const u of V.LOW_ORDER) await expect(noble.x25519(V.ALICE, u)).rejects.toMatchObject({ code: 'low_order' });
  });

  it('HKDF-SHA-256 outputs, and the out-of-range lengths noble refuses', async () => {
    for (const v of V.HKDF) {
      if (typeof v.want === 'string') await expect(noble.hkdfSha256(v.ikm, v.salt, v.info, v.length), v.label).rejects.toMatchObject({ code: v.want });
      else expect(hex(hkdf(sha256, v.ikm, v.salt, v.info, v.length)), v.label).toBe(hex(v.want));
    }
  });

  it('HMAC-SHA-256 outputs', () => {
    for (const v of V.HMAC) expect(hex(hmac(sha256, v.key, v.msg)), v.label).toBe(hex(v.want));
  });

  it('noble passes the whole self-test (verdicts and error codes included)', async () => {
    expect(await selfTest(noble)).toEqual(Object.fromEntries(PRIMITIVES.map((p) => [p, null])));
  });
});
