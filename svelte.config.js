import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { createHash } from 'node:crypto';

/**
 * The only inline style attributes in the app, allowed by hash (CSP 'unsafe-hashes'): app.html's
 * `display: contents` wrapper and SvelteKit's visually hidden route announcer. If a SvelteKit upgrade
 * changes the announcer's style, tests/e2e/xss.spec.ts reports the style-src-attr violation.
 */
const INLINE_STYLE_ATTRS = [
  'display: contents',
  'position: absolute; left: 0; top: 0; clip: rect(0 0 0 0); clip-path: inset(50%); overflow: hidden; white-space: nowrap; width: 1px; height: 1px'
];
const styleHash = (/** @type {string} */ s) => /** @type {const} */ (`sha256-${createHash('sha256').update(s).digest('base64')}`);

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    adapter: adapter({ out: 'build', precompress: true }),
    // Registered by src/lib/pwa/sw-client.ts through workbox-window (update prompt).
    serviceWorker: { register: false },
    // One shell serves every route offline, so asset URLs must not depend on the route's depth.
    paths: { relative: false },
    alias: { $tests: 'tests' },
    // Content-Security-Policy header on the app shell (docs/threat-model.md). 'hash' mode: SvelteKit
    // adds the sha256 of its inline bootstrap script, so no 'unsafe-inline' script is needed; the
    // shell is identical for every URL, so the service worker's cached copy keeps a valid policy.
    // Non-CSP headers (HSTS, Permissions-Policy, ...) are added by src/lib/server/main.ts.
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        // 'wasm-unsafe-eval' lets the QR decoder compile its WebAssembly; it does not allow eval().
        'script-src': ['self', 'wasm-unsafe-eval'],
        // Component CSS ships as files in production (SvelteKit relaxes this in dev, where Vite
        // injects <style> elements). `style:` directives go through the CSSOM, which CSP allows.
        'style-src': ['self'],
        'style-src-attr': ['unsafe-hashes', ...INLINE_STYLE_ATTRS.map(styleHash)],
        // CSP Level 3: 'self' also matches ws:/wss: on the same host and port.
        'connect-src': ['self'],
        'img-src': ['self', 'data:', 'blob:'],
        // Camera preview and decrypted media.
        'media-src': ['self', 'blob:'],
        'font-src': ['self'],
        'worker-src': ['self'],
        'manifest-src': ['self'],
        'object-src': ['none'],
        'frame-src': ['none'],
        'base-uri': ['none'],
        'form-action': ['self'],
        'frame-ancestors': ['none']
      }
    }
  }
};

export default config;
