import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// Cinder's own choices that make the same packages smaller (ES-module worker, Dexie's modern build).
export default defineConfig({
  plugins: [sveltekit()],
  worker: { format: 'es' },
  resolve: { alias: [{ find: /^dexie$/, replacement: 'dexie/dist/modern/dexie.mjs' }] }
});
