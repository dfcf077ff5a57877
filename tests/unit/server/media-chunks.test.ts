/** Chunked at-rest sealing of cloud media (src/lib/server/media-chunks.ts). */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createAtRest } from '../../../src/lib/server/atrest';
import { CHUNK_OVERHEAD, createChunkSealer, openChunks, openMediaStream } from '../../../src/lib/server/media-chunks';
import { tempDir } from './helpers';

const atRest = createAtRest(randomBytes(32));
const CHUNK = 1024;
const SEALED = CHUNK + CHUNK_OVERHEAD;

async function seal(id: string, plain: Buffer, pieces = 7): Promise<Buffer> {
  const out: Buffer[] = [];
  // Odd piece sizes, so chunk boundaries fall inside incoming buffers.
  const parts = Array.from({ length: Math.ceil(plain.length / pieces) }, (_, i) => plain.subarray(i * pieces, (i + 1) * pieces));
  await pipeline(Readable.from(parts), createChunkSealer(atRest, id, CHUNK), async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) out.push(c);
  });
  return Buffer.concat(out);
}

async function unseal(id: string, file: Buffer): Promise<Buffer> {
  const path = join(tempDir(), 'f');
  writeFileSync(path, file);
  const h = await open(path, 'r');
  try {
    const out: Buffer[] = [];
    for await (const c of openChunks(atRest, id, h, 1 << 20, CHUNK)) out.push(c);
    return Buffer.concat(out);
  } finally {
    await h.close();
  }
}

describe('chunked media sealing', () => {
  it('round-trips any length, chunk-aligned or not, with a fixed overhead per chunk', async () => {
    for (const n of [1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17]) {
      const plain = randomBytes(n);
      const file = await seal('m1', plain, n > CHUNK ? 333 : 7);
      expect(file.length).toBe(n + Math.ceil(n / CHUNK) * CHUNK_OVERHEAD);
      expect(file[0]).toBe(2);
      expect((await unseal('m1', file)).equals(plain)).toBe(true);
    }
  });

  it('rejects a flipped byte, a truncation at a chunk boundary or inside one, reordered chunks and a file of another media', async () => {
    const plain = randomBytes(3 * CHUNK + 5);
    const file = await seal('m1', plain);
    const flipped = Buffer.from(file);
    flipped[SEALED + 40] ^= 1;
    await expect(unseal('m1', flipped)).rejects.toThrow(/authentication/);
    await expect(unseal('m1', file.subarray(0, 2 * SEALED))).rejects.toThrow(/authentication/);
    await expect(unseal('m1', file.subarray(0, file.length - 3))).rejects.toThrow(/authentication/);
    const swapped = Buffer.concat([file.subarray(SEALED, 2 * SEALED), file.subarray(0, SEALED), file.subarray(2 * SEALED)]);
    await expect(unseal('m1', swapped)).rejects.toThrow(/authentication/);
    await expect(unseal('m2', file)).rejects.toThrow(/authentication/);
    // A chunk taken from another media at the same index fails too.
    const other = await seal('m2', randomBytes(3 * CHUNK + 5));
    const mixed = Buffer.concat([file.subarray(0, SEALED), other.subarray(SEALED, 2 * SEALED), file.subarray(2 * SEALED)]);
    await expect(unseal('m1', mixed)).rejects.toThrow(/authentication/);
    await expect(unseal('m1', Buffer.alloc(0))).rejects.toThrow(/empty/);
  });

  it('still opens single-shot files written before chunking', async () => {
    const plain = randomBytes(5 * CHUNK);
    const legacy = atRest.seal(plain, 'media:old');
    expect((await unseal('old', legacy)).equals(plain)).toBe(true);
    await expect(unseal('other', legacy)).rejects.toThrow(/authentication/);
  });

  it('openMediaStream fails before answering when the first chunk is bad, and closes the file either way', async () => {
    const path = join(tempDir(), 'f');
    writeFileSync(path, await seal('m1', randomBytes(10)));
    const bad = await open(path, 'r');
    await expect(openMediaStream(atRest, 'm2', bad, 1 << 20)).rejects.toThrow(/authentication/);
    await expect(bad.stat()).rejects.toThrow(/closed/);
    const good = await open(path, 'r');
    const body = await openMediaStream(atRest, 'm1', good, 1 << 20);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toHaveLength(10);
    await new Promise((r) => setTimeout(r, 10));
    await expect(good.stat()).rejects.toThrow(/closed/);
  });
});
