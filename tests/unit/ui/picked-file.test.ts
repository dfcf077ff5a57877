/** A picked file's kind (what the attach panel previews) and the MIME type it is sent as. */
import { describe, expect, it } from 'vitest';
import { parseParams } from '$lib/worker/rpc/methods';
import { pickedKind, sendableMime } from '$lib/chat/picked-file.svelte';

describe('picked files', () => {
  it('previews photos and videos; anything else is a file', () => {
    expect(pickedKind({ type: 'image/png' })).toBe('photo');
    expect(pickedKind({ type: 'video/webm' })).toBe('video');
    for (const type of ['audio/ogg', 'application/pdf', 'text/plain', 'application/zip', '']) expect(pickedKind({ type })).toBe('file');
  });

  it('sends the browser type when it is a plain type/subtype, a generic binary otherwise, and the worker accepts each', () => {
    expect(sendableMime('application/pdf')).toBe('application/pdf');
    expect(sendableMime('Text/Plain; charset=UTF-8')).toBe('text/plain');
    expect(sendableMime('application/vnd.openxmlformats-officedocument.wordprocessingml.document')).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
    );
    for (const odd of ['', 'zip', 'a/b/c', 'text/ plain', `application/${'x'.repeat(130)}`]) expect(sendableMime(odd), odd).toBe('application/octet-stream');
    for (const type of ['application/pdf', 'Text/Plain; charset=UTF-8', '', 'zip']) {
      const mime = sendableMime(type);
      expect(parseParams('cloudSendMedia', { peerId: 'u1', name: 'f', mime, bytes: new ArrayBuffer(1), ttl: 0 }).mime).toBe(mime);
    }
  });
});
