/** The app shell on the wire (src/lib/server/shell.ts): no repeated `Link` header, compressed as asked. */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { shellResponse } from '../../../src/lib/server/shell';

const html = `<!doctype html><html><head>${'<link rel="modulepreload" href="/_app/immutable/chunks/x.js">'.repeat(30)}</head><body></body></html>`;
const page = (body = html, status = 200, type = 'text/html') =>
  new Response(status === 304 ? null : body, {
    status,
    headers: { 'content-type': type, link: '</_app/immutable/chunks/x.js>; rel="modulepreload"; nopush', etag: '"abc"', 'content-security-policy': "default-src 'self'" }
  });
const bytes = async (r: Response) => Buffer.from(await r.arrayBuffer());

describe('app shell response', () => {
  it('drops the Link header and compresses with brotli or gzip as the client accepts; the body decodes to the same page', async () => {
    for (const [accept, decode] of [
      ['gzip, deflate, br', brotliDecompressSync],
      ['gzip', gunzipSync]
    ] as const) {
      const r = await shellResponse(page(), accept);
      expect(r.status).toBe(200);
      expect(r.headers.get('link')).toBeNull();
      expect(r.headers.get('content-encoding')).toBe(accept === 'gzip' ? 'gzip' : 'br');
      expect(r.headers.get('vary')).toMatch(/accept-encoding/i);
      expect(r.headers.get('content-security-policy')).toBe("default-src 'self'");
      expect(r.headers.get('etag')).toBe('"abc"');
      const body = await bytes(r);
      expect(Number(r.headers.get('content-length'))).toBe(body.length);
      expect(body.length).toBeLessThan(html.length / 2);
      expect(decode(body).toString()).toBe(html);
    }
  });

  it('stays identity when the client accepts no encoding or the page is small, still without Link', async () => {
    for (const [body, accept] of [
      [html, undefined],
      [html, 'identity'],
      ['<!doctype html><p>small</p>', 'br']
    ] as const) {
      const r = await shellResponse(page(body), accept);
      expect(r.headers.get('content-encoding')).toBeNull();
      expect(r.headers.get('link')).toBeNull();
      expect((await bytes(r)).toString()).toBe(body);
    }
  });

  it('leaves anything but a 200 HTML page as it is', async () => {
    for (const res of [page(html, 304), page('{"a":1}'.repeat(300), 200, 'application/json'), page(html, 404)]) {
      expect(await shellResponse(res, 'br')).toBe(res);
    }
  });
});
