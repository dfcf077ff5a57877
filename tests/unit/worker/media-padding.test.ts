// Secret attachments padded to size buckets (issue #20 §4): the blob the relay stores has a bucket's
// size, the receiver gets the exact file back, blobs of older apps (no padding) still open, and a blob
// whose padding was changed is refused.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { paddedLength } from '$lib/crypto/padding';
import { decryptFile, encryptFile } from '$lib/worker/media';
import { MEDIA_PAD, MEDIA_PAD_MAX, mediaPaddedLength, padMedia, unpadMedia } from '$lib/worker/media-padding';
import { FileRef } from '$lib/worker/secret/payload';
import { deliver, secretPair } from '../support/secret-pair';

const { established } = secretPair('media-pad');
const GCM = 12 + 16;
const bytesOf = (n: number, seed = 7) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251 || 1);

describe('media size buckets', () => {
  it('sizes land on Padmé buckets with a 256-byte floor, and many sizes share one bucket', () => {
    for (const n of [0, 1, 255, 256]) expect(mediaPaddedLength(n)).toBe(256);
    // Padmé keeps ~log2(log2 n)+1 significant bits: a bucket's low bits are zero.
    for (const n of [257, 1000, 4097, 65_537, 1_000_000, 3_141_593, 20_000_000]) {
      const p = mediaPaddedLength(n);
      expect(p).toBe(paddedLength(n));
      expect(p).toBeGreaterThanOrEqual(n);
      expect((p - n) / n).toBeLessThan(n > 65_536 ? 0.032 : 0.126);
      const e = Math.floor(Math.log2(p));
      const s = Math.floor(Math.log2(e)) + 1;
      expect(p % 2 ** (e - s)).toBe(0);
    }
    // 1,000 photo-like sizes between 1.0 and 1.2 MB: a handful of blob sizes, not a thousand.
    const sizes = new Set(Array.from({ length: 1000 }, (_, i) => mediaPaddedLength(1_000_000 + i * 200)));
    expect(sizes.size).toBeLessThanOrEqual(8);
  });

  it('the largest file the app accepts is not pushed over the relay limit by its padding', () => {
    expect(mediaPaddedLength(MEDIA_PAD_MAX)).toBe(MEDIA_PAD_MAX);
    expect(mediaPaddedLength(MEDIA_PAD_MAX - 1000)).toBe(MEDIA_PAD_MAX);
    expect(MEDIA_PAD_MAX + GCM).toBeLessThanOrEqual(25 * 1024 * 1024);
  });

  it('round trip: the blob is bucket + 28 bytes; the receiver gets exactly the file', async () => {
    for (const n of [0, 1, 300, 5000, 70_001]) {
      const file = bytesOf(n);
      const { key, blob } = await encryptFile(padMedia(file));
      expect(blob.length).toBe(mediaPaddedLength(n) + GCM);
      expect(unpadMedia(await decryptFile(key, blob), n, MEDIA_PAD)).toEqual(file);
    }
  });

  it('a blob of the older format (no padding, no flag) still opens', async () => {
    const file = bytesOf(1234);
    const { key, blob } = await encryptFile(file);
    expect(blob.length).toBe(1234 + GCM);
    const ref = FileRef.parse({ blobId: 'b1', key, name: 'old.bin', mime: 'application/octet-stream', size: 1234 });
    expect(ref.pad).toBeUndefined();
    expect(unpadMedia(await decryptFile(ref.key, blob), ref.size, ref.pad)).toEqual(file);
  });

  it('tampered padding is refused: a non-zero byte after the file, a wrong length, a wrong size or flag', async () => {
    const file = bytesOf(1000);
    const padded = padMedia(file);
    const dirty = padded.slice();
    dirty[dirty.length - 1] = 1;
    const { key, blob } = await encryptFile(dirty);
    await expect(decryptFile(key, blob).then((p) => unpadMedia(p, 1000, MEDIA_PAD))).rejects.toMatchObject({ code: 'bad_media' });
    expect(() => unpadMedia(padded.subarray(0, padded.length - 16), 1000, MEDIA_PAD)).toThrow(/padding/);
    expect(() => unpadMedia(new Uint8Array([...padded, 0]), 1000, MEDIA_PAD)).toThrow(/padding/);
    // A size (from the message) of another bucket than the blob's.
    expect(() => unpadMedia(padded, 5000, MEDIA_PAD)).toThrow(/padding/);
    expect(() => unpadMedia(padded, 1000, 2)).toThrow(/padding/);
    expect(FileRef.safeParse({ blobId: 'b1', key: 'A'.repeat(43), name: 'x', mime: 'x', size: 1, pad: 2 }).success).toBe(false);
    // And a changed ciphertext never gets as far as the padding check.
    const good = await encryptFile(padded);
    good.blob[40] ^= 1;
    await expect(decryptFile(good.key, good.blob)).rejects.toMatchObject({ code: 'bad_media' });
  });

  it('a secret chat: the relay holds a bucket-sized blob; the peer opens the exact file', async () => {
    const { relay, alice, bob, chatId } = await established();
    const uploads: number[] = [];
    const sizes = [5_000, 5_001, 70_003];
    const ids: string[] = [];
    for (const n of sizes) ids.push(await alice.engine.sendFile(chatId, `f${n}.bin`, 'application/octet-stream', bytesOf(n, n), ''));
    await alice.engine.flush();
    await deliver(relay, bob);
    for (const [i, n] of sizes.entries()) {
      const row = (await bob.db.secretMessages.get(ids[i]!))!;
      expect(relay.blobSize(row.blobId!)).toBe(mediaPaddedLength(n) + GCM);
      uploads.push(relay.blobSize(row.blobId!)!);
      const got = await bob.engine.media(ids[i]!);
      expect(got.bytes).toEqual(bytesOf(n, n));
    }
    // 5,000 and 5,001 bytes: one blob size.
    expect(uploads[0]).toBe(uploads[1]);
  });
});
