import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { QR_MAX_TEXT, compareScanned, encodeQrPayload, parseQrPayload, type VerifyPayload } from '$lib/verify/qr-payload';
import { b64url, b64urlDecode, equalBytes } from '$lib/crypto/bytes';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const ALICE = bytes(32, 1);
const BOB = bytes(32, 2);
const CAROL = bytes(32, 3);
const FP = bytes(32, 9);

/** The two codes in a healthy chat: each device's own view. */
const aliceCode: VerifyPayload = { fingerprint: FP, ownerKey: ALICE, peerKey: BOB };
const bobCode: VerifyPayload = { fingerprint: FP.slice(), ownerKey: BOB.slice(), peerKey: ALICE.slice() };

const rawText = (b: Uint8Array) => 'cinder:v1:' + Buffer.from(b).toString('base64url');
const validBytes = () => Uint8Array.from(Buffer.from(encodeQrPayload(aliceCode).slice(10), 'base64url'));

describe('encodeQrPayload / parseQrPayload', () => {
  it('round-trips any valid payload', () => {
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 64 }), key, key, (fingerprint, ownerKey, peerKey) => {
        const text = encodeQrPayload({ fingerprint, ownerKey, peerKey });
        expect(text.startsWith('cinder:v1:')).toBe(true);
        expect(text).toMatch(/^cinder:v1:[A-Za-z0-9_-]+$/);
        expect(text.length).toBeLessThanOrEqual(QR_MAX_TEXT);
        expect(parseQrPayload(text)).toEqual({ ok: true, version: 1, fingerprint, ownerKey, peerKey });
      })
    );
  });

  it('has the documented byte layout', () => {
    const b = validBytes();
    expect(b).toHaveLength(102);
    expect(Buffer.from(b.subarray(0, 4)).toString('latin1')).toBe('CNDR');
    expect([b[4], b[5]]).toEqual([1, 32]);
    expect(b.subarray(6, 38)).toEqual(FP);
    expect(b.subarray(38, 70)).toEqual(ALICE);
    expect(b.subarray(70, 102)).toEqual(BOB);
  });

  it('returns copies, not views into the decoded buffer', () => {
    const r = parseQrPayload(encodeQrPayload(aliceCode));
    if (!r.ok) throw new Error('expected ok');
    expect(r.fingerprint.byteOffset).toBe(0);
    expect(r.fingerprint.buffer.byteLength).toBe(32);
  });

  it('refuses to encode wrong-sized inputs', () => {
    expect(() => encodeQrPayload({ ...aliceCode, fingerprint: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => encodeQrPayload({ ...aliceCode, ownerKey: new Uint8Array(33) })).toThrow(RangeError);
    expect(() => encodeQrPayload({ ...aliceCode, peerKey: new Uint8Array(0) })).toThrow(RangeError);
  });

  it('tolerates surrounding whitespace from scanners', () => {
    expect(parseQrPayload(`  ${encodeQrPayload(aliceCode)}\n`).ok).toBe(true);
  });

  it.each([
    ['', 'not_cinder'],
    ['hello world', 'not_cinder'],
    ['https://example.com/?cinder:v1:AAAA', 'not_cinder'],
    ['CINDER:V1:AAAA', 'not_cinder'],
    ['cinder:', 'malformed'],
    ['cinder:v1', 'malformed'],
    ['cinder:vx:AAAA', 'malformed'],
    ['cinder:v1:', 'malformed'],
    ['cinder:v1:!!!!', 'malformed'],
    ['cinder:v1:AAAA=', 'malformed'],
    ['cinder:v1:AAA A', 'malformed'],
    ['cinder:v1:A', 'malformed'],
    ['cinder:v2:AAAA', 'unknown_version'],
    ['cinder:v10:AAAA', 'unknown_version'],
    ['cinder:v01:AAAA', 'unknown_version']
  ])('rejects %j as %s', (text, error) => {
    expect(parseQrPayload(text)).toEqual({ ok: false, error });
  });

  it('rejects non-strings without throwing', () => {
    for (const v of [undefined, null, 42, {}, [], new Uint8Array(4), Symbol('x')]) {
      expect(parseQrPayload(v)).toEqual({ ok: false, error: 'malformed' });
    }
  });

  it('rejects oversize input before parsing', () => {
    expect(parseQrPayload('cinder:v1:' + 'A'.repeat(QR_MAX_TEXT))).toEqual({ ok: false, error: 'too_long' });
    expect(parseQrPayload('x'.repeat(1_000_000))).toEqual({ ok: false, error: 'too_long' });
  });

  it('rejects a wrong magic, inner version, fingerprint length or total length', () => {
    const b = validBytes();
    const magic = b.slice();
    magic[0] ^= 1;
    expect(parseQrPayload(rawText(magic))).toEqual({ ok: false, error: 'malformed' });

    const ver = b.slice();
    ver[4] = 2;
    expect(parseQrPayload(rawText(ver))).toEqual({ ok: false, error: 'unknown_version' });

    for (const len of [0, 31, 33, 65, 255]) {
      const l = b.slice();
      l[5] = len;
      expect(parseQrPayload(rawText(l))).toEqual({ ok: false, error: 'malformed' });
    }
    expect(parseQrPayload(rawText(b.subarray(0, 101)))).toEqual({ ok: false, error: 'malformed' });
    expect(parseQrPayload(rawText(Uint8Array.of(...b, 0)))).toEqual({ ok: false, error: 'malformed' });
    expect(parseQrPayload(rawText(b.subarray(0, 5)))).toEqual({ ok: false, error: 'malformed' });
  });

  it('rejects non-canonical base64url (one payload, one text)', () => {
    const text = encodeQrPayload(aliceCode); // 102 bytes -> 136 chars, no leftover bits
    const short = rawText(validBytes().subarray(0, 101)); // 101 bytes -> ends in 2 leftover bits
    const last = short.at(-1)!;
    const idx = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(last);
    const tweaked = short.slice(0, -1) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[idx | 1];
    expect(b64urlDecode(tweaked.slice(10))).toBeNull();
    expect(parseQrPayload(text).ok).toBe(true);
  });

  it('never throws on random strings or random bytes behind the prefix', () => {
    const known = new Set(['not_cinder', 'unknown_version', 'too_long', 'malformed']);
    fc.assert(
      fc.property(fc.string({ maxLength: 700 }), (s) => {
        const r = parseQrPayload(s);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(known.has(r.error)).toBe(true);
      }),
      { numRuns: 500 }
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom('cinder:v1:', 'cinder:v2:', 'cinder:'), (b, p) => {
        const r = parseQrPayload(p + Buffer.from(b).toString('base64url'));
        if (r.ok) {
          // Only structurally valid payloads may parse.
          expect(Buffer.from(b.subarray(0, 5)).toString('latin1')).toBe('CNDR\x01');
        } else {
          expect(known.has(r.error)).toBe(true);
        }
      }),
      { numRuns: 500 }
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        const r = parseQrPayload(Buffer.from(b).toString('latin1'));
        expect(r.ok).toBe(false);
      }),
      { numRuns: 300 }
    );
  });

  it('rejects every single-character corruption that breaks the structure', () => {
    const text = encodeQrPayload(aliceCode);
    for (let i = 0; i < text.length; i++) {
      const c = text[i] === 'A' ? 'B' : 'A';
      const r = parseQrPayload(text.slice(0, i) + c + text.slice(i + 1));
      // Either rejected, or it parsed into a payload that differs from the original.
      if (r.ok) expect(compareScanned(r, aliceCode)).not.toBe('match');
    }
  });
});

