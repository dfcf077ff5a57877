/**
 * The app shell as SvelteKit renders it (the same HTML for every route and user, ssr off), trimmed for
 * the wire: its `Link` preload header only repeats the page's own <link rel="modulepreload"> tags
 * (~0.7 KB per load), and the body is compressed like the static files. It holds no secret (no nonce:
 * the CSP uses hashes), so compressing it leaks nothing (see compress.ts).
 */
import { COMPRESS_MIN_BYTES, compress, pickEncoding } from './compress';

export async function shellResponse(res: Response, acceptEncoding: string | undefined): Promise<Response> {
  if (res.status !== 200 || !res.headers.get('content-type')?.startsWith('text/html') || res.headers.has('content-encoding')) return res;
  const headers = new Headers(res.headers);
  headers.delete('link');
  headers.append('vary', 'Accept-Encoding');
  const body = Buffer.from(await res.arrayBuffer());
  const encoding = body.length >= COMPRESS_MIN_BYTES ? pickEncoding(acceptEncoding) : null;
  if (!encoding) return new Response(body, { status: res.status, headers });
  const packed = compress(body, encoding);
  headers.set('content-encoding', encoding);
  headers.set('content-length', String(packed.length));
  return new Response(new Uint8Array(packed), { status: res.status, headers });
}
