/**
 * Cinder crypto benchmark inside a Web Worker in headless Chromium: `npm run bench:crypto-browser` (~40-70 s).
 * Same measurements as bench/crypto.ts (primitives, handshakes/s, 1 KiB msgs/s one-way and
 * alternating) for the webcrypto and noble backends, each beside the "primitive floor" predicted
 * from the primitives measured in the same run. The Node goal line lives in bench/crypto.ts.
 *
 * How: esbuild bundles bench/browser/crypto-worker.ts (which imports src/lib/crypto) into a temp
 * dir, a tiny http server on 127.0.0.1 serves it, a page starts the worker and reads its JSON.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { fmt, launch, report, watchdog } from './support';

interface Row {
  backend: string;
  prim: Record<'dh' | 'keygen' | 'sign' | 'verify' | 'signVerify' | 'aead' | 'hkdf' | 'hmac' | 'kem', number>;
  hs: number;
  hsFloor: number;
  oneWay: number;
  oneWayFloor: number;
  alt: number;
  altFloor: number;
}

const t0 = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'cinder-bench-crypto-'));
let cleanup = async () => rmSync(dir, { recursive: true, force: true });
watchdog(150_000, () => cleanup());

await build({
  entryPoints: [new URL('./browser/crypto-worker.ts', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  outfile: join(dir, 'worker.js'),
  logLevel: 'warning'
});
const page = `<!doctype html><meta charset="utf-8"><title>crypto bench</title><script type="module">
  const w = new Worker('/worker.js', { type: 'module' });
  window.result = new Promise((resolve) => { w.onmessage = (e) => resolve(e.data); w.onerror = (e) => resolve({ ok: false, error: e.message }); });
  w.postMessage('go');
</script>`;
const server = createServer((req, res) => {
  if (req.url === '/worker.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(readFileSync(join(dir, 'worker.js')));
  } else if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
  } else {
    res.writeHead(404);
    res.end();
  }
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const browser = await launch();
cleanup = async () => {
  await browser.close().catch(() => undefined);
  server.close();
  rmSync(dir, { recursive: true, force: true });
};

try {
  const tab = await browser.newPage();
  tab.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await tab.goto(`http://127.0.0.1:${port}/`);
  const out = (await tab.evaluate(() => (window as unknown as { result: Promise<unknown> }).result)) as
    { ok: true; detected: string; userAgent: string; cores: number; results: Row[] } | { ok: false; error: string };
  if (!out.ok) throw new Error(out.error);
  const ver = /Chrome\/([\d.]+)/.exec(out.userAgent)?.[1] ?? '?';
  console.log(`Cinder crypto bench in a Web Worker — headless Chromium ${ver}, ${out.cores} logical CPUs; detectBackend() -> ${out.detected}`);
  const f = (x: number) => fmt(x).padStart(8);
  const pct = (x: number, floor: number) => `${((x / floor) * 100).toFixed(0)}% of floor`.padStart(14);
  for (const r of out.results) {
    const p = r.prim;
    console.log(`\n=== backend: ${r.backend} (in a Web Worker) ===`);
    console.log('primitives (ops/s):');
    console.log(`  X25519 DH          ${f(p.dh)}   X25519 keygen   ${f(p.keygen)}`);
    console.log(`  Ed25519 sign       ${f(p.sign)}   Ed25519 verify  ${f(p.verify)}   sign+verify ${f(p.signVerify)}`);
    console.log(`  ML-KEM-768 kg+enc+dec ${f(p.kem)}`);
    console.log(`  XChaCha20-Poly1305 seal 1088 B ${f(p.aead)}   HKDF-64 ${f(p.hkdf)}   HMAC ${f(p.hmac)}`);
    console.log(`                               measured      floor    ratio`);
    console.log(`handshakes/s                  ${f(r.hs)}   ${f(r.hsFloor)} ${pct(r.hs, r.hsFloor)}`);
    console.log(`1 KiB msgs/s one-way          ${f(r.oneWay)}   ${f(r.oneWayFloor)} ${pct(r.oneWay, r.oneWayFloor)}`);
    console.log(`1 KiB msgs/s alternating      ${f(r.alt)}   ${f(r.altFloor)} ${pct(r.alt, r.altFloor)}  (keygen||DH overlap: >100% possible)`);
  }
  console.log('\nsummary (browser worker; the Node goal is checked by bench/crypto.ts):');
  for (const r of out.results) {
    report(`browser ${r.backend}: X25519 DH/s`, r.prim.dh, '/s');
    report(`browser ${r.backend}: Ed25519 sign+verify/s`, r.prim.signVerify, '/s');
    report(`browser ${r.backend}: XChaCha20-Poly1305 1 KiB seals/s`, r.prim.aead, '/s');
    report(`browser ${r.backend}: handshakes/s`, r.hs, '/s', `floor ${fmt(r.hsFloor)}, ${fmt((r.hs / r.hsFloor) * 100)}%`);
    report(`browser ${r.backend}: 1 KiB msgs/s one-way`, r.oneWay, '/s', `floor ${fmt(r.oneWayFloor)}, ${fmt((r.oneWay / r.oneWayFloor) * 100)}%`);
    report(`browser ${r.backend}: 1 KiB msgs/s alternating`, r.alt, '/s', `floor ${fmt(r.altFloor)}, ${fmt((r.alt / r.altFloor) * 100)}%`);
  }
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} finally {
  await cleanup();
}
