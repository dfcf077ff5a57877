/**
 * The secret backlog bench (bench/backlog.ts) with Bob in Firefox or WebKit:
 * `BENCH_ENGINE=firefox|webkit npm run bench:backlog-engines` (WebKit under `xvfb-run -a`).
 *
 * Bob's browser is driven through tests/engines' adapters (puppeteer-core over BiDi for Firefox,
 * WebKitWebDriver + MiniBrowser for WebKit); Alice is the page-less worker client in Chromium. The
 * driver cannot see the worker's requests, so the figure runs from the first received row stored to
 * all stored (an in-page 20 ms IndexedDB poller), over the messages stored in that span. Baseline:
 * the one-way ratchet in a Web Worker of Bob's browser, 3 rounds before and 3 after, median; and the
 * storage floor in the same browser (bench/browser/idb-floor.ts).
 */
import { firefoxDevice, launchFirefox } from '../tests/engines/adapters/firefox';
import { webkitDevice } from '../tests/engines/adapters/webkit';
import { Device } from '../tests/engines/driver';
import { signUp } from '../tests/engines/flows';
import { countStore, rpc, rpcPage, sendSecretBurst } from './browser/rpc';
import { reportFloor, type Floor } from './browser/idb-floor';
import { serveWorkerPage } from './browser/worker-page';
import { fmt, report, signUpUi, startBrowserBench, waitFor } from './support';

const N = 1000;
const GOAL = 0.5;
const engine = (process.env.BENCH_ENGINE ?? 'firefox') as 'firefox' | 'webkit';
const t0 = performance.now();
const { browser, url, cleanup, onCleanup } = await startBrowserBench(400_000);

const ff = engine === 'firefox' ? await launchFirefox() : null;
const bob = new Device(ff ? await firefoxDevice(ff) : await webkitDevice(), url);
onCleanup(() => {
  void bob.close().catch(() => undefined);
  void ff?.close().catch(() => undefined);
});

/** Bob's store count and when it first moved / reached the target, from a poller in his page. */
const pollerExpr = (before: number, target: number) => `(() => {
  const w = window; w.__bl = { first: 0, reached: 0, count: ${before}, firstCount: 0 };
  let db = null;
  const tick = () => {
    if (!db) { const r = indexedDB.open('cinder'); r.onsuccess = () => { db = r.result; setTimeout(tick, 20); }; r.onerror = () => setTimeout(tick, 20); return; }
    let q; try { q = db.transaction('secretMessages').objectStore('secretMessages').count(); } catch { setTimeout(tick, 20); return; }
    q.onsuccess = () => {
      const n = q.result; w.__bl.count = n;
      if (n > ${before} && !w.__bl.first) { w.__bl.first = Date.now(); w.__bl.firstCount = n; }
      if (n >= ${target}) { w.__bl.reached = Date.now(); db.close(); } else setTimeout(tick, 20);
    };
  };
  tick();
  return true;
})()`;

/** The first reply of a bench worker (bench/browser/*-worker.ts) run in a page of Bob's browser. */
async function inWorker<T>(file: string, what: string): Promise<T> {
  const served = await serveWorkerPage(new URL(`./browser/${file}`, import.meta.url), file.replace(/\.ts$/, ''));
  try {
    await bob.goto(served.url);
    const out = await bob.until(what, () => bob.script<({ ok: true } & T) | { ok: false; error: string } | null>('window.result'), 120_000);
    if (!out.ok) throw new Error(out.error);
    return out;
  } finally {
    served.close();
  }
}

const oneWay = async (): Promise<number[]> => (await inWorker<{ rounds: number[] }>('oneway-worker.ts', 'the ratchet worker')).rounds;

try {
  console.log(`Cinder secret backlog bench — ${N} queued secret envelopes received in ${engine}'s app worker, goal >= ${GOAL}x the one-way ratchet rate`);
  await signUp(bob, 'bob', 'Bob');
  const bobId = await bob.eval(async () => ((await (await fetch('/api/me')).json()) as { user: { id: string } }).user.id);
  const aliceUi = await signUpUi(browser, url, 'alice', 'Alice');
  await aliceUi.page.close();
  const a = await rpcPage(aliceUi.context, url);
  const { id: chatId } = await rpc<{ id: string }>(a, 'startSecretChat', { peerId: bobId });
  await waitFor(async () => (await rpc<{ status: string }>(a, 'secretChat', { id: chatId })).status === 'active', 60_000, 100);
  await waitFor(async () => (await countStore(a, 'sendQueue')) === 0, 20_000, 100);
  const before = await bob.eval(
    () =>
      new Promise<number>((res) => {
        const r = indexedDB.open('cinder');
        r.onsuccess = () => {
          const q = r.result.transaction('secretMessages').objectStore('secretMessages').count();
          q.onsuccess = () => (r.result.close(), res(q.result));
        };
      })
  );
  await bob.goto('about:blank'); // Bob's app closed: no page, no worker

  await sendSecretBurst(a, chatId, N, 120_000);
  await a.close();

  const roundsBefore = await oneWay();
  await bob.goto('/');
  await bob.script(pollerExpr(before, before + N));
  const got = await bob.until(
    '1,000 messages stored',
    () => bob.script<{ first: number; reached: number; count: number; firstCount: number } | null>('window.__bl?.reached ? window.__bl : null'),
    180_000
  );
  const roundsAfter = await oneWay();
  const floor = await inWorker<Floor>('idb-floor-worker.ts', 'the storage floor worker');
  const rounds = [...roundsBefore, ...roundsAfter];
  const ratchet = [...rounds].sort((x, y) => x - y)[rounds.length >> 1]!;
  const rate = ((before + N - got.firstCount) * 1000) / (got.reached - got.first);
  console.log(`\nsecret backlog in ${engine}, 1,000 queued envelopes:`);
  report(`baseline: one-way ratchet in a ${engine} worker (1 KiB)`, ratchet, 'msg/s', `rounds ${rounds.map((r) => fmt(r)).join(', ')}`);
  report(
    `received rate (first row stored → all stored, ${before + N - got.firstCount} msgs)`,
    rate,
    'msg/s',
    `${fmt(rate / ratchet, 2)}x ratchet; goal >= ${GOAL}x`,
    rate / ratchet >= GOAL
  );
  reportFloor(floor, ratchet, rate, GOAL);
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} finally {
  await cleanup();
}
