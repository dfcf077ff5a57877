/**
 * Self-destruct timer latency: `npm run bench:timers` (~60-90 s).
 * Secret chat with a 1-second timer; on the RECEIVER (Bob) we measure, per message,
 * (time it is gone) − (its deadline). Deadlines are read in clear from IndexedDB `secretMessages`.
 *  (a) foreground: Bob's chat page open; 200 messages; an in-page 20 ms IndexedDB poller records
 *      when each row disappears and a MutationObserver when its element leaves the message log.
 *  (b) push: Bob's app closed (only a blank tab); per batch Bob reads the messages, closes the app,
 *      and at the deadline we deliver a push with CDP ServiceWorker.deliverPushMessage (what the
 *      relay's wake-up push does), then poll IndexedDB inside the service worker until the rows go.
 * Budget (from the test): gone within 1 s of the deadline.
 */
import type { BrowserContext, Page } from 'playwright';
import { swRegistration } from '../tests/support/sw';
import { rpc, rpcPage } from './browser/rpc';
import { percentile, report, signUpUi, waitFor, startBrowserBench } from './support';

const FOREGROUND_N = Number(process.env.TIMERS_N ?? 200);
const PUSH_BATCHES = Number(process.env.TIMERS_PUSH_BATCHES ?? 20);
const PUSH_BATCH = 10;
const BUDGET_MS = 1000;
const t0 = performance.now();
const { browser, url, cleanup } = await startBrowserBench(170_000);

type Tm = { deadlines: Record<string, number>; idbGone: Record<string, number>; domGone: Record<string, number> };

/** In-page recorder of deadlines and disappearance times (IndexedDB poll + MutationObserver). */
function installRecorder(page: Page) {
  return page.evaluate(() => {
    const tm: Tm = { deadlines: {}, idbGone: {}, domGone: {} };
    (window as unknown as { __tm: Tm }).__tm = tm;
    new MutationObserver((records) => {
      const now = Date.now();
      for (const r of records)
        for (const n of Array.from(r.removedNodes)) {
          if (!(n instanceof Element)) continue;
          const els = n.matches('[data-message-id]') ? [n] : Array.from(n.querySelectorAll('[data-message-id]'));
          for (const el of els) tm.domGone[el.getAttribute('data-message-id')!] ??= now;
        }
    }).observe(document.body, { childList: true, subtree: true });
    const open = indexedDB.open('cinder');
    open.onsuccess = () => {
      const db = open.result;
      const tick = () => {
        const req = db.transaction('secretMessages').objectStore('secretMessages').getAll();
        req.onsuccess = () => {
          const now = Date.now();
          const present = new Set<string>();
          for (const m of req.result as { id: string; deadline: number | null }[]) {
            present.add(m.id);
            if (m.deadline) tm.deadlines[m.id] = m.deadline;
          }
          for (const id of Object.keys(tm.deadlines)) if (!present.has(id)) tm.idbGone[id] ??= now;
          setTimeout(tick, 20);
        };
      };
      tick();
    };
  });
}

