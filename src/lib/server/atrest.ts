/**
 * Encryption of stored payloads (cloud message bodies, envelope bodies) under the server's at-rest key,
 * so the database file, its WAL and backups never hold message text in the clear.
 *
 * Blob format, version 1:  0x01 | nonce (12) | ciphertext | GCM tag (16)
 * The AAD is the version byte plus the row identity (e.g. "msg:<uuid>"), so a blob copied onto another
 * row fails to open instead of silently showing the wrong content.
 *
 * Version 2 has the same layout; it marks one chunk of a chunked file (./media-chunks.ts), so such a
 * file can be told from a version-1 single-shot one by its first byte.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

const VERSION = 1;
export const CHUNK_VERSION = 2;
type Version = typeof VERSION | typeof CHUNK_VERSION;
const NONCE = 12;
const TAG = 16;

export class AtRestError extends Error {
  override name = 'AtRestError';
}

export interface AtRest {
  seal(plain: Uint8Array, aad: string, version?: Version): Buffer;
  open(blob: Uint8Array, aad: string, version?: Version): Buffer;
}

/** Random nonces cut from a pooled buffer: one getrandom call per 341 seals instead of one each. */
const POOL = Buffer.alloc(NONCE * 341);
let poolAt = POOL.length;
function randomNonce(): Buffer {
  if (poolAt + NONCE > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const n = Buffer.from(POOL.subarray(poolAt, poolAt + NONCE)); // a copy: the pool is refilled later
  poolAt += NONCE;
  return n;
}

export function createAtRest(key: Uint8Array): AtRest {
  if (key.length !== 32) throw new AtRestError('at-rest key must be 32 bytes');
  const k = Buffer.from(key);
  const aadFor = (aad: string, v: Version) => Buffer.concat([Buffer.from([v]), Buffer.from(aad, 'utf8')]);
  return {
    seal(plain, aad, v = VERSION) {
      const nonce = randomNonce();
      const c = createCipheriv('aes-256-gcm', k, nonce, { authTagLength: TAG });
      c.setAAD(aadFor(aad, v));
      const head = Buffer.from([v]);
      return Buffer.concat([head, nonce, c.update(plain), c.final(), c.getAuthTag()]);
    },
    open(blob, aad, v = VERSION) {
      const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
      if (b.length < 1 + NONCE + TAG) throw new AtRestError('blob too short');
      if (b[0] !== v) throw new AtRestError(`unknown blob version ${b[0]}`);
      const nonce = b.subarray(1, 1 + NONCE);
      const tag = b.subarray(b.length - TAG);
      const d = createDecipheriv('aes-256-gcm', k, nonce, { authTagLength: TAG });
      d.setAAD(aadFor(aad, v));
      d.setAuthTag(tag);
      try {
        return Buffer.concat([d.update(b.subarray(1 + NONCE, b.length - TAG)), d.final()]);
      } catch {
        throw new AtRestError('blob failed authentication (wrong key or row)');
      }
    }
  };
}
