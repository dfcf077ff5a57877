/**
 * Chunked sealing of cloud-media files (./cloud-media.ts), so neither an upload nor a download holds a
 * whole file in memory. A file is a run of chunks; each is an at-rest seal (version 2, ./atrest.ts) of
 * MEDIA_CHUNK plaintext bytes (the last one 1..MEDIA_CHUNK) with the AAD "media:<id>:<index>:<final>".
 * So chunks cannot be reordered, swapped between media, or cut off: after a truncation the new last
 * chunk was sealed as not final and fails to open as the final one.
 *
 * Files written before chunking are one version-1 seal with the AAD "media:<id>" (at most
 * MAX_BLOB_BYTES); they are recognised by their first byte and still opened, whole.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { AtRestError, CHUNK_VERSION, type AtRest } from './atrest';

export const MEDIA_CHUNK = 64 * 1024;
/** Version byte, nonce and GCM tag around each chunk. */
export const CHUNK_OVERHEAD = 1 + 12 + 16;
const LEGACY_VERSION = 1;

const chunkAad = (id: string, index: number, final: boolean) => `media:${id}:${index}:${final ? 1 : 0}`;
const legacyAad = (id: string) => `media:${id}`;

/** Seals a plaintext stream into chunks. A full chunk is held until more bytes show it is not the last. */
export function createChunkSealer(atRest: AtRest, id: string, chunk = MEDIA_CHUNK): Transform {
  let held: Buffer[] = [];
  let heldLen = 0;
  let index = 0;
  const seal = (final: boolean) => {
    const plain = Buffer.concat(held, heldLen);
    held = [];
    heldLen = 0;
    const sealed = atRest.seal(plain, chunkAad(id, index++, final), CHUNK_VERSION);
    plain.fill(0);
    return sealed;
  };
  return new Transform({
    transform(data: Buffer, _enc, cb) {
      try {
        for (let off = 0; off < data.length;) {
          if (heldLen === chunk) this.push(seal(false));
          const take = Math.min(chunk - heldLen, data.length - off);
          held.push(data.subarray(off, off + take));
          heldLen += take;
          off += take;
        }
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb) {
      // Nothing at all: an empty upload, refused by the caller.
      if (heldLen > 0) this.push(seal(true));
      cb();
    }
  });
}

/**
 * The plaintext of media `id`, chunk by chunk, from an open sealed file (not closed here). Throws
 * AtRestError on anything tampered, truncated, reordered or sealed for another media.
 */
export async function* openChunks(atRest: AtRest, id: string, handle: FileHandle, legacyMax: number, chunk = MEDIA_CHUNK): AsyncGenerator<Buffer> {
  const size = (await handle.stat()).size;
  if (size === 0) throw new AtRestError('media file is empty');
  const head = Buffer.alloc(1);
  await handle.read(head, 0, 1, 0);
  if (head[0] === LEGACY_VERSION) {
    if (size > legacyMax + CHUNK_OVERHEAD) throw new AtRestError('legacy media file too large');
    yield atRest.open(await readAt(handle, Buffer.alloc(size), size, 0), legacyAad(id));
    return;
  }
  const sealedChunk = chunk + CHUNK_OVERHEAD;
  const n = Math.ceil(size / sealedChunk);
  const buf = Buffer.alloc(sealedChunk);
  for (let i = 0; i < n; i++) {
    const pos = i * sealedChunk;
    const len = Math.min(sealedChunk, size - pos);
    yield atRest.open(await readAt(handle, buf, len, pos), chunkAad(id, i, i === n - 1), CHUNK_VERSION);
  }
}

async function readAt(handle: FileHandle, buf: Buffer, len: number, pos: number): Promise<Buffer> {
  const { bytesRead } = await handle.read(buf, 0, len, pos);
  if (bytesRead !== len) throw new AtRestError('media file changed while being read');
  return buf.subarray(0, len);
}

/**
 * The plaintext of media `id` as a stream, closing `handle` when done. The first chunk is opened
 * before returning, so a damaged or foreign file is an error here (a 500) rather than a cut-off 200.
 */
export async function openMediaStream(atRest: AtRest, id: string, handle: FileHandle, legacyMax: number): Promise<Readable> {
  const chunks = openChunks(atRest, id, handle, legacyMax);
  let first: IteratorResult<Buffer>;
  try {
    first = await chunks.next();
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
  const body = Readable.from(
    (async function* () {
      if (!first.done) yield first.value;
      yield* chunks;
    })(),
    { objectMode: false }
  );
  // 'close' follows the end, an error and a destroy alike (a client that went away).
  body.once('close', () => void handle.close().catch(() => undefined));
  return body;
}
