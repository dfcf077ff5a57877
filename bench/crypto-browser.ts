/**
 * Cinder crypto benchmark inside a Web Worker in headless Chromium: `npm run bench:crypto-browser` (~60-100 s).
 * Same measurements as bench/crypto.ts (bench/crypto-measure.ts: primitives, handshakes/s, session
 * setups/s, 1 KiB msgs/s one-way and alternating) for the webcrypto and noble backends, each beside
 * the "primitive floor" of the same run and the ratio (goal: alternating and setup >= 0.8x floor).
 *
 * How: esbuild bundles bench/browser/crypto-worker.ts (which imports src/lib/crypto) into a temp
 * dir, a tiny http server on 127.0.0.1 serves it, a page starts the worker and reads its JSON.
 */
import { serveWorkerPage } from './browser/worker-page';
import { describe, GOAL_FIGURES, GOAL_RATIO, LABELS, type BackendResult, type Figure } from './crypto-measure';
import { launch, report, watchdog } from './support';

const t0 = performance.now();
let cleanup = async () => undefined as void;
watchdog(240_000, () => cleanup());

const served = await serveWorkerPage(new URL('./browser/crypto-worker.ts', import.meta.url), 'crypto');
const browser = await launch();
cleanup = async () => {
  await browser.close().catch(() => undefined);
  served.close();
};

try {
  const tab = await browser.newPage();
  tab.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await tab.goto(served.url);
  const out = (await tab.evaluate(() => (window as unknown as { result: Promise<unknown> }).result)) as
    { ok: true; detected: string; userAgent: string; cores: number; results: BackendResult[] } | { ok: false; error: string };
  if (!out.ok) throw new Error(out.error);
  const ver = /Chrome\/([\d.]+)/.exec(out.userAgent)?.[1] ?? '?';
  console.log(`Cinder crypto bench in a Web Worker — headless Chromium ${ver}, ${out.cores} logical CPUs; detectBackend() -> ${out.detected}`);
  for (const r of out.results) {
    console.log(`\n=== backend: ${r.backend} (in a Web Worker) ===`);
    for (const line of describe(r)) console.log(line);
  }
  console.log('\nsummary (browser worker):');
  for (const r of out.results) {
    report(`browser ${r.backend}: X25519 DH/s`, r.prim.dh, '/s');
    report(`browser ${r.backend}: Ed25519 sign+verify/s`, 1e6 / (1e6 / r.prim.sign + 1e6 / r.prim.verify), '/s');
    report(`browser ${r.backend}: XChaCha20-Poly1305 1 KiB seals/s`, r.prim.aead, '/s');
    for (const [k, m] of Object.entries(r.figures) as [Figure, BackendResult['figures'][Figure]][]) {
      const goal = GOAL_FIGURES.includes(k);
      report(
        `browser ${r.backend}: ${LABELS[k]}`,
        m.value,
        '/s',
        `floor ${m.floor.toFixed(0)}, ${m.ratio.toFixed(2)}x${goal ? `; goal >= ${GOAL_RATIO}x` : ''}`,
        goal ? m.ratio >= GOAL_RATIO : null
      );
    }
  }
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} finally {
  await cleanup();
}
