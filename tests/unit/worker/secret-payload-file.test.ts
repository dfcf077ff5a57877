import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload, type SecretPayload } from '$lib/worker/secret/payload';

const base = {
  k: 'text',
  id: '5b0c1f3e-8a47-4a57-9d1c-0f6d2a9b7e11',
  text: '',
  replyTo: null,
  ttl: 0,
  at: 1,
  file: { blobId: 'abc', key: 'A'.repeat(43), name: 'p.png', mime: 'image/png', size: 10 }
};
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('a file reference inside a secret payload', () => {
  it('an older sender without a size still parses', () => {
    const p = decodePayload(enc(base));
    expect(p?.k === 'text' && p.file).toEqual(base.file);
  });

  it('a size round-trips', () => {
    const withSize = { ...base, file: { ...base.file, w: 640, h: 480 } } as SecretPayload;
    const p = decodePayload(encodePayload(withSize));
    expect(p?.k === 'text' && [p.file?.w, p.file?.h]).toEqual([640, 480]);
  });

  it('a nonsense size is refused, like any malformed payload', () => {
    for (const bad of [0, -1, 1.5, 20000, '640'] as unknown[]) {
      expect(decodePayload(enc({ ...base, file: { ...base.file, w: bad, h: 10 } }))).toBeNull();
    }
  });

  it('a file name that would render as another (bidi override, controls, lone surrogate) is kept with those characters replaced, not refused', () => {
    for (const [sent, shown] of [
      ['invoice\u202Etxt.exe', 'invoice\uFFFDtxt.exe'],
      ['a\u0000b\u0007c.pdf', 'a\uFFFDb\uFFFDc.pdf'],
      ['x\uD800.png', 'x\uFFFD.png'],
      ['سلام.pdf', 'سلام.pdf']
    ]) {
      const p = decodePayload(enc({ ...base, file: { ...base.file, name: sent } }));
      expect(p?.k === 'text' && p.file?.name).toBe(shown);
    }
  });
});
