/**
 * WebKit (the engine of Safari and of every iPhone browser) as WebKitGTK's MiniBrowser, driven over
 * W3C WebDriver by WebKitWebDriver. MiniBrowser needs a display, so each driver runs under
 * `xvfb-run -a`; a driver serves one session, so each device gets its own driver process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from '../../support/server';
import type { EngineAdapter } from '../driver';
import { VIEWPORT } from './viewport';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export function webkitPaths(): { driver: string; browser: string } {
  return {
    driver: process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver',
    browser: process.env.WEBKIT_BROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'
  };
}

export const webkitAvailable = () => existsSync(webkitPaths().driver) && existsSync(webkitPaths().browser) && existsSync('/usr/bin/xvfb-run');

class WebDriverError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(`${code}: ${message}`);
  }
}

/** Errors that mean "not yet" (the page is busy or the element is covered): the caller retries. */
const TRANSIENT = new Set(['element click intercepted', 'element not interactable', 'stale element reference', 'no such element']);

export async function webkitDevice(): Promise<EngineAdapter> {
  const paths = webkitPaths();
  const port = await freePort();
  // Own process group, so closing kills xvfb-run, Xvfb, the driver and MiniBrowser together.
  // A random first display number: two drivers started at once by `-a` alone can pick the same one.
  const display = String(100 + Math.floor(Math.random() * 30_000));
  const driver: ChildProcess = spawn('xvfb-run', ['-a', '-n', display, paths.driver, `--port=${port}`, '--host=127.0.0.1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true
  });
  let driverLog = '';
  driver.stderr!.on('data', (d) => (driverLog = (driverLog + d).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    const json = (await res.json()) as { value: T & { error?: string; message?: string } };
    if (!res.ok) throw new WebDriverError(json.value?.error ?? String(res.status), json.value?.message ?? '');
    return json.value;
  }

  const killDriver = () => {
    try {
      if (driver.pid) process.kill(-driver.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };

  let session: string;
  try {
    const end = Date.now() + 30_000;
    for (;;) {
      try {
        await call('GET', '/status');
        break;
      } catch (e) {
        if (driver.exitCode !== null || Date.now() > end) throw new Error(`WebKitWebDriver did not start: ${String(e)}\n${driverLog}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const created = await call<{ sessionId: string }>('POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: paths.browser, args: ['--automation'] } } }
    });
    session = created.sessionId;
    await call('POST', `/session/${session}/timeouts`, { script: 120_000, pageLoad: 120_000 });
    await call('POST', `/session/${session}/window/rect`, VIEWPORT).catch(() => undefined);
  } catch (e) {
    killDriver();
    throw e;
  }
  const s = (path: string) => `/session/${session}${path}`;

  // No init scripts over classic WebDriver: a collector is installed after every navigation.
  const collectErrors = () =>
    call('POST', s('/execute/sync'), {
      script: `if (!window.__engineErrors) { window.__engineErrors = [];
        addEventListener('error', (e) => window.__engineErrors.push(String(e.message)));
        addEventListener('unhandledrejection', (e) => window.__engineErrors.push(String(e.reason && e.reason.message || e.reason))); }`,
      args: []
    }).catch(() => undefined);
  const seenErrors: string[] = [];
  const pageErrors = () => evaluate<string[]>('window.__engineErrors || []').catch(() => [] as string[]);
  /** Keeps what the current document collected before navigating away from it. */
  const keepErrors = async () => void seenErrors.push(...(await pageErrors()));

  async function evaluate<R>(expr: string): Promise<R> {
    const out = await call<{ ok?: R; err?: string }>('POST', s('/execute/async'), {
      script: `const done = arguments[arguments.length - 1];
        Promise.resolve().then(() => (${expr})).then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ err: String((e && e.stack) || e) }));`,
      args: []
    });
    if (out.err !== undefined) throw new Error(`in page: ${out.err}`);
    return out.ok as R;
  }

  async function element(expr: string): Promise<string | null> {
    const v = await call<Record<string, string> | null>('POST', s('/execute/sync'), { script: `return (${expr});`, args: [] });
    return v?.[ELEMENT] ?? null;
  }

  async function transient(fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (e) {
      if (e instanceof WebDriverError && TRANSIENT.has(e.code)) return false;
      throw e;
    }
  }

  return {
    engine: 'webkit',
    goto: async (url) => {
      await keepErrors();
      await call('POST', s('/url'), { url });
      await collectErrors();
    },
    reload: async () => {
      await keepErrors();
      await call('POST', s('/refresh'), {});
      await collectErrors();
    },
    url: () => call<string>('GET', s('/url')),
    evaluate,
    click: async (expr) => {
      const id = await element(expr);
      return !!id && transient(() => call('POST', s(`/element/${id}/click`), {}));
    },
    type: async (expr, text) => {
      const id = await element(expr);
      return (
        !!id &&
        transient(async () => {
          await call('POST', s(`/element/${id}/clear`), {});
          if (text) await call('POST', s(`/element/${id}/value`), { text });
        })
      );
    },
    screenshot: async (path) => {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(path, Buffer.from(await call<string>('GET', s('/screenshot')), 'base64'));
    },
    errors: async () => [...seenErrors, ...(await pageErrors())],
    close: async () => {
      await call('DELETE', s('')).catch(() => undefined);
      killDriver();
    }
  };
}
