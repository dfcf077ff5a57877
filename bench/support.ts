/**
 * Shared bits for the browser/relay benchmarks: production build + real server, headless Chromium,
 * sign-up through the UI or the API, percentiles, and the machine-readable result lines that
 * scripts/bench.mjs collects for its summary.
 *
 * When BENCH_RESULTS names a file, each result is also appended there as a JSON line
 * {figure, value, unit, budget, ok}; `ok` is null when a figure has no budget (it is then printed
 * for information, usually beside a same-run baseline).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';
import { CHROMIUM_ARGS, chromiumPath } from '../tests/support/chromium';
import { sendCloud, signUpApi as signUpApiAs, type ApiUser } from '../tests/support/api';
import { startServer, type RunningServer } from '../tests/support/server';

export { startServer, type RunningServer };

export const PASSWORD = 'correct horse battery';

/**
 * Builds the app (`npm run build --silent`; SKIP_BUILD=1 reuses ./build) and snapshots build/ into
 * a private temp dir that becomes this process's cwd, so another build running in the repo while a
 * bench runs cannot swap the files under the server (startServer runs `build/cinder.js` from cwd).
 */
let snapshot: string | null = null;
export function buildApp(): string {
  if (snapshot) return snapshot;
  const repo = process.cwd();
  if (process.env.SKIP_BUILD !== '1') {
    const t0 = performance.now();
    execFileSync('npm', ['run', 'build', '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    console.log(`(production build: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  snapshot = mkdtempSync(join(tmpdir(), 'cinder-bench-build-'));
  cpSync(join(repo, 'build'), join(snapshot, 'build'), { recursive: true });
  cpSync(join(repo, 'package.json'), join(snapshot, 'package.json'));
  symlinkSync(join(repo, 'node_modules'), join(snapshot, 'node_modules'));
  process.chdir(snapshot);
  const dir = snapshot;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return snapshot;
}

/** tsx (esbuild keepNames) wraps named functions in __name(); functions serialized into pages need it defined. */
export const NAME_SHIM = 'globalThis.__name = globalThis.__name || ((f) => f);';

export async function newContext(
  browser: Browser,
  url: string,
  viewport = { width: 360, height: 740 },
  options: Parameters<Browser['newContext']>[0] = {}
): Promise<BrowserContext> {
  const context = await browser.newContext({ ...options, baseURL: url, viewport });
  await context.addInitScript({ content: NAME_SHIM });
  return context;
}

/** The benches send thousands of messages as fast as possible; the per-device send limit is not what they measure. */
export const UNLIMITED_SENDS = { SEND_RATE_BURST: '1000000', SEND_RATE_PER_SEC: '1000000', LOG_LEVEL: 'warn' };

export async function launch(): Promise<Browser> {
  return chromium.launch({ headless: true, executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}

let counter = 0;
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid % 1000}_${Date.now() % 100000}_${counter++}`.slice(0, 32);
}

export interface UiUser {
  context: BrowserContext;
  page: Page;
  username: string;
  userId: string;
  token: string;
}

/** Signs up through the app's own page (the device keys live in that browser's worker). */
export async function signUpUi(browser: Browser, url: string, prefix: string, displayName: string, viewport = { width: 360, height: 740 }): Promise<UiUser> {
  const context = await newContext(browser, url, viewport);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  const username = uniqueName(prefix);
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel(/Display name/).fill(displayName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Chats' }).waitFor();
  const token = (await context.cookies()).find((c) => c.name === 'cinder_session')!.value;
  const me = (await (await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as { user: { id: string } };
  return { context, page, username, userId: me.user.id, token };
}

export type { ApiUser };
export { sendCloud };

/** Signs up through the HTTP API with throwaway device keys (for a sender that never decrypts). */
export const signUpApi = (url: string, prefix: string): Promise<ApiUser> => signUpApiAs(url, uniqueName(prefix), PASSWORD);

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** One machine-readable result for scripts/bench.mjs (and a human line). */
export function report(figure: string, value: number, unit: string, budget: string | null = null, ok: boolean | null = null, digits = 0) {
  const verdict = ok === null ? '' : ok ? '  OK' : '  MISSED';
  console.log(`  ${figure.padEnd(58)} ${fmt(value, digits).padStart(9)} ${unit.padEnd(6)} ${budget ? `(${budget})` : ''}${verdict}`);
  if (process.env.BENCH_RESULTS) appendFileSync(process.env.BENCH_RESULTS, `${JSON.stringify({ figure, value: Number(fmt(value, digits)), unit, budget, ok })}\n`);
}

export async function waitFor<T>(f: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Hard stop so a stuck browser never keeps a bench alive. */
export function watchdog(ms: number, cleanup?: () => Promise<unknown>) {
  const t = setTimeout(async () => {
    console.error(`bench watchdog: still running after ${ms / 1000} s, giving up`);
    await Promise.race([cleanup?.(), new Promise((r) => setTimeout(r, 3000))]).catch(() => undefined);
    process.exit(2);
  }, ms);
  t.unref();
}

/**
 * The usual set-up of a browser bench: the app built and snapshotted, a relay without send limits, a
 * headless Chromium, and a watchdog. `cleanup` (also run by the watchdog) closes all of it and removes
 * the relay's data; `onCleanup` adds more (e.g. child processes) to run first.
 */
export async function startBrowserBench(watchdogMs: number) {
  buildApp();
  const server = await startServer(UNLIMITED_SENDS);
  const browser = await launch();
  const extra: (() => void)[] = [];
  const cleanup = async () => {
    for (const f of extra) f();
    await browser.close().catch(() => undefined);
    await server.stop().catch(() => undefined);
    rmSync(server.dataDir, { recursive: true, force: true });
  };
  watchdog(watchdogMs, cleanup);
  return { server, browser, url: server.url, cleanup, onCleanup: (f: () => void) => void extra.push(f) };
}
