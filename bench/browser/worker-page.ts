/**
 * A Web Worker bench on a tiny 127.0.0.1 server of its own: esbuild bundles `entry` into a temp dir,
 * and `/` is a page that starts it, posts 'go' and exposes its first reply as `window.result`.
 * Used by the crypto-browser and backlog benches (their workers import src/lib/crypto directly).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

export interface WorkerPage {
  url: string;
  close(): void;
}

export async function serveWorkerPage(entry: URL, name: string): Promise<WorkerPage> {
  const dir = mkdtempSync(join(tmpdir(), `cinder-bench-${name}-`));
  try {
    await build({
      entryPoints: [entry.pathname],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      outfile: join(dir, 'worker.js'),
      logLevel: 'warning'
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const html = `<!doctype html><meta charset="utf-8"><title>${name} bench</title><script type="module">
    const w = new Worker('/worker.js', { type: 'module' });
    window.result = new Promise((resolve) => { w.onmessage = (e) => resolve(e.data); w.onerror = (e) => resolve({ ok: false, error: e.message }); });
    w.postMessage('go');
  </script>`;
  const server = createServer((req, res) => {
    const js = req.url === '/worker.js';
    res.writeHead(js || req.url === '/' ? 200 : 404, { 'content-type': js ? 'text/javascript' : 'text/html' });
    res.end(js ? readFileSync(join(dir, 'worker.js')) : req.url === '/' ? html : '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    close() {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
