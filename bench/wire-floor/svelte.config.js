// The floor app of `bench/wire.ts`: the required stack (SvelteKit, Svelte, Dexie in a Web Worker) doing
// the least a chat list can, built and served as Cinder is (adapter-node, precompressed assets).
import adapter from '@sveltejs/adapter-node';

export default {
  compilerOptions: { runes: true },
  kit: { adapter: adapter({ out: 'build', precompress: true }), paths: { relative: false } }
};
