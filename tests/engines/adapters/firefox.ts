/** Firefox ESR through puppeteer-core over WebDriver BiDi: one browser per test worker, one user context per device. */
import puppeteer, { type Browser, type ElementHandle } from 'puppeteer-core';
import type { EngineAdapter } from '../driver';
import { VIEWPORT } from './viewport';

export function firefoxPath(): string {
  return process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
}

export async function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath(),
    headless: true,
    extraPrefsFirefox: {
      // Offline from the relay's point of view is a killed server, never Firefox's own offline mode.
      'network.manage-offline-status': false,
      // Service workers on http://127.0.0.1 (a secure context) and no first-run pages.
      'dom.serviceWorkers.enabled': true,
      'browser.shell.checkDefaultBrowser': false
    }
  });
}

export async function firefoxDevice(browser: Browser): Promise<EngineAdapter> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(VIEWPORT);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e instanceof Error ? e.message : String(e)));
  const handle = async (expr: string): Promise<ElementHandle<Element> | null> => {
    const h = await page.evaluateHandle(expr);
    const el = h.asElement();
    if (!el) await h.dispose();
    return el as ElementHandle<Element> | null;
  };
  return {
    engine: 'firefox',
    goto: async (url) => void (await page.goto(url)),
    reload: async () => void (await page.reload()),
    url: async () => page.url(),
    evaluate: <R>(expr: string) => page.evaluate(expr) as Promise<R>,
    click: async (expr) => {
      const el = await handle(expr);
      if (!el) return false;
      await el.click();
      await el.dispose();
      return true;
    },
    type: async (expr, text) => {
      const el = await handle(expr);
      if (!el) return false;
      // Select what is there so typing replaces it, as fill() does elsewhere.
      await el.evaluate((e) => (e as HTMLInputElement).select?.());
      if (text === '') await el.press('Backspace');
      else await el.type(text);
      await el.dispose();
      return true;
    },
    screenshot: async (path) => void (await page.screenshot({ path: path as `${string}.png` })),
    errors: async () => errors,
    close: () => context.close()
  };
}
