/**
 * Secret backlog receive benchmark (issue #19 goal 1): `npm run bench:backlog` (~2-3 min).
 *
 * Bob's app is closed while Alice's worker sends 1,000 secret messages (envelopes queue on the
 * relay). Bob opens the app; his worker pulls the backlog page by page. Figure: msg/s from the first
 * envelope page received to all 1,000 decrypted and stored in `secretMessages` (IndexedDB polled
 * every 20 ms from the page). Baseline in the same run and the same browser: the one-way Double
 * Ratchet rate of Cinder's crypto in a Web Worker (1 KiB frames, encrypt + decrypt, the backend the
 * app picks; bench/browser/oneway-worker.ts). Goal: received rate >= 0.5x that rate. Also printed: the
 * storage floor in the same browser (the same 1,000 rows written to IndexedDB as a receive writes
 * them, without crypto: bench/browser/idb-floor-worker.ts) and the serial ceiling it gives.
 * Chromium here; Firefox and WebKit: bench/backlog-engines.ts. `BENCH_RTT_MS=<ms>`: Bob's connection
 * goes through a proxy adding that round trip (bench/latency-proxy.ts), as on a phone's network;
 * `BENCH_TRACE=1` prints each of Bob's requests (start and end) with its time after the app was opened.
 */
import type { Browser, Page } from 'playwright';
import { countStore, installCountWatch, rpc, rpcPage, sendSecretBurst } from './browser/rpc';
import { reportFloor, type Floor } from './browser/idb-floor';
import { serveWorkerPage } from './browser/worker-page';
import { profileWorkers } from './browser/worker-profile';
import { latencyProxy } from './latency-proxy';
import { fmt, report, signUpUi, startBrowserBench, waitFor } from './support';

const N = 1000;
const GOAL = 0.5;
const t0 = performance.now();
const { browser, url, cleanup, onCleanup } = await startBrowserBench(300_000);
const RTT_MS = Number(process.env.BENCH_RTT_MS ?? 0);
const bobProxy = RTT_MS > 0 ? await latencyProxy(Number(new URL(url).port), RTT_MS / 2) : null;
if (bobProxy) onCleanup(() => void bobProxy.close());

/** The first reply of a bench worker (bench/browser/*-worker.ts) run in a tab of `browser` (a tiny server of its own serves the bundle). */
async function inWorker<T>(browser: Browser, file: string): Promise<T> {
  const served = await serveWorkerPage(new URL(`./browser/${file}`, import.meta.url), file.replace(/\.ts$/, ''));
  try {
    const tab = await browser.newPage();
    await tab.goto(served.url);
    const out = (await tab.evaluate(() => (window as unknown as { result: Promise<unknown> }).result)) as ({ ok: true } & T) | { ok: false; error: string };
    await tab.close();
    if (!out.ok) throw new Error(out.error);
    return out;
  } finally {
    served.close();
  }
}

/** The one-way ratchet rate inside a Web Worker of `browser`. */
const oneWayRate = (browser: Browser) => inWorker<{ rate: number; rounds: number[]; backend: string }>(browser, 'oneway-worker.ts');

