// Known-answer tests: recompute every checked-in vector with the production code.
// The vectors were produced by an independent implementation (gen-vectors.ts,
// node:crypto), so a change in any derivation, the emoji table or the QR format fails here.
import { describe, expect, it } from 'vitest';
import vectors from '../../fixtures/verify-vectors.json';
import { keyPictureCells, keyPictureHash } from '$lib/verify/picture';
import { EMOJI_TABLE, fingerprintEmoji, fingerprintEmojiIndices, fingerprintHex } from '$lib/verify/emoji';
import { encodeQrPayload, parseQrPayload } from '$lib/verify/qr-payload';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex } from './helpers';

const fpByName = new Map(vectors.fingerprints.map((v) => [v.name, fromHex(v.fingerprint)]));
const keys = { alice: fromHex(vectors.keys.alice), bob: fromHex(vectors.keys.bob) };

describe('verification vectors', () => {
  it('has the expected vector set', () => {
    expect(vectors.fingerprints.map((v) => v.name)).toEqual(['counting', 'zeros', 'hashed', 'long64']);
    expect(vectors.qr).toHaveLength(3);
  });

  for (const v of vectors.fingerprints) {
    describe(v.name, () => {
      const fp = fromHex(v.fingerprint);

      it('key picture hash and cells', () => {
        expect(toHex(keyPictureHash(fp))).toBe(v.pictureHash);
        expect(keyPictureCells(fp).join('')).toBe(v.pictureCells);
      });

      it('emoji indices, glyphs and names', () => {
        expect(fingerprintEmojiIndices(fp)).toEqual(v.emojiIndices);
        const emoji = fingerprintEmoji(fp);
        expect(emoji.map((x) => x.e).join(' ')).toBe(v.emoji);
        expect(emoji.map((x) => x.name).join(', ')).toBe(v.emojiNames);
      });

      it('grouped hex', () => {
        expect(fingerprintHex(fp)).toBe(v.hex);
      });
    });
  }

  for (const q of vectors.qr) {
    it(`QR payload ${q.fingerprint} ${q.owner}→${q.peer}`, () => {
      const input = {
        fingerprint: fpByName.get(q.fingerprint)!,
        ownerKey: keys[q.owner as keyof typeof keys],
        peerKey: keys[q.peer as keyof typeof keys]
      };
      expect(encodeQrPayload(input)).toBe(q.text);
      const parsed = parseQrPayload(q.text);
      expect(parsed).toEqual({ ok: true, version: 1, ...input });
    });
  }

  it('emoji table is byte-for-byte the pinned one', () => {
    const serial = EMOJI_TABLE.map((x) => `${x.e}\t${x.name}`).join('\n');
    expect(toHex(sha256(new TextEncoder().encode(serial)))).toBe(vectors.emojiTableSha256);
  });
});
