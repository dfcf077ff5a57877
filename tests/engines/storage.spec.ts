/**
 * The store's unit scenarios run inside each real engine, where IndexedDB's quirks live (WebKit
 * returns rows whose indexed property is null from a bounded range; fake-indexeddb never does).
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { ENGINES } from './driver';
import { expect, test } from './fixtures';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** tests/support/purge-check.ts with Dexie and the store, as one script defining `__purgeCheck`. */
async function purgeCheckBundle(): Promise<string> {
  const out = await build({
    entryPoints: [`${root}tests/support/purge-check.ts`],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: '__purgeCheck',
    platform: 'browser',
    target: 'es2022',
    alias: { $lib: `${root}src/lib` },
    logLevel: 'silent'
  });
  return out.outputFiles[0].text;
}

for (const engine of ENGINES) {
  test(`${engine}: the purge deletes exactly the expired messages of a store holding rows with and without deadlines`, async ({ open }) => {
    const device = await open(engine);
    await device.goto('/login');
    const bundle = await purgeCheckBundle();
    const result = await device.script<{ ok: boolean; details: string }>(
      `(async () => { ${bundle}; return __purgeCheck.runPurgeCheck('purge-check-' + Date.now()); })()`
    );
    expect(result.ok, result.details).toBe(true);
  });
}
