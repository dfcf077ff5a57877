// Telegram-compatible "encryption key" picture (the 12x12 identicon shown in
// secret chats). Same derivation as Telegram's IdenticonDrawable so the look is
// familiar; the input here is our fingerprint instead of Telegram's auth key.
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertFingerprint } from './bytes';
import { concat } from '$lib/crypto/bytes';

export const KEY_PICTURE_GRID = 12;
export const KEY_PICTURE_CELLS = KEY_PICTURE_GRID * KEY_PICTURE_GRID; // 144

/** Colour of cell value 0..3 (Telegram's palette). */
export const KEY_PICTURE_PALETTE = ['#FFFFFF', '#D5E6F3', '#2D5775', '#2F99C9'] as const;

/** 36 bytes = SHA-1(fp)[0..16) ‖ SHA-256(fp)[0..20); 288 bits = 144 cells × 2 bits. */
export function keyPictureHash(fp: Uint8Array): Uint8Array {
  assertFingerprint(fp);
  return concat(sha1(fp).subarray(0, 16), sha256(fp).subarray(0, 20));
}

/** 144 cell values (0..3), row-major: left→right, top→bottom. */
export function keyPictureCells(fp: Uint8Array): number[] {
  const hash = keyPictureHash(fp);
  const cells: number[] = new Array(KEY_PICTURE_CELLS);
  for (let i = 0; i < KEY_PICTURE_CELLS; i++) {
    const off = 2 * i;
    // Low bits of each byte first; 2-bit cells never straddle a byte since off is even.
    cells[i] = (hash[off >> 3] >> (off & 7)) & 3;
  }
  return cells;
}

/**
 * One SVG path per palette colour (index = cell value) in a 12×12 user space,
 * so a renderer needs 4 DOM nodes instead of 144. Horizontal runs are merged.
 */
export function keyPicturePaths(cells: readonly number[]): [string, string, string, string] {
  if (cells.length !== KEY_PICTURE_CELLS) throw new RangeError('expected 144 cells');
  const paths: [string, string, string, string] = ['', '', '', ''];
  for (let y = 0; y < KEY_PICTURE_GRID; y++) {
    let x = 0;
    while (x < KEY_PICTURE_GRID) {
      const v = cells[y * KEY_PICTURE_GRID + x];
      let run = 1;
      while (x + run < KEY_PICTURE_GRID && cells[y * KEY_PICTURE_GRID + x + run] === v) run++;
      paths[v & 3] += `M${x} ${y}h${run}v1h-${run}z`;
      x += run;
    }
  }
  return paths;
}
