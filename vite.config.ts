/// <reference types="vitest/config" />
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

/**
 * The modules every page loads at start: those the client entry, the app and the root layout (node 0)
 * import statically. Left to itself the bundler cuts them into ~20 chunks of a few hundred bytes, each
 * one more response (~0.4 KB of headers) compressed on its own; one chunk sends the same code in fewer
 * bytes. Nothing a lazy route alone needs joins it, so what loads at start does not grow.
 */
const START_ROOTS = [
  '/@sveltejs/kit/src/runtime/client/entry.js',
  '/.svelte-kit/generated/client-optimized/app.js',
  '/.svelte-kit/generated/client-optimized/nodes/0.js'
];
/**
 * The same for the Web Worker: what its start (worker-main.ts) imports statically is one chunk. Else
 * the code it shares with lazy chunks (crypto's bytes and errors, shared with the key code and noble)
 * becomes a chunk of its own, one more response before the sign-up form.
 */
const WORKER_START_ROOTS = ['/src/lib/worker/worker-main.ts'];
type Info = { importers: string[]; isEntry: boolean } | null;
function startChunk(roots: string[]) {
  // No memo: this config object serves the server build as well, where nothing is reached.
  const reached = (id: string, info: (id: string) => Info, seen: Set<string>): boolean => {
    if (roots.some((r) => id.endsWith(r))) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return (info(id)?.importers ?? []).some((i) => reached(i, info, seen));
  };
  return {
    name: (id: string, ctx: { getModuleInfo: (id: string) => Info }) => {
      const mod = ctx.getModuleInfo(id);
      if (!mod || mod.isEntry) return null;
      return reached(id, (i) => ctx.getModuleInfo(i), new Set()) ? 'start' : null;
    }
  };
}

export default defineConfig({
  plugins: [sveltekit()],
  worker: { format: 'es', rolldownOptions: { output: { codeSplitting: { groups: [startChunk(WORKER_START_ROOTS)] } } } },
  build: { rolldownOptions: { output: { codeSplitting: { groups: [startChunk(START_ROOTS)] } } } },
  // Dexie's package hands bundlers a CommonJS/UMD build behind an ESM wrapper (there to keep one copy per
  // realm when require and import meet, which never happens here); its ES2018+ build of the same version
  // is 1.8 KB smaller brotli in the worker's start chunk and needs no CommonJS shim.
  resolve: { alias: [{ find: /^dexie$/, replacement: 'dexie/dist/modern/dexie.mjs' }] },
  optimizeDeps: { include: ['dexie', '@noble/curves/ed25519.js', '@noble/ciphers/chacha.js', '@noble/hashes/sha2.js'] },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30000,
    pool: 'forks'
  }
});
