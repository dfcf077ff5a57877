// Test helpers for tests/unit/verify (not a test file itself).
export const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Inverse of the "M{x} {y}h{n}v1h-{n}z" run encoding used by picture/QR paths. */
export function pathToCells(d: string, size: number): boolean[][] {
  const grid = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  const re = /M(\d+) (\d+)h(\d+)v1h-(\d+)z/g;
  let consumed = 0;
  for (const m of d.matchAll(re)) {
    const [x, y, n, back] = [m[1], m[2], m[3], m[4]].map(Number);
    if (n !== back) throw new Error('unbalanced run');
    for (let i = 0; i < n; i++) {
      if (grid[y][x + i]) throw new Error(`cell ${x + i},${y} drawn twice`);
      grid[y][x + i] = true;
    }
    consumed += m[0].length;
  }
  if (consumed !== d.length) throw new Error('unexpected path syntax');
  return grid;
}
