/**
 * Reconnect sync and relay restart benchmark: `npm run bench:sync` (~2-4 min on a loaded machine, mostly sending).
 *
 * 1. Cloud: Bob's app is closed; Alice (API client) sends 5,000 cloud messages (with `cloud` as the only
 *    argument, 1,000 first too, then only this part runs). Bob opens the app; we time navigation → his
 *    IndexedDB `messages` table holding them all, and the applied rate (first sync page received → all
 *    stored; issue #19.2: ≥ 5,000 msg/s). Baseline in the same run: the same updates fetched raw with
 *    Node fetch via GET /api/sync paging (no browser, no validation, no storage).
 * 2. Secret: Bob's app is closed; Alice's worker sends 1,000 secret messages (envelopes queue on the
 *    relay). Bob opens the app; we time navigation → 1,000 decrypted messages in `secretMessages`.
 *    Baseline: the same envelopes fetched raw via GET /api/envelopes paging.
 * 3. Relay restart with that DATA_DIR: SIGTERM → exit, spawn → first /healthz 200 → first
 *    authenticated GET /api/me 200; p50 over 5 restarts, beside a bare `node -e 0` start in this run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import type { Page, Request } from 'playwright';
import { LIMITS } from '../src/lib/api/limits';
import { countStore, installCountWatch, rpc, rpcPage, sendSecretBurst } from './browser/rpc';
import { fmt, percentile, report, sendCloud, signUpApi, signUpUi, waitFor, startBrowserBench } from './support';

const N = 1000;
const SYNC_TIMEOUT_MS = 30_000;
const t0 = performance.now();
let children: { kill: () => void }[] = [];
const { server, browser, url, cleanup, onCleanup } = await startBrowserBench(280_000);
onCleanup(() => {
  for (const c of children) c.kill();
});
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * Opens the app and times navigation → `store` holding `target` rows; gives up after 5 s without progress.
 * `applyMs`: from the first response of `firstPage` (the worker's first sync page) to all rows stored —
 * the apply rate without the app's start.
 */
