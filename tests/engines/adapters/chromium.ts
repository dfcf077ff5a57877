/** Chromium through Playwright: one browser per test worker, one context per device. */
import { chromium, type Browser, type BrowserContext, type ElementHandle, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath } from '../../support/chromium';
import type { EngineAdapter } from '../driver';
import { VIEWPORT } from './viewport';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}

export async function chromiumDevice(browser: Browser): Promise<EngineAdapter> {
  const context: BrowserContext = await browser.newContext({ viewport: VIEWPORT });
  const page: Page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const handle = async (expr: string): Promise<ElementHandle | null> => {
    const h = await page.evaluateHandle(expr);
    const el = h.asElement();
    if (!el) await h.dispose();
    return el as ElementHandle | null;
  };
  return {
    engine: 'chromium',
    goto: async (url) => void (await page.goto(url)),
    reload: async () => void (await page.reload()),
    url: async () => page.url(),
    evaluate: (expr) => page.evaluate(expr),
    click: async (expr) => {
      const el = await handle(expr);
      if (!el) return false;
      await el.click({ timeout: 5000 });
      await el.dispose();
      return true;
    },
    type: async (expr, text) => {
      const el = await handle(expr);
      if (!el) return false;
      await el.fill(text, { timeout: 5000 });
      await el.dispose();
      return true;
    },
    screenshot: async (path) => void (await page.screenshot({ path })),
    errors: async () => errors,
    close: () => context.close()
  };
}
