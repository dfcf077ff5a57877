/**
 * A worker ended in the middle of its IndexedDB writes (a tab closed, a page left) must leave the
 * database usable. WebKit loses the whole database when a worker ends while one of its transactions
 * waits behind another overlapping read-write one (every later transaction hangs until the browser
 * restarts); the store's locks (src/lib/store/tx-locks.ts) keep IndexedDB from ever queuing one.
 * Traffic: tests/support/worker-end-check.ts on the app's CinderDB, in a real dedicated worker.
 */
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ENGINES } from './driver';
import { expect, test } from './fixtures';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ROUNDS = 8;

async function workerBundle(): Promise<string> {
  const out = await build({
    entryPoints: [`${root}tests/support/worker-end-check.ts`],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    alias: { $lib: `${root}src/lib` },
    logLevel: 'silent'
  });
  return out.outputFiles[0].text;
}

// Page a: starts the worker and ends it on request, as the app's page does on `pagehide`.
const pageA = `<!doctype html><title>starting</title><script>
const w = new Worker('/w.js' + location.search);
w.onmessage = (e) => (document.title = e.data);
window.endWorker = () => (w.terminate(), true);
</script>`;
// Page b: can this database still run a read-write transaction?
const pageB = `<!doctype html><title>check</title><script>
window.result = new Promise((done) => {
  const db = new URLSearchParams(location.search).get('db');
  const r = indexedDB.open(db);
  r.onsuccess = () => {
    const tx = r.result.transaction(['messages'], 'readwrite');
    tx.objectStore('messages').put({ id: 'check', peerId: 'c', seq: 0, createdAt: 0 });
    tx.oncomplete = () => (r.result.close(), done('ok'));
    tx.onabort = () => done('aborted: ' + tx.error);
  };
  r.onerror = () => done('open failed: ' + r.error);
  setTimeout(() => done('no answer in 10 s'), 10000);
});
</script>`;

async function serve(bundle: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const body = path === '/a' ? pageA : path === '/b' ? pageB : path === '/w.js' ? bundle : null;
    if (body === null) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html', 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

for (const engine of ENGINES) {
  test(`${engine}: a worker ended in the middle of its writes, ${ROUNDS} times, leaves the database usable`, async ({ open }) => {
    const { url, server } = await serve(await workerBundle());
    try {
      const device = await open(engine, { url });
      const db = `worker-end-${Date.now()}`;
      const results: string[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        await device.goto(`/a?db=${db}`);
        await device.until('the worker to be writing', () => device.eval(() => document.title === 'running'));
        // Somewhere in the middle of its transactions: they take a few milliseconds each.
        await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 200)));
        await device.eval(() => (window as unknown as { endWorker: () => boolean }).endWorker());
        await device.goto(`/b?db=${db}`);
        results.push(await device.script<string>('window.result'));
      }
      expect(results).toEqual(Array(ROUNDS).fill('ok'));
    } finally {
      server.close();
    }
  });
}
