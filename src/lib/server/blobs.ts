/**
 * Encrypted media blobs (secret-chat attachments) as files in DATA_DIR/blobs/<id>. The bytes are the
 * client's ciphertext; the relay never parses them. Uploads stream into a temp file in the same
 * directory (renamed into place once complete), so a half-written blob is never visible; the row in
 * the store (size, owner, recipient, expiry) is the source of truth and the file only its payload.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClientGone, HttpError } from './http';

export const BLOBS_DIR = 'blobs';
/** Cloud-chat media (sealed with the at-rest key; ./cloud-media.ts). */
export const MEDIA_DIR = 'media';
const TMP_PREFIX = '.tmp-';

export interface BlobFiles {
  readonly dir: string;
  /**
   * Streams the request body into a fresh temp file, refusing (and deleting it) as soon as more than
   * `limit` bytes arrive: `tooMuch()` is thrown then. Returns the temp path and the size received.
   * With `through`, the body passes through it on the way to the file (cloud media: chunked sealing).
   */
  receive(req: IncomingMessage, limit: number, tooMuch: () => HttpError, through?: Transform): Promise<{ tmp: string; size: number }>;
  /** Moves a received temp file into place as blob `id`. */
  commit(tmp: string, id: string): Promise<void>;
  /** Writes `data` as blob `id` (through a temp file renamed into place). */
  write(id: string, data: Uint8Array): Promise<void>;
  /** Writes a stream as blob `id` (through a temp file renamed into place; removed if the stream fails). */
  writeFrom(id: string, source: Readable): Promise<void>;
  /** Reads blob `id` whole, or null when its file is gone. */
  read(id: string): Promise<Buffer | null>;
  /** Opens blob `id` for reading, or null when its file is gone. */
  open(id: string): Promise<FileHandle | null>;
  /** Removes a blob's file or a temp file; missing files are fine. */
  remove(idOrTmp: string): Promise<void>;
}

const ignoreMissing = (e: unknown) => {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
};

export function createBlobFiles(dataDir: string, sub: string = BLOBS_DIR): BlobFiles {
  const dir = join(dataDir, sub);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Blob ids are base64url, so they never start with '.': temp names can't collide with them.
  const path = (idOrTmp: string) => (idOrTmp.startsWith('/') ? idOrTmp : join(dir, idOrTmp));

  return {
    dir,

    receive(req, limit, tooMuch, through) {
      const tmp = join(dir, TMP_PREFIX + randomBytes(12).toString('base64url'));
      return new Promise((resolve, reject) => {
        const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
        const sink = through ?? out;
        through?.pipe(out);
        let size = 0;
        let settled = false;
        const cleanup = () => {
          req.off('data', onData);
          req.off('end', onEnd);
          req.off('error', onGone);
          req.off('aborted', onGone);
        };
        const fail = (err: Error) => {
          if (settled) return;
          settled = true;
          cleanup();
          through?.destroy();
          out.destroy();
          // Discard the rest; the reply carries `connection: close`, so the socket is cut after it.
          req.resume();
          // The file may still be opening: remove it once the stream has closed (else it would be
          // created after the unlink and left behind). The client is answered at once.
          const closed = out.closed ? Promise.resolve() : new Promise<void>((r) => out.once('close', () => r()));
          void closed.then(() => unlink(tmp).catch(() => undefined));
          reject(err);
        };
        const onData = (c: Buffer) => {
          size += c.length;
          if (size > limit) return fail(tooMuch());
          if (!sink.write(c)) {
            req.pause();
            sink.once('drain', () => req.resume());
          }
        };
        const onEnd = () => {
          cleanup();
          sink.end();
        };
        const onGone = () => fail(new ClientGone());
        out.on('error', (e) => fail(e));
        through?.on('error', (e) => fail(e));
        out.on('finish', () => {
          if (settled) return;
          settled = true;
          resolve({ tmp, size });
        });
        req.on('data', onData);
        req.on('end', onEnd);
        req.on('error', onGone);
        req.on('aborted', onGone);
      });
    },

    async commit(tmp, id) {
      await rename(tmp, path(id));
    },

    async write(id, data) {
      const tmp = join(dir, TMP_PREFIX + randomBytes(12).toString('base64url'));
      try {
        await writeFile(tmp, data, { flag: 'wx', mode: 0o600 });
        await rename(tmp, path(id));
      } catch (e) {
        await unlink(tmp).catch(() => undefined);
        throw e;
      }
    },

    async writeFrom(id, source) {
      const tmp = join(dir, TMP_PREFIX + randomBytes(12).toString('base64url'));
      try {
        await pipeline(source, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
        await rename(tmp, path(id));
      } catch (e) {
        await unlink(tmp).catch(() => undefined);
        throw e;
      }
    },

    async read(id) {
      let h: FileHandle;
      try {
        h = await open(path(id), 'r');
      } catch (e) {
        ignoreMissing(e);
        return null;
      }
      try {
        return await h.readFile();
      } finally {
        await h.close().catch(() => undefined);
      }
    },

    async open(id) {
      try {
        return await open(path(id), 'r');
      } catch (e) {
        ignoreMissing(e);
        return null;
      }
    },

    async remove(idOrTmp) {
      await unlink(path(idOrTmp)).catch(ignoreMissing);
    }
  };
}
