/// <reference types="vitest/config" />
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  worker: { format: 'es' },
  optimizeDeps: { include: ['dexie', '@noble/curves/ed25519.js', '@noble/ciphers/chacha.js', '@noble/hashes/sha2.js'] },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30000,
    pool: 'forks'
  }
});
