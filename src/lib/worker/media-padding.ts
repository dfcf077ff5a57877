/**
 * Secret-chat attachments padded before encryption (issue #20 §4): the relay stores a blob whose size
 * is a Padmé bucket (crypto/padding.ts) + 28 bytes, not the file's exact size + 28, so it learns
 * O(log log n) bits of the length (at most ~6% overhead above 256 bytes, ~3% above 64 KiB).
 *
 * Format (inside the AES-GCM ciphertext): the file's bytes, then zeros up to mediaPaddedLength(size).
 * The file's true size travels in the encrypted message (FileRef.size) with the flag `pad: 1`; the
 * receiver checks the length and the zeros and cuts the padding off. A FileRef without the flag is the
 * older format (no padding) and opens as before.
 */
import { LIMITS } from '$lib/api/limits';
import { paddedLength } from '$lib/crypto/padding';
import { NetError } from './net';

/** The FileRef flag of a padded blob. */
export const MEDIA_PAD = 1 as const;

/** Largest padded plaintext: a file the app accepts may not be pushed over the relay's blob limit by its padding. */
export const MEDIA_PAD_MAX = LIMITS.fileMax - 64;

/** The bucket a file of `size` bytes is padded to: Padmé (256-byte floor), capped at MEDIA_PAD_MAX (the top bucket). */
export function mediaPaddedLength(size: number, max = MEDIA_PAD_MAX): number {
  if (size >= max) return size;
  return Math.min(paddedLength(size), max);
}

/** The file followed by zeros up to its bucket (a fresh buffer; the input is left as it is). */
export function padMedia(plain: Uint8Array, max = MEDIA_PAD_MAX): Uint8Array {
  const out = new Uint8Array(mediaPaddedLength(plain.length, max));
  out.set(plain);
  return out;
}

/**
 * The file inside a decrypted blob. `pad` and `size` come from the encrypted message: a padded blob
 * must be exactly its bucket long with only zeros after the file, else it is rejected (canonical
 * padding, as for frames). Without the flag the blob is the older, unpadded format.
 */
export function unpadMedia(plain: Uint8Array, size: number, pad: number | undefined, max = MEDIA_PAD_MAX): Uint8Array {
  if (pad === undefined) return plain;
  if (pad !== MEDIA_PAD || !Number.isSafeInteger(size) || size < 0 || plain.length !== mediaPaddedLength(size, max))
    throw new NetError('bad_media', 'The attachment is damaged (padding)');
  for (let i = size; i < plain.length; i++) if (plain[i] !== 0) throw new NetError('bad_media', 'The attachment is damaged (padding)');
  return plain.subarray(0, size);
}
