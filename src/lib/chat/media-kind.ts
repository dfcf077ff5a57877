/**
 * How an attachment is shown: what kind of viewer its MIME type gets, and the box it reserves in the
 * message list before its bytes arrive (so a photo loading late never pushes the newest message out
 * of view). Pure: the components and the tests share it.
 */
import { validDim } from '$lib/api/media-dims';

export type MediaKind = 'image' | 'video' | 'audio' | 'pdf' | 'text' | 'other';

/** Text types shown as plain text (never as markup) in the viewer. */
const TEXT_TYPES = new Set(['application/json', 'application/xml', 'application/x-yaml', 'application/javascript', 'application/x-sh']);

/** The viewer an attachment of type `mime` gets (parameters such as `; charset=` are ignored). */
export function mediaKind(mime: string): MediaKind {
  const t = mime.split(';')[0].trim().toLowerCase();
  if (/^image\/[a-z0-9.+-]+$/.test(t)) return 'image';
  if (/^video\/[a-z0-9.+-]+$/.test(t)) return 'video';
  if (/^audio\/[a-z0-9.+-]+$/.test(t)) return 'audio';
  if (t === 'application/pdf') return 'pdf';
  if (/^text\/[a-z0-9.+-]+$/.test(t) || TEXT_TYPES.has(t)) return 'text';
  return 'other';
}

/** The largest box a photo or video takes in a bubble (CSS px); it shrinks further on a narrow screen. */
export const MEDIA_MAX = { width: 280, height: 320 } as const;
/** The box of media whose size was not sent (messages from before sizes travelled, or unreadable files). */
export const MEDIA_PLACEHOLDER = { width: 240, height: 180 } as const;
/** Largest side accepted as a media dimension (px), and the check: anything else is treated as unknown. */
export { MEDIA_DIM_MAX, validDim } from '$lib/api/media-dims';

/**
 * The box (CSS px, whole numbers, at least 1) that media of `width`×`height` takes: scaled down to fit
 * `max` keeping its shape, never scaled up; unknown or invalid sizes get the placeholder box.
 */
export function mediaBox(width: number | undefined, height: number | undefined, max: { width: number; height: number } = MEDIA_MAX) {
  if (!validDim(width) || !validDim(height)) return { width: Math.min(MEDIA_PLACEHOLDER.width, max.width), height: Math.min(MEDIA_PLACEHOLDER.height, max.height) };
  const scale = Math.min(1, max.width / width, max.height / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
