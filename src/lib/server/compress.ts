/**
 * Response compression for JSON the relay marks as safe to compress (`Reply.compress`).
 *
 * Only answers that carry no secret beside attacker-chosen text opt in: compressing such a mix lets an
 * observer of the encrypted length guess the secret a byte at a time (BREACH). Cloud-chat pages mix
 * one sender's plaintext with another's and stay identity-encoded; secret-chat envelopes (ciphertext),
 * user search and public key bundles compress. Static files are precompressed at build time instead.
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Smaller bodies gain less than the encoding's framing and CPU cost. */
export const COMPRESS_MIN_BYTES = 1024;

export type Encoding = 'br' | 'gzip';

/** The best encoding `accept` (an Accept-Encoding header) allows: brotli, then gzip; null for identity. */
export function pickEncoding(accept: string | string[] | undefined): Encoding | null {
  const header = Array.isArray(accept) ? accept.join(',') : (accept ?? '');
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q=(.*)$/.exec(p);
      if (m) weight = Number(m[1].trim() || NaN);
    }
    q.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const allowed = (enc: string) => (q.get(enc) ?? (q.has('*') ? q.get('*')! : 0)) > 0;
  if (allowed('br')) return 'br';
  if (allowed('gzip')) return 'gzip';
  return null;
}

/** Brotli at quality 5 (close to gzip's speed, smaller output); gzip at zlib's default level. */
export function compress(body: Buffer, encoding: Encoding): Buffer {
  return encoding === 'br'
    ? brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
    : gzipSync(body);
}
