/** Profile photos: what the relay takes (type by magic bytes, size) and what both sides read back. */

/** At most this many bytes (the page re-encodes to 512×512, well under it). */
export const PHOTO_MAX = 256 * 1024;
/** The page's re-encoded square's side. */
export const PHOTO_SIDE = 512;

export type PhotoType = 'image/jpeg' | 'image/webp';
export const PHOTO_TYPES: readonly PhotoType[] = ['image/jpeg', 'image/webp'];

/** The type the bytes really are (JPEG's SOI marker, WebP's RIFF…WEBP header), or null. */
export function photoType(b: Uint8Array): PhotoType | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return null;
}