async function openAndTime(page: Page, store: string, target: number, firstPage: RegExp): Promise<{ ms: number; got: number; lastMs: number; applyMs: number }> {
  await installCountWatch(page, store, target);
  // The browser's own time of the first page's response end: Playwright's events for a worker's
  // requests reach this process late (on a busy machine after the last row was stored).
  let first: Request | undefined;
  page.on('request', (r) => {
    if (!first && firstPage.test(r.url())) first = r;
  });
  const firstAt = async () => {
    if (!first) return NaN;
    await (await first.response())?.finished();
    const t = first.timing();
    return t.responseEnd >= 0 ? t.startTime + t.responseEnd : NaN;
  };
  const start = Date.now();
  await page.goto('/');
  type W = { __reached?: number; __count?: number; __changedAt?: number };
  for (;;) {
    const w = await page.evaluate(() => {
      const x = window as unknown as W;
      return { reached: x.__reached, count: x.__count ?? 0, changedAt: x.__changedAt ?? 0 };
    });
    if (w.reached) return { ms: w.reached - start, got: target, lastMs: w.reached - start, applyMs: w.reached - (await firstAt()) };
    if (Date.now() - Math.max(start, w.changedAt) > 5000 || Date.now() - start > SYNC_TIMEOUT_MS)
      return { ms: NaN, got: w.count, lastMs: w.changedAt - start, applyMs: NaN };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Bob's app closed, Alice sends `n` cloud messages; raw paging baseline, then Bob's app opens and applies them. */
async function cloudRun(n: number) {
  const bob = await signUpUi(browser, url, 'bob', 'Bob');
  const alice = await signUpApi(url, 'alice');
  await bob.page.close(); // the app is closed: no page, no worker (context and its IndexedDB stay)
  let t = performance.now();
  await sendCloud(url, alice, bob.userId, n, 16);
  const sendRate = (n * 1000) / (performance.now() - t);

  // Baseline: raw paging of Bob's update log with the worker's page size (3 runs, best).
  const rawRuns: number[] = [];
  for (let r = 0; r < 3; r++) {
    t = performance.now();
    let after = 0,
      got = 0;
    for (;;) {
      const res = (await (await fetch(`${url}/api/sync?after=${after}&limit=${LIMITS.syncPageMax}`, { headers: auth(bob.token) })).json()) as {
        updates: { kind: string }[];
        cursor: number;
        more: boolean;
      };
      got += res.updates.filter((u) => u.kind === 'message').length;
      after = res.cursor;
      if (!res.more) break;
    }
    if (got !== n) throw new Error(`raw sync returned ${got} messages`);
    rawRuns.push(performance.now() - t);
  }
  const rawMs = Math.min(...rawRuns);

  const page = await bob.context.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  if (process.env.SYNC_TRACE) page.on('console', (m) => m.text().startsWith('[sync]') && console.log(`    ${m.text()}`));
  const loadBefore = loadavg()[0];
  const cloud = await openAndTime(page, 'messages', n, /\/api\/sync\?/);
  const rawRate = (n * 1000) / rawMs;
  console.log(`\ncloud chat, ${n.toLocaleString('en')} queued messages (load ${fmt(loadBefore, 1)} → ${fmt(loadavg()[0], 1)}):`);
  report(`relay: cloud sends/s (API, 16 in flight), ${n} msgs`, sendRate, 'msg/s');
  report(`baseline: raw GET /api/sync paging of ${n} updates`, rawMs, 'ms', `best of 3, ${fmt(rawRate)} msg/s`);
  if (Number.isFinite(cloud.ms)) {
    report(`cloud: app open → ${n} msgs stored`, cloud.ms, 'ms', `${fmt(cloud.ms / rawMs, 1)}× raw fetch`);
    // Issue #19.2's goal: ≥ 5,000 msg/s applied, from the first sync page received to the last row stored.
    const applied = (n * 1000) / cloud.applyMs;
    report(
      `cloud: applied rate, ${n} msgs (first page received → all stored)`,
      applied,
      'msg/s',
      `goal ≥ 5,000 msg/s; raw paging ${fmt(rawRate)} msg/s, ${fmt(applied / rawRate, 2)}× raw`,
      applied >= 5000
    );
  } else report(`cloud: msgs stored before sync stalled 5 s (INCOMPLETE, ${n})`, cloud.got, 'msgs', `of ${n}`, false);
  await page.close();
  return bob;
}

const parts = process.argv.slice(2);

try {
  console.log(`Cinder reconnect-sync bench — ${N} queued messages, 2-core shared machine (no budget in the issue: figures beside same-run baselines)`);
  // ---------- cloud ----------
  // 5,000 (ten sync pages): enough that the rate is not one page's latency.
  // Sending takes most of the time (~100 sends/s on a loaded machine): the whole bench measures 5,000
  // (the goal's figure); `cloud` alone measures 1,000 as well.
  const cloudOnly = parts.length === 1 && parts[0] === 'cloud';
  if (cloudOnly) await cloudRun(N);
  const bob = await cloudRun(5 * N);
  // `npx tsx bench/sync.ts cloud`: only the cloud figures (1,000 and 5,000 messages).
  if (!cloudOnly) {
    // ---------- secret ----------
    let t: number;
    const aliceUi = await signUpUi(browser, url, 'alice2', 'Alice');
    await aliceUi.page.close();
    const a = await rpcPage(aliceUi.context, url);
    // Bob's app must be open to accept the handshake (its worker claims the request and answers).
    const bobPage = await bob.context.newPage();
    await bobPage.goto('/');
    await bobPage.getByRole('heading', { name: 'Chats' }).waitFor();
    const { id: chatId } = await rpc<{ id: string }>(a, 'startSecretChat', { peerId: bob.userId });
    await waitFor(async () => (await rpc<{ status: string }>(a, 'secretChat', { id: chatId })).status === 'active', 20_000, 50);
    await waitFor(async () => (await countStore(bobPage, 'sendQueue')) === 0 && (await countStore(a, 'sendQueue')) === 0, 10_000, 50).catch(async () => {
      throw new Error(`send queues not empty: bob ${await countStore(bobPage, 'sendQueue')}, alice ${await countStore(a, 'sendQueue')}`);
    });
    await new Promise((r) => setTimeout(r, 500)); // let Bob ack the key confirmation
    const before = await countStore(bobPage, 'secretMessages');
    await bobPage.close();

    t = performance.now();
    const { queuedAfterBurst, nudges } = await sendSecretBurst(a, chatId, N, 60_000);
    const secretSendRate = (N * 1000) / (performance.now() - t);
    await a.close();

    const envRuns: number[] = [];
    for (let r = 0; r < 3; r++) {
      t = performance.now();
      let after = 0,
        got = 0;
      for (;;) {
        const res = (await (await fetch(`${url}/api/envelopes?after=${after}&limit=${LIMITS.envelopePageMax}`, { headers: auth(bob.token) })).json()) as {
          envelopes: { seq: number }[];
        };
        if (!res.envelopes.length) break;
        got += res.envelopes.length;
        after = res.envelopes[res.envelopes.length - 1].seq;
      }
      if (got < N) throw new Error(`raw envelopes: ${got}`);
      envRuns.push(performance.now() - t);
    }
    const envMs = Math.min(...envRuns);
    const bobPage2 = await bob.context.newPage();
    bobPage2.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    const secret = await openAndTime(bobPage2, 'secretMessages', before + N, /\/api\/envelopes\?/);
    console.log('\nsecret chat, 1,000 queued envelopes:');
    report(
      'secret: sender worker encrypt+queue+POST rate',
      secretSendRate,
      'msg/s',
      `${queuedAfterBurst} still queued when the burst returned, ${nudges} syncNow nudges`
    );
    report('baseline: raw GET /api/envelopes paging of 1,000', envMs, 'ms', 'best of 3');
    if (Number.isFinite(secret.ms)) {
      report('secret: app open → 1,000 msgs decrypted+stored', secret.ms, 'ms', `${fmt(secret.ms / envMs, 1)}× raw fetch`);
      report('secret: reconnect throughput', (N * 1000) / secret.ms, 'msg/s', `raw ${fmt((N * 1000) / envMs)} msg/s`);
      report('secret: applied rate (first envelope page received → all stored)', (N * 1000) / secret.applyMs, 'msg/s');
    } else {
      report('secret: msgs stored before sync stalled 5 s (INCOMPLETE)', secret.got - before, 'msgs', `of ${N}`, false);
      report('secret: throughput of what did arrive', ((secret.got - before) * 1000) / secret.lastMs, 'msg/s', `last one at ${fmt(secret.lastMs)} ms`);
    }
    await browser.close();

    // ---------- restart ----------
    const bare: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      bare.push(performance.now() - s);
    }
    await server.stop();
    const env = { ...process.env, PORT: String(server.port), HOST: '127.0.0.1', DATA_DIR: server.dataDir, AUTH_RATE_LIMIT: '1000', LOG_LEVEL: 'warn' };
    const shutdown: number[] = [],
      healthz: number[] = [],
      authed: number[] = [],
      total: number[] = [];
    let child = spawn(process.execPath, ['build/cinder.js'], { env, stdio: 'ignore' });
    children = [{ kill: () => child.kill('SIGKILL') }];
    await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, 20_000, 20);
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      const down = performance.now();
      child = spawn(process.execPath, ['build/cinder.js'], { env, stdio: 'ignore' });
      await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, 20_000, 5);
      const h = performance.now();
      await waitFor(async () => (await fetch(`${url}/api/me`, { headers: auth(bob.token) }).catch(() => null))?.ok, 20_000, 5);
      const a2 = performance.now();
      shutdown.push(down - s);
      healthz.push(h - down);
      authed.push(a2 - down);
      total.push(a2 - s);
    }
    const bareP50 = percentile(bare, 50);
    console.log('\nrelay restart (DATA_DIR with the messages above), p50 of 5:');
    report('baseline: bare `node -e 0` spawn→exit', bareP50, 'ms', 'p50 of 5');
    report('restart: SIGTERM → process exit', percentile(shutdown, 50), 'ms');
    report('restart: spawn → first /healthz 200', percentile(healthz, 50), 'ms', `${fmt(percentile(healthz, 50) / bareP50, 1)}× bare node`);
    report('restart: spawn → first authenticated API 200', percentile(authed, 50), 'ms', `${fmt(percentile(authed, 50) / bareP50, 1)}× bare node`);
    report('restart: SIGTERM → serving authenticated again', percentile(total, 50), 'ms', `p99 ${fmt(percentile(total, 99))} ms`);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
} finally {
  await cleanup();
}