describe('base64url helpers', () => {
  it('agree with Buffer for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const s = b64url(b);
        expect(s).toBe(Buffer.from(b).toString('base64url'));
        expect(b64urlDecode(s)).toEqual(b);
      })
    );
  });
});

describe('compareScanned', () => {
  it('matches the peer’s own code in a healthy chat, both directions', () => {
    expect(compareScanned(bobCode, aliceCode)).toBe('match');
    expect(compareScanned(aliceCode, bobCode)).toBe('match');
  });

  it('works on parsed codes', () => {
    const r = parseQrPayload(encodeQrPayload(bobCode));
    if (!r.ok) throw new Error('expected ok');
    expect(compareScanned(r, aliceCode)).toBe('match');
  });

  it('a single flipped fingerprint bit is a mismatch', () => {
    for (let bit = 0; bit < 256; bit++) {
      const fp = FP.slice();
      fp[bit >> 3] ^= 1 << (bit & 7);
      // Keys agree but the transcripts differ: exactly what a MITM on the key
      // exchange looks like, so it must not be explained away as another chat.
      expect(compareScanned({ ...bobCode, fingerprint: fp }, aliceCode)).toBe('mismatch');
      expect(compareScanned(bobCode, { ...aliceCode, fingerprint: fp })).toBe('mismatch');
    }
  });

  it('a single flipped bit in either identity key is a mismatch', () => {
    for (let bit = 0; bit < 256; bit++) {
      const k = BOB.slice();
      k[bit >> 3] ^= 1 << (bit & 7);
      expect(compareScanned({ ...bobCode, ownerKey: k }, aliceCode)).toBe('mismatch');
      const a = ALICE.slice();
      a[bit >> 3] ^= 1 << (bit & 7);
      expect(compareScanned({ ...bobCode, peerKey: a }, aliceCode)).toBe('mismatch');
    }
  });

  it('swapped owner/peer keys are not a match', () => {
    // Owner = Alice, peer = Bob is Alice's own view: scanning it back is her own code.
    expect(compareScanned(aliceCode, aliceCode)).toBe('wrong_chat');
    expect(compareScanned({ ...bobCode, ownerKey: ALICE, peerKey: BOB }, aliceCode)).toBe('wrong_chat');
    // Bob's code with its keys swapped *is* Alice's view, so for Bob it matches;
    // orientation, not just the key set, decides.
    expect(compareScanned({ ...bobCode, ownerKey: ALICE, peerKey: BOB }, bobCode)).toBe('match');
    expect(compareScanned(bobCode, bobCode)).toBe('wrong_chat');
    // Only one side swapped.
    expect(compareScanned({ ...bobCode, peerKey: BOB }, aliceCode)).toBe('mismatch');
    expect(compareScanned({ ...bobCode, ownerKey: ALICE, peerKey: ALICE }, aliceCode)).toBe('wrong_chat');
  });

  it('my own code for any chat is wrong_chat, never match', () => {
    expect(compareScanned({ fingerprint: bytes(32, 5), ownerKey: ALICE, peerKey: CAROL }, aliceCode)).toBe('wrong_chat');
  });

  it('reports a man-in-the-middle as mismatch even when fingerprints agree', () => {
    // Mallory sits between: Alice believes Bob is MALLORY_B, Bob believes Alice is MALLORY_A.
    const MALLORY_A = bytes(32, 66);
    const MALLORY_B = bytes(32, 77);
    const alice: VerifyPayload = { fingerprint: FP, ownerKey: ALICE, peerKey: MALLORY_B };
    const bob: VerifyPayload = { fingerprint: FP, ownerKey: BOB, peerKey: MALLORY_A };
    expect(compareScanned(bob, alice)).toBe('mismatch');
    expect(compareScanned(alice, bob)).toBe('mismatch');
    // Even if only one side was substituted.
    expect(compareScanned({ ...bobCode, peerKey: MALLORY_A }, aliceCode)).toBe('mismatch');
    expect(compareScanned(bobCode, { ...aliceCode, peerKey: MALLORY_B })).toBe('mismatch');
  });

  it('a code from an unrelated chat is a mismatch', () => {
    expect(compareScanned({ fingerprint: bytes(32, 5), ownerKey: CAROL, peerKey: BOB }, aliceCode)).toBe('mismatch');
  });

  it('a longer fingerprint never equals its 32-byte prefix', () => {
    const long = Uint8Array.of(...FP, 0);
    expect(compareScanned({ ...bobCode, fingerprint: long }, aliceCode)).not.toBe('match');
  });
});

describe('equalBytes', () => {
  it('agrees with naive equality', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        const naive = a.length === b.length && a.every((x, i) => x === b[i]);
        expect(equalBytes(a, b)).toBe(naive);
        expect(equalBytes(a, a.slice())).toBe(true);
      })
    );
  });

  it('handles different lengths, including zero-padded prefixes', () => {
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(equalBytes(new Uint8Array(0), new Uint8Array(1))).toBe(false);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBe(false);
    expect(equalBytes(Uint8Array.of(1, 2, 0), Uint8Array.of(1, 2))).toBe(false);
    // Length xor alone could cancel out; the byte loop must still catch it.
    expect(equalBytes(new Uint8Array(256), new Uint8Array(0))).toBe(false);
  });

  it('detects a difference in the last byte', () => {
    const a = new Uint8Array(1000);
    const b = a.slice();
    b[999] = 1;
    expect(equalBytes(a, b)).toBe(false);
  });
});
