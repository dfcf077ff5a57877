/**
 * Search across all chats in the real app: `npm run bench:search-browser` (headless Chromium, 360×740;
 * ~3-6 min, most of it sending the history). Bob's device holds 10,000, then 50,000 cloud messages over
 * 50 chats (sent through the relay by 50 people while his app is closed, then synced); each time a fresh
 * page types into 'Search chats and people' and the time runs from that input to the results list (or
 * "No messages found") in the DOM (a MutationObserver), the list's 250 ms typing pause included:
 *   - few: a word in 1 message of 2,000 (fewer than a page: the whole history is opened);
 *   - again: the field emptied, the same word typed again;
 *   - many: a word in every message (the first page from the newest rows).
 * Median of BENCH_SEARCH_ROUNDS (3), a fresh page (a fresh worker) each round. No same-run floor in the
 * browser: compare builds by running this with SKIP_BUILD=1 from each tree, one after the other
 * (docs/benchmarks.md); bench/search.ts has the read/open floor, in Node.
 */
import { loadavg } from 'node:os';
import type { Page } from 'playwright';
import { countStore } from './browser/rpc';
import { buildApp, fmt, launch, percentile, report, sendCloud, signUpApi, signUpUi, startServer, UNLIMITED_SENDS, waitFor, watchdog } from './support';

const SIZES = (process.env.BENCH_SEARCH_SIZES ?? '10000,50000').split(',').map(Number);
const CHATS = 50;
const ROUNDS = Number(process.env.BENCH_SEARCH_ROUNDS ?? 3);
const RARE = 2_000;
const text = (i: number) => (i % RARE === 7 ? `shall we meet in Zanzibar next year? (${i})` : `message ${i}: an ordinary line of chat, about lunch and the weather`);

buildApp();
const server = await startServer({ ...UNLIMITED_SENDS, AUTH_RATE_LIMIT: '1000' });
const browser = await launch();
const cleanup = async () => {
  await browser.close().catch(() => undefined);
  await server.stop().catch(() => undefined);
};
watchdog(900_000, cleanup);
const url = server.url;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

/** Types `query` and resolves with ms from the input to a results list (or the miss) in the DOM. */
async function typed(page: Page, query: string, want: number): Promise<number> {
  return page.evaluate(
    ([q, n]) =>
      new Promise<number>((resolve, reject) => {
        const field = document.querySelector<HTMLInputElement>('input#search');
        if (!field) return reject(new Error('no search field'));
        const done = () => {
          const links = document.querySelectorAll('[aria-label="Message search results"] a').length;
          const miss = [...document.querySelectorAll('p')].some((p) => p.textContent?.trim() === 'No messages found.');
          return (n > 0 && links >= n) || (n === 0 && miss);
        };
        const t0 = performance.now();
        const mo = new MutationObserver(() => {
          if (!done()) return;
          mo.disconnect();
          resolve(performance.now() - t0);
        });
        mo.observe(document.body, { childList: true, subtree: true, characterData: true });
        field.value = q;
        field.dispatchEvent(new Event('input', { bubbles: true }));
      }),
    [query, want] as const
  );
}

async function clear(page: Page) {
  await page.getByLabel('Search chats and people').fill('');
  await page.getByRole('heading', { name: 'Messages', exact: true }).waitFor({ state: 'detached' });
}

try {
  console.log(`Cinder search bench (headless Chromium 360×740), ${new Date().toISOString()}, load ${load()}`);
  const bob = await signUpUi(browser, url, 'bob', 'Bob');
  await bob.page.evaluate(async () => navigator.serviceWorker.ready);
  const people = await Promise.all(Array.from({ length: CHATS }, (_, c) => signUpApi(url, `p${c}`)));
  await bob.page.close();
  let sent = 0;
  for (const size of SIZES) {
    // The history grows to `size`: message i from person i % CHATS, oldest first.
    const t = performance.now();
    const from = sent;
    await Promise.all(
      people.map((p, c) => {
        const mine = Array.from({ length: size }, (_, i) => i).filter((i) => i >= from && i % CHATS === c);
        return sendCloud(url, p, bob.userId, mine.length, 2, (k) => text(mine[k]));
      })
    );
    sent = size;
    console.log(`  (sent ${size - from} messages through the relay in ${fmt((performance.now() - t) / 1000, 1)} s)`);
    let page = await bob.context.newPage();
    const ts = performance.now();
    await page.goto('/');
    await waitFor(async () => (await countStore(page, 'messages')) >= size, 300_000, 500);
    console.log(`  (Bob's device synced them in ${fmt((performance.now() - ts) / 1000, 1)} s)`);
    await page.close();
    const s = { few: [] as number[], again: [] as number[], many: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      await new Promise((r) => setTimeout(r, 1000));
      page = await bob.context.newPage();
      await page.goto('/');
      await page.getByRole('list', { name: 'Chats' }).getByRole('link').first().waitFor();
      s.few.push(await typed(page, 'zanzibar', size / RARE));
      await clear(page);
      s.again.push(await typed(page, 'zanzibar', size / RARE));
      await clear(page);
      s.many.push(await typed(page, 'lunch', 30));
      await page.close();
    }
    const med = (xs: number[]) => percentile(xs, 50);
    report(`search, browser, ${size}: few matches → list shown`, med(s.few), 'ms', `runs ${s.few.map((x) => fmt(x)).join(', ')}`);
    report(`search, browser, ${size}: the same query again`, med(s.again), 'ms', `runs ${s.again.map((x) => fmt(x)).join(', ')}`);
    report(`search, browser, ${size}: many matches → list shown`, med(s.many), 'ms', `runs ${s.many.map((x) => fmt(x)).join(', ')}`);
  }
  console.log(`  load average ${load()} (1/5/15 min)`);
} finally {
  await cleanup();
}
process.exit(0);
