import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KEY_PICTURE_CELLS, KEY_PICTURE_GRID, KEY_PICTURE_PALETTE, keyPictureCells, keyPictureHash, keyPicturePaths } from '$lib/verify/picture';
import { EMOJI_COUNT, EMOJI_TABLE, fingerprintEmoji, fingerprintEmojiIndices, fingerprintHex } from '$lib/verify/emoji';
import { pathToCells } from './helpers';

const fpArb = fc.uint8Array({ minLength: 32, maxLength: 64 });

describe('key picture', () => {
  it('uses Telegram’s palette', () => {
    expect(KEY_PICTURE_PALETTE).toEqual(['#FFFFFF', '#D5E6F3', '#2D5775', '#2F99C9']);
  });

  it('yields 144 cells in 0..3 from a 36-byte hash', () => {
    fc.assert(
      fc.property(fpArb, (fp) => {
        expect(keyPictureHash(fp)).toHaveLength(36);
        const cells = keyPictureCells(fp);
        expect(cells).toHaveLength(KEY_PICTURE_CELLS);
        expect(cells.every((c) => Number.isInteger(c) && c >= 0 && c <= 3)).toBe(true);
      }),
      { numRuns: 200 }
    );
  });

  it('reads 2-bit cells low bits first', () => {
    // Cells 0..3 come from byte 0 of the hash: bits 1..0, 3..2, 5..4, 7..6.
    const fp = new Uint8Array(32).fill(7);
    const h = keyPictureHash(fp);
    const cells = keyPictureCells(fp);
    expect(cells.slice(0, 4)).toEqual([h[0] & 3, (h[0] >> 2) & 3, (h[0] >> 4) & 3, h[0] >> 6]);
    expect(cells[143]).toBe(h[35] >> 6);
  });

  it('paths cover every cell exactly once with its colour', () => {
    fc.assert(
      fc.property(fpArb, (fp) => {
        const cells = keyPictureCells(fp);
        const grids = keyPicturePaths(cells).map((d) => pathToCells(d, KEY_PICTURE_GRID));
        for (let i = 0; i < KEY_PICTURE_CELLS; i++) {
          const [x, y] = [i % KEY_PICTURE_GRID, Math.floor(i / KEY_PICTURE_GRID)];
          expect(grids.map((g) => g[y][x])).toEqual([0, 1, 2, 3].map((v) => v === cells[i]));
        }
      }),
      { numRuns: 50 }
    );
  });

  it('rejects too-short or too-long fingerprints', () => {
    expect(() => keyPictureCells(new Uint8Array(31))).toThrow(RangeError);
    expect(() => keyPictureCells(new Uint8Array(65))).toThrow(RangeError);
  });
});

describe('emoji table', () => {
  it('has exactly 256 distinct glyphs and names', () => {
    expect(EMOJI_TABLE).toHaveLength(256);
    expect(new Set(EMOJI_TABLE.map((x) => x.e)).size).toBe(256);
    expect(new Set(EMOJI_TABLE.map((x) => x.name)).size).toBe(256);
  });

  it('uses single code points with default emoji presentation (no VS16/ZWJ/skin tones)', () => {
    for (const { e, name } of EMOJI_TABLE) {
      expect([...e], name).toHaveLength(1);
      expect(/^\p{Emoji_Presentation}$/u.test(e), `${e} ${name}`).toBe(true);
      expect(/^\p{Emoji_Modifier_Base}$/u.test(e), `${e} ${name} takes skin tones`).toBe(false);
      expect(name).toMatch(/^[a-z][a-z' -]*[a-z]$/);
    }
  });

  it('avoids emoji newer than Emoji 11 (2018)', () => {
    // Code point ranges first assigned in Unicode 12+ (emoji 12.0–15.1).
    const newer: Array<[number, number]> = [
      [0x1fa70, 0x1faff],
      [0x1f7e0, 0x1f7ff],
      [0x1f90c, 0x1f90f],
      [0x1f93f, 0x1f93f],
      [0x1f971, 0x1f972],
      [0x1f977, 0x1f979],
      [0x1f97b, 0x1f97b],
      [0x1f9a3, 0x1f9af],
      [0x1f9ba, 0x1f9bf],
      [0x1f9c3, 0x1f9cf],
      [0x1f6d5, 0x1f6d7],
      [0x1f6dc, 0x1f6df],
      [0x1f6fa, 0x1f6fc]
    ];
    for (const { e, name } of EMOJI_TABLE) {
      const cp = e.codePointAt(0)!;
      expect(
        newer.some(([a, b]) => cp >= a && cp <= b),
        `${e} ${name}`
      ).toBe(false);
    }
  });

  it('excludes glyphs that read as a UI verdict', () => {
    const verdicts = ['✅', '❌', '❎', '✔', '⚠', '⛔', '🚫', '❗', '❓', '🆗'];
    for (const v of verdicts) expect(EMOJI_TABLE.some((x) => x.e === v)).toBe(false);
  });
});

describe('fingerprintEmoji', () => {
  it('gives 16 emoji (128 bits), one per digest byte', () => {
    fc.assert(
      fc.property(fpArb, (fp) => {
        const idx = fingerprintEmojiIndices(fp);
        expect(idx).toHaveLength(EMOJI_COUNT);
        expect(fingerprintEmoji(fp)).toEqual(idx.map((i) => EMOJI_TABLE[i]));
      }),
      { numRuns: 100 }
    );
  });

  it('changes when any single bit of the fingerprint flips', () => {
    fc.assert(
      fc.property(fpArb, fc.nat(), (fp, bit) => {
        const flipped = fp.slice();
        const b = bit % (fp.length * 8);
        flipped[b >> 3] ^= 1 << (b & 7);
        expect(fingerprintEmojiIndices(flipped)).not.toEqual(fingerprintEmojiIndices(fp));
      }),
      { numRuns: 200 }
    );
  });

  it('is domain-separated from a plain SHA-256 of the fingerprint', async () => {
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const fp = new Uint8Array(32).fill(1);
    expect(fingerprintEmojiIndices(fp)).not.toEqual(Array.from(sha256(fp).subarray(0, 16)));
  });
});

describe('fingerprintHex', () => {
  it('groups 4 uppercase hex chars, 8 groups per line', () => {
    const fp = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
    expect(fingerprintHex(fp)).toBe('A0A1 A2A3 A4A5 A6A7 A8A9 AAAB ACAD AEAF\nB0B1 B2B3 B4B5 B6B7 B8B9 BABB BCBD BEBF');
  });

  it('round-trips for any length 32..64, odd lengths included', () => {
    fc.assert(
      fc.property(fpArb, (fp) => {
        const s = fingerprintHex(fp);
        for (const line of s.split('\n')) {
          expect(line.split(' ').length).toBeLessThanOrEqual(8);
        }
        expect(s.replace(/[\s]/g, '').toLowerCase()).toBe(Buffer.from(fp).toString('hex'));
        expect(s).toMatch(/^[0-9A-F \n]+$/);
      })
    );
  });
});
