/**
 * Playwright Test fixtures for the cross-engine suite: one real relay per test worker, browsers
 * launched once per worker and only when a test asks for that engine, and `open(engine)` for a
 * fresh device (its own profile). Devices are closed after each test; a failing test leaves a
 * screenshot of every device it opened.
 */
import { existsSync } from 'node:fs';
import type { Browser as PwBrowser } from '@playwright/test';
import type { Browser as PpBrowser } from 'puppeteer-core';
import type { RunningServer } from '../support/server';
import { expect, test as base } from '../e2e/fixtures';
import { chromiumDevice, launchChromium } from './adapters/chromium';
import { firefoxDevice, firefoxPath, launchFirefox } from './adapters/firefox';
import { webkitAvailable, webkitDevice } from './adapters/webkit';
import { Device, type Engine } from './driver';

export { expect };

/** What a failing test's devices were doing: page, service worker, and whether the relay answers. */
async function diagnose() {
  const me = await Promise.race([
    fetch('/api/me').then(
      (r) => `HTTP ${r.status}`,
      (e) => `failed: ${e}`
    ),
    new Promise((r) => setTimeout(() => r('no answer in 3 s'), 3000))
  ]);
  const db = await Promise.race([
    new Promise((res) => {
      const r = indexedDB.open('cinder');
      r.onsuccess = () => {
        const tx = r.result.transaction(['meta', 'secretMessages', 'messages'], 'readwrite');
        tx.oncomplete = () => (r.result.close(), res('read-write transaction ok'));
        tx.onerror = () => res(`transaction failed: ${tx.error}`);
        tx.objectStore('meta').count();
      };
      r.onerror = () => res(`open failed: ${r.error}`);
      r.onblocked = () => res('open blocked');
    }),
    new Promise((r) => setTimeout(() => r('database: no answer in 3 s'), 3000))
  ]);
  const locks = await navigator.locks?.query().catch((e) => String(e));
  // Which context holds those locks and what it is doing (src/lib/store/lock-diagnostics.ts); a
  // context that does not answer is frozen or gone.
  const contexts = await new Promise((done) => {
    if (typeof BroadcastChannel !== 'function') return done('no BroadcastChannel');
    const channel = new BroadcastChannel('cinder-store-diagnostics');
    const ask = Math.random().toString(36).slice(2);
    const reports: string[] = [];
    channel.onmessage = (ev) => {
      const r = ev.data as { type?: string; ask?: string; context?: string; clientId?: string; ops?: { mode: string; stores: string[]; phase: string; since: number }[] };
      if (r?.type !== 'report' || r.ask !== ask) return;
      const ops = (r.ops ?? []).map((o) => `${o.phase} ${o.mode} ${o.stores.join('+')} for ${Date.now() - o.since} ms`);
      reports.push(`${r.context} ${r.clientId}: ${ops.join('; ') || 'idle'}`);
    };
    channel.postMessage({ type: 'ask', ask });
    setTimeout(() => (channel.close(), done(reports)), 1500);
  });
  return { url: location.href, sw: !!navigator.serviceWorker?.controller, me, db, locks, contexts, text: document.body.innerText.slice(0, 200) };
}

interface Browsers {
  chromium: () => Promise<PwBrowser>;
  firefox: () => Promise<PpBrowser>;
}

function missingEngine(engine: Engine): string | null {
  if (engine === 'firefox' && !existsSync(firefoxPath())) return `Firefox not found at ${firefoxPath()} (apt-get install firefox-esr, or set FIREFOX_PATH)`;
  if (engine === 'webkit' && !webkitAvailable())
    return 'WebKitWebDriver/MiniBrowser not found (apt-get install webkit2gtk-driver xvfb, or set WEBKIT_DRIVER_PATH / WEBKIT_BROWSER_PATH)';
  return null;
}

export type Open = (engine: Engine, relay?: Pick<RunningServer, 'url'>) => Promise<Device>;

/** The Chromium suite's fixtures (one relay per worker: `relay`), plus browsers of every engine. */
export const test = base.extend<{ open: Open }, { browsers: Browsers }>({
  browsers: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires a destructuring first parameter
    async ({}, use) => {
      const launched: { chromium?: Promise<PwBrowser>; firefox?: Promise<PpBrowser> } = {};
      await use({ chromium: () => (launched.chromium ??= launchChromium()), firefox: () => (launched.firefox ??= launchFirefox()) });
      await Promise.all([launched.chromium?.then((b) => b.close()), launched.firefox?.then((b) => b.close())]);
    },
    { scope: 'worker' }
  ],
  open: async ({ browsers, relay }, use, testInfo) => {
    const opened: Device[] = [];
    await use(async (engine, server = relay) => {
      const missing = missingEngine(engine);
      // A developer without Firefox or WebKit still runs the rest; CI must have every engine.
      if (missing && !process.env.CI) testInfo.skip(true, missing);
      if (missing) throw new Error(missing);
      const adapter =
        engine === 'chromium'
          ? await chromiumDevice(await browsers.chromium())
          : engine === 'firefox'
            ? await firefoxDevice(await browsers.firefox())
            : await webkitDevice();
      const device = new Device(adapter, server.url);
      opened.push(device);
      return device;
    });
    for (const [i, d] of opened.entries()) {
      if (testInfo.status !== testInfo.expectedStatus) {
        await d.screenshot(testInfo.outputPath(`device-${i}-${d.engine}.png`)).catch(() => undefined);
        const errors = await d.errors().catch(() => []);
        if (errors.length) console.error(`[${d.engine} page errors] ${errors.join('\n')}`);
        console.error(`[device ${i} ${d.engine}] ${JSON.stringify(await d.eval(diagnose).catch((e) => String(e)))}`);
      }
      await d.close().catch(() => undefined);
    }
  }
});
