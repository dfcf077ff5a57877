/**
 * Security headers for every HTTP response of the production server (main.ts sets them before the
 * relay or the SvelteKit handler answers), HSTS only over TLS. The app shell's Content-Security-Policy
 * comes from SvelteKit (`kit.csp` in svelte.config.js, with the hash of its inline bootstrap script),
 * which replaces the default set here: deny-everything for data (API JSON, images, wasm), and a
 * same-origin-only policy for scripts, which is what binds the worker and the service worker.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSecure } from './auth';

export const HSTS = 'max-age=63072000; includeSubDomains';

/** Applied to every response. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'permissions-policy': 'camera=(self), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin'
};

/** For data responses (JSON, images, wasm, manifest): nothing to run, nothing to frame. */
export const FALLBACK_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Policy for JavaScript files. A page ignores the CSP header of a script it loads, but a dedicated
 * worker or the service worker is governed by the header of its own script response, so this is what
 * confines the worker that owns the keys: same-origin fetch and WebSocket only, no eval.
 */
export const SCRIPT_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' data: blob:; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * A page's content-hashed scripts and styles (never a worker's script: those live in workers/ and are
 * governed by their own response's CSP). Policies that only a document or a worker's own script obey
 * mean nothing on them, and with ~35 such files on a first load they were ~13 KB of the bytes sent.
 */
export const PAGE_ASSET = /^\/_app\/immutable\/(chunks|entry|nodes|assets)\/[^/]+\.(m?js|css)$/;

/** Kept on page assets: they still matter for a script or style the page loads. */
export const ASSET_HEADERS: readonly string[] = ['x-content-type-options', 'referrer-policy', 'cross-origin-resource-policy'];

/**
 * Sets the headers with `setHeader`, so whatever the handler writes later merges with or overrides
 * them: SvelteKit replaces content-security-policy with the app policy on the HTML shell.
 */
export function applySecurityHeaders(req: IncomingMessage, res: ServerResponse, trustProxy: boolean): void {
  const path = (req.url ?? '/').split('?')[0];
  const asset = PAGE_ASSET.test(path);
  for (const [k, v] of Object.entries(BASE_HEADERS)) if (!asset || ASSET_HEADERS.includes(k)) res.setHeader(k, v);
  if (isSecure(req, trustProxy)) res.setHeader('strict-transport-security', HSTS);
  if (asset) return;
  if (/\.m?js$/.test(path)) res.setHeader('content-security-policy', SCRIPT_CSP);
  // App routes (no file extension) get SvelteKit's policy on a 200. Nothing is set here for them:
  // a 304 revalidation carries no policy of its own, and a deny-all one on it would replace the
  // cached page's policy in the browser and block the whole app on the next visit.
  else if (path.startsWith('/api/') || path === '/healthz' || path === '/metrics' || /\.[a-z0-9]+$/i.test(path)) res.setHeader('content-security-policy', FALLBACK_CSP);
}
