/**
 * Wycheproof vectors against our wrappers, for BOTH backends: valid cases must pass, invalid cases
 * must be rejected, X25519 "acceptable" cases must either match or (all-zero secret) be 'low_order'.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nobleBackend, webcryptoBackend, type CryptoBackend } from '../../../src/lib/crypto/backend.js';
import { fromHex, toHex } from '../../../src/lib/crypto/bytes.js';
import { isProtocolError } from '../../../src/lib/crypto/errors.js';
import { open, seal } from '../../../src/lib/crypto/aead.js';
import { kemDecapsulate, kemEncapsulate } from '../../../src/lib/crypto/kem.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';

const load = (f: string) => JSON.parse(readFileSync(new URL(`../../fixtures/wycheproof/${f}`, import.meta.url), 'utf8'));
type T = Record<string, any>;
const tests = (f: string): { g: T; t: T }[] => load(f).testGroups.flatMap((g: T) => g.tests.map((t: T) => ({ g, t })));

// WebCrypto with its runtime safety net: count what noble had to answer, so a valid case can never
// pass just because noble stepped in.
const fallbacks: string[] = [];
const backends: CryptoBackend[] = [webcryptoBackend({ fallback: nobleBackend(), onFallback: (p) => fallbacks.push(p) }), nobleBackend()];

describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_name, b) => {
  it('X25519 (xdh_comp, all 518 cases)', async () => {
    let valid = 0,
      lowOrder = 0;
    for (const { t } of tests('x25519_test.json')) {
      const priv = fromHex(t.private);
      const my = { priv, pub: await b.x25519PublicKey(priv) };
      const shared = /^0+$/.test(t.shared);
      const before = fallbacks.length;
      const got = await b.x25519(my, fromHex(t.public)).then(toHex, (e) => e);
      if (!shared) expect(fallbacks.length, `tc ${t.tcId} answered by noble`).toBe(before);
      if (shared) {
        // acceptable (low-order public key): must be rejected with the typed code.
        expect(isProtocolError(got, 'low_order'), `tc ${t.tcId}`).toBe(true);
        lowOrder++;
      } else {
        expect(got, `tc ${t.tcId} ${t.comment}`).toBe(t.shared);
        valid++;
      }
    }
    expect(valid).toBeGreaterThan(400);
    expect(lowOrder).toBeGreaterThan(10);
  });

  it('Ed25519 verify (strict RFC 8032)', async () => {
    let n = 0;
    for (const { g, t } of tests('ed25519_test.json')) {
      const before = fallbacks.length;
      const ok = await b.ed25519Verify(fromHex(g.publicKey.pk), fromHex(t.msg), fromHex(t.sig));
      if (t.result === 'valid') expect(fallbacks.length, `tc ${t.tcId} answered by noble`).toBe(before);
      expect(ok, `tc ${t.tcId} ${t.comment} ${t.flags}`).toBe(t.result === 'valid');
      n++;
    }
    expect(n).toBe(151);
  });

  it('Ed25519 sign reproduces the valid signatures (RFC 8032 deterministic)', async () => {
    // Groups carrying the private key.
    for (const g of load('ed25519_test.json').testGroups.filter((g: T) => g.privateKey)) {
      const seed = fromHex(g.privateKey.sk);
      const pub = await b.ed25519PublicKey(seed);
      expect(toHex(pub)).toBe(g.publicKey.pk);
      for (const t of g.tests.filter((t: T) => t.result === 'valid')) {
        expect(toHex(await b.ed25519Sign({ priv: seed, pub }, fromHex(t.msg)))).toBe(t.sig);
      }
    }
    expect(fallbacks.filter((p) => p !== 'x25519' && p !== 'ed25519Verify')).toEqual([]);
  });

  it('HKDF-SHA-256', async () => {
    for (const { t } of tests('hkdf_sha256_test.json')) {
      const got = await b.hkdfSha256(fromHex(t.ikm), fromHex(t.salt), fromHex(t.info), t.size).then(toHex, (e) => e);
      if (t.result === 'valid') expect(got, `tc ${t.tcId}`).toBe(t.okm);
      else expect(isProtocolError(got, 'malformed'), `tc ${t.tcId}`).toBe(true);
    }
  });

  it('HMAC-SHA-256 (tag compare, truncated tags per group)', async () => {
    for (const { g, t } of tests('hmac_sha256_test.json')) {
      const full = await b.hmacSha256(fromHex(t.key), fromHex(t.msg));
      const ok = toHex(full.subarray(0, g.tagSize / 8)) === t.tag;
      expect(ok, `tc ${t.tcId}`).toBe(t.result === 'valid');
    }
  });
});

describe('XChaCha20-Poly1305 wrapper (same noble AEAD in both backends)', () => {
  it('all Wycheproof cases', () => {
    let valid = 0;
    for (const { t } of tests('xchacha20_poly1305_test.json')) {
      const [key, iv, aad, msg] = [t.key, t.iv, t.aad, t.msg].map(fromHex);
      const ct = fromHex(t.ct + t.tag);
      const dec = (() => {
        try {
          return toHex(open(key, iv, aad, ct));
        } catch (e) {
          return e;
        }
      })();
      if (t.result === 'valid') {
        expect(dec, `tc ${t.tcId}`).toBe(t.msg);
        expect(toHex(seal(key, iv, aad, msg))).toBe(t.ct + t.tag);
        valid++;
      } else {
        expect(isProtocolError(dec), `tc ${t.tcId} ${t.comment}`).toBe(true);
      }
    }
    expect(valid).toBeGreaterThan(200);
  });
});

describe('ML-KEM-768 wrapper', () => {
  it('decapsulation vectors (valid incl. implicit rejection; malformed rejected as bad_kem)', () => {
    for (const { t } of tests('mlkem_768_test.json')) {
      const seed = fromHex(t.seed);
      if (seed.length !== 64) {
        // "Private key too short/long": our keygen takes exactly 64 bytes of seed.
        expect(() => ml_kem768.keygen(seed), `tc ${t.tcId}`).toThrow();
        continue;
      }
      const { secretKey, publicKey } = ml_kem768.keygen(seed);
      expect(toHex(publicKey)).toBe(t.ek);
      const got = (() => {
        try {
          return toHex(kemDecapsulate(fromHex(t.c), secretKey));
        } catch (e) {
          return e;
        }
      })();
      if (t.result === 'valid') expect(got, `tc ${t.tcId}`).toBe(t.K);
      else expect(isProtocolError(got, 'bad_kem'), `tc ${t.tcId} ${t.comment}`).toBe(true);
    }
  });

  it('encapsulation vectors (deterministic m; non-reduced / wrong-length keys rejected as bad_kem)', () => {
    for (const { t } of tests('mlkem_768_encaps_test.json')) {
      const m = fromHex(t.m);
      const got = (() => {
        try {
          const r = kemEncapsulate(fromHex(t.ek), () => m.slice());
          return { c: toHex(r.cipherText), K: toHex(r.sharedSecret) };
        } catch (e) {
          return e;
        }
      })();
      if (t.result === 'valid') expect(got, `tc ${t.tcId}`).toEqual({ c: t.c, K: t.K });
      else expect(isProtocolError(got, 'bad_kem'), `tc ${t.tcId} ${t.comment}`).toBe(true);
    }
  });
});
