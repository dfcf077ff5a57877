// Bundles the relay's production entry (src/lib/server/main.ts) into build/cinder.js, next to the
// SvelteKit adapter-node output (build/handler.js), which main.ts imports at run time.
// npm packages stay external (resolved from node_modules), so native better-sqlite3 works unchanged.
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';

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

// The service worker precaches SvelteKit's `build` list, which lacks the Web Worker's chunks: write
// their URLs over the token in service-worker.ts (see there). Content-hashed, so no revision needed.
const clientDir = join(root, 'build', 'client');
const swFile = join(clientDir, 'service-worker.js');
const chunkDir = join(clientDir, '_app', 'immutable', 'workers', 'chunks');
if (existsSync(swFile)) {
  const chunks = existsSync(chunkDir)
    ? readdirSync(chunkDir)
        .filter((f) => f.endsWith('.js'))
        .sort()
    : [];
  const sw = readFileSync(swFile, 'utf8');
  // It is registered as a classic script, where `import.meta` is a syntax error: the service worker would
  // never install. Vite's preload helper brings it along with any import() in code the service worker
  // bundles (which is why worker/backend.ts, not crypto, loads noble lazily).
  if (/\bimport\.meta\b/.test(sw)) throw new Error(`${swFile}: uses import.meta (a dynamic import in code it bundles?); it cannot install`);
  const token = /(["'`])__CINDER_WORKER_CHUNKS__\1/;
  if (!token.test(sw)) throw new Error(`${swFile}: the worker-chunk token is missing (already filled in, or renamed?)`);
  const urls = chunks.map((f) => JSON.stringify(`/_app/immutable/workers/chunks/${f}`)).join(',');
  const patched = sw.replace(token, urls || '""');
  writeFileSync(swFile, patched);
  console.log(`service worker precaches ${chunks.length} worker chunk(s)`);
  // adapter-node precompressed the file before it was patched: rewrite its .br/.gz siblings, or a browser
  // asking for brotli would get the unpatched worker.
  if (existsSync(swFile + '.br')) writeFileSync(swFile + '.br', brotliCompressSync(patched, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }));
  if (existsSync(swFile + '.gz')) writeFileSync(swFile + '.gz', gzipSync(patched, { level: 9 }));
  for (const ext of ['.br', '.gz']) {
    if (!existsSync(swFile + ext)) continue;
    const raw = readFileSync(swFile + ext);
    const back = ext === '.br' ? brotliDecompressSync(raw) : gunzipSync(raw);
    if (back.toString('utf8') !== patched) throw new Error(`${swFile}${ext} does not match the patched service worker`);
  }
}
