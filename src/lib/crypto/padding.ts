/**
 * Padmé padding (Nikitin et al., PETS 2019) with a 256-byte floor: the padded length keeps only the
 * top ~log2(log2(L))+1 significant bits of L, so the relay learns O(log log L) bits of the length
 * with at most ~12% overhead (powers of two would cost up to 100%).
 */
export const MIN_PADDED = 256;

export function paddedLength(len: number): number {
  if (!Number.isSafeInteger(len) || len < 0) throw new RangeError('length');
  if (len <= MIN_PADDED) return MIN_PADDED;
  const e = Math.floor(Math.log2(len));
  const s = Math.floor(Math.log2(e)) + 1;
  const step = 2 ** (e - s);
  return Math.ceil(len / step) * step;
}
