/**
 * The store's unit scenarios run inside each real engine, where IndexedDB's quirks live (WebKit
 * returns rows whose indexed property is null from a bounded range; fake-indexeddb never does), and
 * a failed request inside a transaction is each engine's own business.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { ENGINES } from './driver';
import { expect, test } from './fixtures';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A tests/support check with Dexie and the store, as one script defining `globalName`. */
async function checkBundle(file: string, globalName: string): Promise<string> {
  const out = await build({
    entryPoints: [`${root}tests/support/${file}`],
    bundle: true,
    write: false,
    format: 'iife',
    globalName,
    platform: 'browser',
    target: 'es2022',
    alias: { $lib: `${root}src/lib` },
    logLevel: 'silent'
  });
  return out.outputFiles[0].text;
}

/** Each check: its tests/support file, the global its bundle defines, and the function to call there. */
const CHECKS = [
  { what: 'the purge deletes exactly the expired messages of a store holding rows with and without deadlines', file: 'purge-check.ts', run: 'runPurgeCheck' },
  {
    what: 'a copy already stored fails alone in a receive’s transaction, which commits the rest; seen envelopes are found by seq',
    file: 'receive-store-check.ts',
    run: 'runReceiveStoreCheck'
  }
];

for (const engine of ENGINES) {
  for (const check of CHECKS) {
    test(`${engine}: ${check.what}`, async ({ open }) => {
      const device = await open(engine);
      await device.goto('/login');
      const bundle = await checkBundle(check.file, '__check');
      const result = await device.script<{ ok: boolean; details: string }>(`(async () => { ${bundle}; return __check.${check.run}('${check.run}-' + Date.now()); })()`);
      expect(result.ok, result.details).toBe(true);
    });
  }
}
