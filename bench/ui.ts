/**
 * UI responsiveness and size: `npm run bench:ui` (~90-120 s; most of it is inserting 10,000 messages).
 * Headless Chromium at 360×740.
 *  (a) a cloud chat with 10,000 messages (sent through the API, synced once by Bob's device):
 *      cold navigation to /chat/:peer → first message bubble in the DOM (MutationObserver) and first
 *      contentful paint; in-app open from the chat list (click → first bubble); then scrolling to the
 *      top 20 times (each loads an older page) with a 'longtask' PerformanceObserver running.
 *      Budget: first message < 300 ms, no long tasks.
 *      Chromium runs with its address-bar WebUI preloading off (tests/support/chromium.ts): headless
 *      Chromium 156 starts that renderer with every new window, and on this 2-core machine it added
 *      ~110 ms to this median (paired runs of one build, 9 cold opens each: 354–361 → 234–249 ms);
 *      an installed app's window has no address bar.
 *      UI_COLD_RUNS=15 opens more times (the spread between runs here is ±40 ms).
 *  (b) offline start from the service worker: context offline, reload '/', navigation → 'Chats'
 *      heading + chat list in the DOM. Budget < 500 ms.
 *  (c) initial JavaScript of the chat list: gzip (zlib default level) of every script the
 *      first load of '/' fetches, except the crypto worker and the lazy QR decoder. Budget < 60 KB.
 *      The worker bundle and the service worker are reported separately.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright';
import { countStore } from './browser/rpc';
import { fmt, percentile, report, sendCloud, signUpApi, signUpUi, waitFor, startBrowserBench } from './support';

const N = Number(process.env.UI_N ?? 10_000);
const COLD_RUNS = Number(process.env.UI_COLD_RUNS ?? 7);
const t0 = performance.now();
const { browser, url, cleanup } = await startBrowserBench(230_000);

/** Before any app script: long tasks and first-bubble / heading timestamps (performance.now()). */
const PROBE = `(() => {
  const p = (window.__probe = { longtasks: [], fcp: null, firstMsg: null, chats: null });
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) p.longtasks.push({ start: e.startTime, dur: e.duration }); })
      .observe({ type: 'longtask', buffered: true });
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.name === 'first-contentful-paint') p.fcp = e.startTime; })
      .observe({ type: 'paint', buffered: true });
  } catch {}
  const check = () => {
    if (p.firstMsg === null && document.querySelector('ol[aria-label="Messages"] [data-message-id]')) p.firstMsg = performance.now();
    if (p.chats === null) {
      const h = [...document.querySelectorAll('h1')].some((e) => e.textContent.trim() === 'Chats');
      if (h && document.querySelector('ul[aria-label="Chats"] li')) p.chats = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();`;

type Probe = { longtasks: { start: number; dur: number }[]; fcp: number | null; firstMsg: number | null; chats: number | null };
const probe = (page: Page) => page.evaluate(() => (window as unknown as { __probe: Probe }).__probe);

