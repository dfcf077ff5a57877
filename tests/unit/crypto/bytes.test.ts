/** The one base64url codec (crypto/bytes.ts): Node's encoder agrees, and only the canonical text decodes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { b64url, b64urlDecode, fromB64url } from '../../../src/lib/crypto/bytes.js';
import { fromB64u, toB64u } from '../../../src/lib/api/b64.js';

describe('base64url', () => {
  it('round-trips and matches Node for any bytes, including sizes past the 32 KiB slice', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const s = b64url(b);
        expect(s).toBe(Buffer.from(b).toString('base64url'));
        expect(b64urlDecode(s)).toEqual(b);
      })
    );
    const big = Uint8Array.from({ length: 70_001 }, (_, i) => (i * 7) & 255);
    expect(b64url(big)).toBe(Buffer.from(big).toString('base64url'));
    expect(fromB64url(b64url(big))).toEqual(big);
  });

  it('pins RFC 4648 vectors (base64url alphabet, no padding)', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy']
    ];
    for (const [plain, text] of vectors) {
      expect(b64url(new TextEncoder().encode(plain))).toBe(text);
      expect(new TextDecoder().decode(fromB64url(text))).toBe(plain);
    }
    expect(b64url(Uint8Array.of(0xfb, 0xff))).toBe('-_8');
  });

  it('rejects every text that is not the one canonical form', () => {
    for (const bad of ['Zg==', 'Zm9v\n', 'Zm 9v', 'Zm9v+', 'Zm9v/', 'A', 'Zh', 'Zm9', 'Zm-', 'é', 'Zm9vYmFy=']) {
      expect(b64urlDecode(bad), bad).toBeNull();
      expect(() => fromB64url(bad)).toThrow('malformed base64url');
    }
    // Zm8 is canonical; Zm9 decodes to the same bytes with a non-zero unused bit.
    expect(b64urlDecode('Zm8')).toEqual(new TextEncoder().encode('fo'));
    expect(b64urlDecode('Zm9')).toBeNull();
  });

  it('is the codec the wire uses (api/b64 names the same functions)', () => {
    expect(toB64u).toBe(b64url);
    expect(fromB64u).toBe(fromB64url);
  });
});
