/**
 * The production relay client's anonymous calls: a sealed post and a sealed blob upload go without
 * the session cookie (credentials 'omit'); the mailbox calls and the protocol announcement with it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BLOB_MAILBOX_HEADER, BLOB_TOKEN_HEADER } from '$lib/api/wire';
import { httpRelay } from '$lib/worker/secret/relay';

const seen: { url: string; init: RequestInit }[] = [];

function stubFetch(status: number, body: unknown) {
  seen.length = 0;
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    seen.push({ url, init });
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
}

afterEach(() => vi.unstubAllGlobals());

describe('httpRelay (sealed addressing)', () => {
  it('posts sealed envelopes without credentials', async () => {
    stubFetch(200, { seq: 7 });
    const post = { id: '00000000-0000-4000-8000-000000000001', mailbox: 'AAAAAAAAAAAAAAAAAAAAAA', body: 'AAEC', mac: 'A'.repeat(43) };
    await httpRelay.sendSealed(post);
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('/api/sealed');
    expect(seen[0].init.credentials).toBe('omit');
    expect(JSON.parse(seen[0].init.body as string)).toEqual(post);
  });

  it('uploads a sealed blob without credentials, with the mailbox and its token', async () => {
    stubFetch(201, { id: 'blob1' });
    const progress: number[] = [];
    const id = await httpRelay.uploadSealedBlob(new Uint8Array([1, 2, 3]), 'mbox', 'tok', (loaded) => progress.push(loaded));
    expect(id).toBe('blob1');
    expect(seen[0].url).toBe('/api/blobs');
    expect(seen[0].init.credentials).toBe('omit');
    const headers = seen[0].init.headers as Record<string, string>;
    expect(headers[BLOB_MAILBOX_HEADER]).toBe('mbox');
    expect(headers[BLOB_TOKEN_HEADER]).toBe('tok');
    expect(progress).toEqual([3]);
  });

  it('returns the mailbox ids the relay refused as held by another device', async () => {
    stubFetch(200, { conflicts: ['AAAAAAAAAAAAAAAAAAAAAA'] });
    expect(await httpRelay.registerMailboxes([{ id: 'm', cap: 'c', expiresAt: 1 }])).toEqual(['AAAAAAAAAAAAAAAAAAAAAA']);
  });

  it('registers and drops mailboxes and tells the protocol as this device (with its cookie)', async () => {
    stubFetch(204, null);
    expect(await httpRelay.registerMailboxes([{ id: 'm', cap: 'c', expiresAt: 1 }])).toEqual([]);
    await httpRelay.dropMailboxes(['m']);
    await httpRelay.setProtocol(2);
    expect(seen.map((s) => [s.url, s.init.credentials, JSON.parse(s.init.body as string)])).toEqual([
      ['/api/mailboxes', 'same-origin', { mailboxes: [{ id: 'm', cap: 'c', expiresAt: 1 }] }],
      ['/api/mailboxes/drop', 'same-origin', { ids: ['m'] }],
      ['/api/devices/protocol', 'same-origin', { protocol: 2 }]
    ]);
  });
});
