import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    adapter: adapter({ out: 'build', precompress: false }),
    // Registered by src/lib/sw-client.ts through workbox-window (update prompt).
    serviceWorker: { register: false },
    // One shell serves every route offline, so asset URLs must not depend on the route's depth.
    paths: { relative: false },
    alias: { $tests: 'tests' }
  }
};

export default config;