async function swRows(context: BrowserContext): Promise<{ id: string; deadline: number | null }[]> {
  const [sw] = context.serviceWorkers();
  if (!sw) throw new Error('no service worker running');
  return sw.evaluate(async () => {
    const db: IDBDatabase = await new Promise((res, rej) => {
      const r = indexedDB.open('cinder');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const rows: { id: string; deadline: number | null }[] = await new Promise((res) => {
      const req = db.transaction('secretMessages').objectStore('secretMessages').getAll();
      req.onsuccess = () => res(req.result.map((m: { id: string; deadline: number | null }) => ({ id: m.id, deadline: m.deadline })));
    });
    db.close();
    return rows;
  });
}

/** Alice's page-less client sends `n` texts, one every `gapMs`. */
const sendPaced = (a: Page, chatId: string, n: number, gapMs: number, tag: string) =>
  a.evaluate(
    async ([id, count, gap, t]) => {
      const call = (window as unknown as { rpc: (m: string, p: unknown) => Promise<unknown> }).rpc;
      const all: Promise<unknown>[] = [];
      for (let i = 0; i < (count as number); i++) {
        all.push(call('secretSend', { id, text: `${t} ${i}` }));
        await new Promise((r) => setTimeout(r, gap as number));
      }
      await Promise.all(all);
    },
    [chatId, n, gapMs, tag] as const
  );

try {
  console.log(`Cinder self-destruct timer bench — 1-second timer, receiver side; budget: gone within ${BUDGET_MS} ms of the deadline`);
  const bob = await signUpUi(browser, url, 'bob', 'Bob');
  const aliceUi = await signUpUi(browser, url, 'alice', 'Alice');
  await aliceUi.page.close();
  const a = await rpcPage(aliceUi.context, url);
  const { id: chatId } = await rpc<{ id: string }>(a, 'startSecretChat', { peerId: bob.userId });
  await waitFor(async () => (await rpc<{ status: string }>(a, 'secretChat', { id: chatId })).status === 'active', 20_000, 50);
  await rpc(a, 'secretSetTimer', { id: chatId, seconds: 1 });
  await bob.page.goto(`/secret/${chatId}`);
  await bob.page.getByText('set the self-destruct timer to 1 second').waitFor();
  await bob.page.evaluate(async () => navigator.serviceWorker.ready);

  // ---------- (a) foreground ----------
  await installRecorder(bob.page);
  await sendPaced(a, chatId, FOREGROUND_N, 60, 'fg');
  let tm: Tm | null = null;
  await waitFor(
    async () => {
      tm = await bob.page.evaluate(() => (window as unknown as { __tm: Tm }).__tm);
      return Object.keys(tm.idbGone).length >= FOREGROUND_N && Object.keys(tm.domGone).length >= FOREGROUND_N;
    },
    15_000,
    200
  ).catch(() => undefined);
  const t = tm as unknown as Tm;
  const idbDelay = Object.entries(t.idbGone)
    .filter(([id]) => t.deadlines[id])
    .map(([id, g]) => g - t.deadlines[id]);
  const domDelay = Object.entries(t.domGone)
    .filter(([id]) => t.deadlines[id])
    .map(([id, g]) => g - t.deadlines[id]);
  console.log(`\n(a) foreground, ${FOREGROUND_N} messages (${Object.keys(t.deadlines).length} got a deadline; ±20 ms poll resolution):`);
  report('timer fg: deadline → row gone from IndexedDB, p50', percentile(idbDelay, 50), 'ms', `≤ ${BUDGET_MS} ms`, percentile(idbDelay, 50) <= BUDGET_MS);
  report(
    'timer fg: deadline → row gone from IndexedDB, p99',
    percentile(idbDelay, 99),
    'ms',
    `≤ ${BUDGET_MS} ms`,
    percentile(idbDelay, 99) <= BUDGET_MS && idbDelay.length >= FOREGROUND_N
  );
  report('timer fg: deadline → bubble gone from screen, p50', percentile(domDelay, 50), 'ms', `≤ ${BUDGET_MS} ms`, percentile(domDelay, 50) <= BUDGET_MS);
  report(
    'timer fg: deadline → bubble gone from screen, p99',
    percentile(domDelay, 99),
    'ms',
    `≤ ${BUDGET_MS} ms`,
    percentile(domDelay, 99) <= BUDGET_MS && domDelay.length >= FOREGROUND_N
  );
  if (idbDelay.length < FOREGROUND_N || domDelay.length < FOREGROUND_N)
    console.log(`  (only ${idbDelay.length} rows / ${domDelay.length} bubbles of ${FOREGROUND_N} were gone 15 s after the last send)`);

  // ---------- (b) through push ----------
  const blank = await bob.context.newPage();
  await blank.goto('data:text/html,<p>not Cinder</p>');
  const { cdp, registrationId } = await swRegistration(bob.context, blank);
  const pushDelay: number[] = [];
  let skipped = 0;
  let page: Page | null = bob.page;
  for (let b = 0; b < PUSH_BATCHES; b++) {
    if (!page) {
      page = await bob.context.newPage();
      await page.goto(`/secret/${chatId}`);
      await page.getByRole('list', { name: 'Messages' }).waitFor();
    }
    const tag = `push${b}`;
    await sendPaced(a, chatId, PUSH_BATCH, 0, tag);
    // Bob's screen shows them, which starts their timers (one read report for what is on screen);
    // he closes the app as soon as the deadlines are stored, well before the 1-second timer runs out.
    await page.evaluate(async (prefix) => {
      const db: IDBDatabase = await new Promise((res, rej) => {
        const r = indexedDB.open('cinder');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const deadline = Date.now() + 10_000;
      let firstAt = 0;
      for (;;) {
        const rows: { deadline: number | null }[] = await new Promise((res) => {
          const req = db.transaction('secretMessages').objectStore('secretMessages').getAll();
          req.onsuccess = () => res(req.result);
        });
        const timed = rows.filter((r) => r.deadline).length;
        if (timed && !firstAt) firstAt = Date.now();
        // all visible ones are reported in one debounced call: give stragglers 150 ms at most
        if (firstAt && (timed >= (prefix as number) || Date.now() - firstAt > 150)) break;
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      db.close();
    }, PUSH_BATCH);
    await page.close();
    page = null;
    const rows = (await swRows(bob.context)).filter((r) => r.deadline);
    if (!rows.length) {
      skipped += PUSH_BATCH;
      continue;
    }
    skipped += Math.max(0, PUSH_BATCH - rows.length);
    const deadline = Math.max(...rows.map((r) => r.deadline!));
    await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: url, registrationId, data: '{"t":"wake"}' });
    const pushedAt = Date.now();
    const pending = new Map(rows.map((r) => [r.id, r.deadline!]));
    const until = Date.now() + 5000;
    while (pending.size && Date.now() < until) {
      const present = new Set((await swRows(bob.context)).map((r) => r.id));
      const now = Date.now();
      for (const [id, d] of pending)
        if (!present.has(id)) {
          // From its deadline, or from the push when the batch's push came after it (same read time ⇒ usually equal).
          pushDelay.push(now - Math.max(d, pushedAt));
          pending.delete(id);
        }
      await new Promise((r) => setTimeout(r, 10));
    }
    skipped += pending.size;
  }
  console.log(
    `\n(b) app closed, push delivered at the deadline: ${PUSH_BATCHES} batches × ${PUSH_BATCH} (${pushDelay.length} rows measured; ${skipped} rows deferred: no deadline yet when the app closed (read and measured in a later batch) or purged by the page before it closed):`
  );
  report('timer push: deadline → row gone (SW purge), p50', percentile(pushDelay, 50), 'ms', `≤ ${BUDGET_MS} ms`, percentile(pushDelay, 50) <= BUDGET_MS);
  report('timer push: deadline → row gone (SW purge), p99', percentile(pushDelay, 99), 'ms', `≤ ${BUDGET_MS} ms`, percentile(pushDelay, 99) <= BUDGET_MS);
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} finally {
  await cleanup();
}