try {
  console.log(`Cinder UI bench — headless Chromium 360×740, ${N} messages, 2-core shared machine`);
  console.log("(Chromium's own address-bar WebUI preloading is switched off: see tests/support/chromium.ts)");
  const bob = await signUpUi(browser, url, 'bob', 'Bob');
  await bob.context.addInitScript({ content: PROBE });
  await bob.page.evaluate(async () => navigator.serviceWorker.ready);
  const alice = await signUpApi(url, 'alice');
  // Bob's app is closed while the history is written (so this measures the chat, not 10,000 live updates).
  await bob.page.close();
  let t = performance.now();
  await sendCloud(url, alice, bob.userId, N, 12, (i) => `message ${i}: ${'lorem ipsum dolor sit amet '.repeat(1 + (i % 4))}`);
  console.log(`(inserted ${N} messages through the API in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  let page = await bob.context.newPage();
  t = performance.now();
  await page.goto('/');
  await waitFor(async () => (await countStore(page, 'messages')) >= N, 90_000, 250);
  console.log(`(Bob's device synced them in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  const listed = page.getByRole('list', { name: 'Chats' }).getByRole('link').first();
  await listed.waitFor();
  // Read, as a long chat someone scrolls back through is: an unread one opens at its first unread message
  // (here the oldest of all), with nothing older to page to.
  await listed.click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Mark as read', exact: true }).click();
  await waitFor(async () => (await listed.getByLabel(/unread$/).count()) === 0, 30_000, 100);
  await page.close();

  // ---------- (a) open the chat ----------
  const cold: number[] = [],
    fcp: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    // A second between runs: the previous page's worker and its database work wind down first.
    await new Promise((r) => setTimeout(r, 1000));
    page = await bob.context.newPage();
    await page.goto(`/chat/${alice.userId}`);
    await page.waitForFunction(() => (window as unknown as { __probe: Probe }).__probe.firstMsg !== null, null, { timeout: 20_000 });
    const p = await probe(page);
    cold.push(p.firstMsg!);
    if (p.fcp !== null) fcp.push(p.fcp);
    await page.close();
  }
  // In-app: from the chat list, click the chat.
  page = await bob.context.newPage();
  await page.goto('/');
  const row = page.getByRole('list', { name: 'Chats' }).getByRole('link').first();
  await row.waitFor();
  const inApp: number[] = [];
  for (let i = 0; i < 3; i++) {
    await page.evaluate(() => ((window as unknown as { __probe: Probe }).__probe.firstMsg = null));
    const clickAt = await page.evaluate(() => performance.now());
    await row.click();
    await page.waitForFunction(() => (window as unknown as { __probe: Probe }).__probe.firstMsg !== null, null, { timeout: 20_000 });
    inApp.push((await probe(page)).firstMsg! - clickAt);
    await page.goBack();
    await row.waitFor();
  }
  await page.close();

  // Scroll to the top 20 times in a fresh chat page.
  page = await bob.context.newPage();
  await page.goto(`/chat/${alice.userId}`);
  await page.waitForFunction(() => (window as unknown as { __probe: Probe }).__probe.firstMsg !== null, null, { timeout: 20_000 });
  await page.waitForTimeout(500);
  const scrollStart = await page.evaluate(() => performance.now());
  const pageTimes: number[] = [];
  const downTimes: number[] = [];
  const rows = page.locator('ol[aria-label="Messages"] [data-message-id]');
  const bubbles = () => rows.count();
  const edge = (which: 'first' | 'last') => rows[which]().getAttribute('data-message-id');
  let maxBubbles = 0;
  // Each scroll to an end must bring a new page there (the window moves); the DOM stays bounded.
  const scrollTo = async (which: 'first' | 'last', times: number[]) => {
    const before = await edge(which);
    const s = performance.now();
    await page.evaluate((top) => {
      const sc = document.querySelector('.scroll.messages') as HTMLElement;
      sc.scrollTop = top ? 0 : sc.scrollHeight;
    }, which === 'first');
    await waitFor(async () => (await edge(which)) !== before, 10_000, 10).catch(() => undefined);
    times.push(performance.now() - s);
    maxBubbles = Math.max(maxBubbles, await bubbles());
    await page.waitForTimeout(50);
  };
  for (let i = 0; i < 20; i++) await scrollTo('first', pageTimes);
  const scrollEnd = await page.evaluate(() => performance.now());
  const finalBubbles = await bubbles();
  // 14 of the 15 pages between the window (300 rows) and the newest messages.
  for (let i = 0; i < 14; i++) await scrollTo('last', downTimes);
  const downEnd = await page.evaluate(() => performance.now());
  const pr = await probe(page);
  const lt = pr.longtasks.filter((l) => l.start >= scrollStart && l.start <= scrollEnd);
  const ltTotal = lt.reduce((s, l) => s + l.dur, 0);
  const ltMax = lt.reduce((m, l) => Math.max(m, l.dur), 0);
  const openLt = pr.longtasks.filter((l) => l.start < scrollStart);
  const downLt = pr.longtasks.filter((l) => l.start > scrollEnd && l.start <= downEnd);
  await page.close();

  console.log(`\n(a) cloud chat with ${N} messages:`);
  report(`ui: cold /chat/:peer → first message in DOM (median of ${COLD_RUNS})`, percentile(cold, 50), 'ms', '< 300 ms', percentile(cold, 50) < 300);
  // The budget is on the median; p90 shows how much margin a busy machine leaves (issue #19.7).
  report(`ui: cold /chat/:peer → first message in DOM (p90 of ${COLD_RUNS})`, percentile(cold, 90), 'ms', 'for reference (budget is on the median)');
  report(`ui: cold /chat/:peer first-contentful-paint (median of ${COLD_RUNS})`, percentile(fcp, 50), 'ms', 'for reference');
  console.log(`      (cold runs: first message ${cold.map((x) => fmt(x)).join(', ')} ms; FCP ${fcp.map((x) => fmt(x)).join(', ')} ms)`);
  report('ui: in-app open, click → first message in DOM (median of 3)', percentile(inApp, 50), 'ms', '< 300 ms', percentile(inApp, 50) < 300);
  report('ui: long tasks while opening the chat (cold load)', openLt.length, 'tasks', `${fmt(openLt.reduce((s, l) => s + l.dur, 0))} ms total`);
  report('ui: scroll to top ×20: long tasks', lt.length, 'tasks', `0; ${fmt(ltTotal)} ms total, longest ${fmt(ltMax)} ms`, lt.length === 0);
  report(
    'ui: scroll to top ×20: older page shown, median',
    percentile(pageTimes, 50),
    'ms',
    `p90 ${fmt(percentile(pageTimes, 90))} ms; ${finalBubbles} bubbles in the DOM at the end`
  );
  report('ui: back down ×14: long tasks', downLt.length, 'tasks', `0; newer page shown, median ${fmt(percentile(downTimes, 50))} ms`, downLt.length === 0);
  report('ui: bubbles in the DOM, most at any time', maxBubbles, 'rows', '≤ 300 (windowed list)', maxBubbles <= 300);

  // ---------- (b) offline start ----------
  page = await bob.context.newPage();
  await page.goto('/');
  await page.getByRole('list', { name: 'Chats' }).getByRole('link').first().waitFor();
  await bob.context.setOffline(true);
  const offline: number[] = [];
  const OFFLINE_RUNS = Number(process.env.UI_OFFLINE_RUNS ?? 7);
  for (let i = 0; i < OFFLINE_RUNS; i++) {
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { __probe: Probe }).__probe.chats !== null, null, { timeout: 20_000 });
    offline.push((await probe(page)).chats!);
  }
  await bob.context.setOffline(false);
  await page.close();
  console.log('\n(b) offline start from the service worker:');
  report(`ui: offline reload → Chats heading + list in DOM (median of ${OFFLINE_RUNS})`, percentile(offline, 50), 'ms', '< 500 ms', percentile(offline, 50) < 500);
  report(`ui: offline reload → Chats heading + list in DOM (p90 of ${OFFLINE_RUNS})`, percentile(offline, 90), 'ms', 'for reference (budget is on the median)');

  // ---------- (c) initial JavaScript ----------
  // Bob's signed-in device loads '/' in a new tab and renders his chat list; scripts come from the
  // service worker's precache (same bytes as the network), each counted once.
  page = await bob.context.newPage();
  const scripts = new Map<string, Promise<Buffer>>();
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.origin === url && /\.m?js$/.test(u.pathname) && !scripts.has(u.pathname)) scripts.set(u.pathname, r.body());
  });
  await page.goto('/');
  await page.getByRole('list', { name: 'Chats' }).getByRole('link').first().waitFor();
  await page.waitForLoadState('networkidle');
  const lazy = (p: string) => /\/workers\//.test(p) || /service-worker\.js$/.test(p);
  let initial = 0;
  const lines: string[] = [];
  const qrLoaded: string[] = [];
  for (const [p, body] of scripts) {
    const buf = await body.catch(() => Buffer.alloc(0));
    const gz = gzipSync(buf).length;
    if (/zxing|barcode/i.test(buf.toString('latin1').slice(0, 200_000)) && /zxing_reader|BarcodeDetector/.test(buf.toString('latin1'))) qrLoaded.push(p);
    if (lazy(p)) continue;
    initial += gz;
    lines.push(`    ${(gz / 1024).toFixed(1).padStart(6)} KB gz  ${p}`);
  }
  await page.close();
  const dir = 'build/client/_app/immutable/workers';
  const workerGz = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .reduce((s, f) => s + gzipSync(readFileSync(`${dir}/${f}`)).length, 0);
  const swGz = gzipSync(readFileSync('build/client/service-worker.js')).length;
  console.log(`\n(c) initial JavaScript of '/' (${lines.length} scripts):`);
  for (const l of lines) console.log(l);
  if (qrLoaded.length) console.log(`  QR decoder code found in initially loaded scripts: ${qrLoaded.join(', ')}`);
  report('ui: initial JS for / (gzip, excl. worker + QR decoder)', initial / 1024, 'KB', '< 60 KB', initial / 1024 < 60 && qrLoaded.length === 0, 1);
  report('ui: crypto worker bundle (gzip, loaded separately)', workerGz / 1024, 'KB', null, null, 1);
  report('ui: service worker (gzip)', swGz / 1024, 'KB', null, null, 1);
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} finally {
  await cleanup();
}