/** Opens the app and times the first /api/envelopes response → `target` rows in secretMessages. */
async function receiveBacklog(page: Page, target: number): Promise<{ applyMs: number; openMs: number; got: number }> {
  await installCountWatch(page, 'secretMessages', target);

  let firstAt = NaN;
  page.on('response', (r) => {
    if (Number.isNaN(firstAt) && /\/api\/envelopes\?/.test(r.url())) firstAt = Date.now();
  });
  const profiling = process.env.BENCH_PROFILE ? await profileWorkers(page) : null;
  const start = Date.now();
  if (process.env.BENCH_TRACE) {
    page.on('request', (r) => console.log(`  +${Date.now() - start} req ${r.method()} ${r.url().replace(/^https?:\/\/[^/]+/, '')}`));
    page.on('requestfinished', (r) => console.log(`  +${Date.now() - start} end ${r.method()} ${r.url().replace(/^https?:\/\/[^/]+/, '')}`));
  }
  await page.goto('/');
  type W = { __reached?: number; __count?: number; __changedAt?: number };
  for (;;) {
    const w = await page.evaluate(() => {
      const x = window as unknown as W;
      return { reached: x.__reached, count: x.__count ?? 0, changedAt: x.__changedAt ?? 0 };
    });
    if (w.reached) await profiling?.stop(process.env.BENCH_PROFILE!);
    if (w.reached) return { applyMs: w.reached - firstAt, openMs: w.reached - start, got: target };
    // Stalled (no new row for 10 s): report what arrived.
    if (Date.now() - Math.max(start, w.changedAt) > 10_000) return { applyMs: NaN, openMs: NaN, got: w.count };
    await new Promise((r) => setTimeout(r, 100));
  }
}

try {
  console.log(`Cinder secret backlog bench — ${N} queued secret envelopes received in the app's worker (headless Chromium), goal >= ${GOAL}x the one-way ratchet rate`);
  if (bobProxy) console.log(`(Bob's connection: through a proxy adding ${RTT_MS} ms per round trip)`);
  const bob = await signUpUi(browser, bobProxy?.url ?? url, 'bob', 'Bob');
  const aliceUi = await signUpUi(browser, url, 'alice', 'Alice');
  await aliceUi.page.close();
  const a = await rpcPage(aliceUi.context, url);
  // Bob's app accepts the handshake (its worker claims the request and answers), then closes.
  const { id: chatId } = await rpc<{ id: string }>(a, 'startSecretChat', { peerId: bob.userId });
  await waitFor(async () => (await rpc<{ status: string }>(a, 'secretChat', { id: chatId })).status === 'active', 20_000, 50);
  await waitFor(async () => (await countStore(bob.page, 'sendQueue')) === 0 && (await countStore(a, 'sendQueue')) === 0, 10_000, 50);
  const before = await countStore(bob.page, 'secretMessages');
  await bob.page.close();

  const t = performance.now();
  await sendSecretBurst(a, chatId, N, 90_000);
  const sendRate = (N * 1000) / (performance.now() - t);
  await a.close();

  // The ratchet baseline just before and just after the receive, in the same browser (the machine is shared: its
  // speed drifts within seconds); the median of all rounds is the baseline.
  const ratchetBefore = await oneWayRate(browser);
  const bobPage = await bob.context.newPage();
  bobPage.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  const got = await receiveBacklog(bobPage, before + N);
  await bobPage.close();
  const ratchetAfter = await oneWayRate(browser);
  const floor = await inWorker<Floor>(browser, 'idb-floor-worker.ts');
  const rounds = [...ratchetBefore.rounds, ...ratchetAfter.rounds];
  const ratchet = { backend: ratchetAfter.backend, rounds, rate: [...rounds].sort((x, y) => x - y)[rounds.length >> 1]! };

  console.log('\nsecret backlog, 1,000 queued envelopes:');
  report('sender worker encrypt+queue+POST rate', sendRate, 'msg/s');
  report(`baseline: one-way ratchet in a Chromium worker (${ratchet.backend}, 1 KiB)`, ratchet.rate, 'msg/s', `rounds ${ratchet.rounds.map((r) => fmt(r)).join(', ')}`);
  if (Number.isFinite(got.applyMs)) {
    const rate = (N * 1000) / got.applyMs;
    report('app open → 1,000 msgs decrypted+stored', got.openMs, 'ms');
    report('received rate (first envelope page → all stored)', rate, 'msg/s', `${fmt(rate / ratchet.rate, 2)}x ratchet; goal >= ${GOAL}x`, rate / ratchet.rate >= GOAL);
    reportFloor(floor, ratchet.rate, rate, GOAL);
  } else report('msgs stored before receive stalled 10 s (INCOMPLETE)', got.got - before, 'msgs', `of ${N}`, false);
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} finally {
  await cleanup();
}
