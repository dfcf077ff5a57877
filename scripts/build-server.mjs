// Bundles the relay's production entry (src/lib/server/main.ts) into build/cinder.js, next to the
// SvelteKit adapter-node output (build/handler.js), which main.ts imports at run time.
// npm packages stay external (resolved from node_modules), so native better-sqlite3 works unchanged.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'build', 'cinder.js');

const result = await build({
  entryPoints: [join(root, 'src/lib/server/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  // The app handler is loaded with a computed URL, which esbuild leaves alone; listing it keeps any
  // literal './handler.js' specifier external too.
  external: ['./handler.js'],
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true
});

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`built ${outfile} (${Math.round(bytes / 1024)} KiB)`);
if (!existsSync(join(root, 'build', 'handler.js'))) {
  console.warn('note: build/handler.js is missing; run `vite build` first (npm run build does both)');
}
