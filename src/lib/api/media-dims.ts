/**
 * A photo's or video's size in pixels, sent with it so the peer reserves its box before the bytes
 * arrive. Cloud chats carry it in the `x-cinder-dims` upload header (sealed on the relay with the name
 * and MIME type, returned as the media's `width`/`height`); secret chats inside the file reference.
 * Optional everywhere: media without it shows a placeholder box until it is decoded.
 */

/** Largest side accepted as a media dimension (px). */
export const MEDIA_DIM_MAX = 16384;

/** Upload header of `POST /api/cloud/media`: `<width>x<height>`, e.g. `1280x720`. */
export const CLOUD_MEDIA_DIMS_HEADER = 'x-cinder-dims';

/** A width or height worth trusting: a whole number of pixels in 1..MEDIA_DIM_MAX. */
export const validDim = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MEDIA_DIM_MAX;

/** Only photos and videos have a size. */
export const hasDims = (mime: string): boolean => /^(image|video)\//i.test(mime);

export const dimsHeader = (width: number, height: number): string => `${width}x${height}`;

/** Parses the header; null when absent, an error message when present but malformed or out of range. */
export function parseDimsHeader(value: string | undefined): { ok: true; dims: { width: number; height: number } | null } | { ok: false; error: string } {
  if (value === undefined || value === '') return { ok: true, dims: null };
  const m = /^([0-9]{1,5})x([0-9]{1,5})$/.exec(value);
  if (!m) return { ok: false, error: 'must be <width>x<height> in pixels, e.g. 1280x720' };
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (!validDim(width) || !validDim(height)) return { ok: false, error: `each side must be 1 to ${MEDIA_DIM_MAX} pixels` };
  return { ok: true, dims: { width, height } };
}
