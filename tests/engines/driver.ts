/**
 * One small interface over three browser engines, so every cross-engine test is written once:
 * Chromium (Playwright), Firefox (puppeteer-core over WebDriver BiDi) and WebKit (W3C WebDriver
 * against WebKitWebDriver + MiniBrowser). A Device is one user's browser profile with one tab.
 *
 * Elements are found inside the page by what a user sees (role and name, label, text; see
 * in-page.js), then clicked and typed into with each engine's native input, so events are real.
 */
import { readFileSync } from 'node:fs';

export type Engine = 'chromium' | 'firefox' | 'webkit';
export const ENGINES: readonly Engine[] = ['chromium', 'firefox', 'webkit'];

type Text = string | RegExp;

/** How a user names an element. `within` scopes the search; `hasText` filters by content. */
export type Target = (
  { role: string; name?: Text; exact?: boolean } | { label: Text; exact?: boolean } | { text: Text; exact?: boolean } | { css: string } | { testId: string }
) & { within?: Target; hasText?: Text; nth?: number; hidden?: boolean };

/** The in-page locator library, evaluated fresh in each call (pages navigate, state does not survive). */
// An expression: prettier ends the file with a semicolon, which cannot stand inside the parentheses below.
const LIB = readFileSync(new URL('./in-page.js', import.meta.url), 'utf8')
  .trim()
  .replace(/;$/, '');

/** Targets cross into the page as JSON: a RegExp becomes {regex, flags}. */
export function serializeTarget(t: Target): string {
  return JSON.stringify(t, (_k, v) => (v instanceof RegExp ? { regex: v.source, flags: v.flags } : v));
}

export const findExpr = (t: Target) => `(${LIB}).one(${serializeTarget(t)})`;
export const countExpr = (t: Target) => `(${LIB}).find(${serializeTarget(t)}).length`;

/** An expression that calls `fn` with JSON arguments; `fn` must not close over anything. */
export function callExpr(fn: (...args: never[]) => unknown, args: unknown[]): string {
  return `(${fn.toString()})(...${JSON.stringify(args)})`;
}

/** What each engine adapter implements; everything else is built on top in Device. */
export interface EngineAdapter {
  readonly engine: Engine;
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  url(): Promise<string>;
  /** Evaluates a JS expression in the page (awaiting a promise result); JSON-serialisable results. */
  evaluate<R>(expr: string): Promise<R>;
  /** Natively clicks the element the expression evaluates to; false if it evaluated to null. */
  click(elementExpr: string): Promise<boolean>;
  /** Clears and natively types into the element the expression evaluates to. */
  type(elementExpr: string, text: string): Promise<boolean>;
  screenshot(path: string): Promise<void>;
  /** Uncaught page errors seen so far. */
  errors(): Promise<string[]>;
  close(): Promise<void>;
}

export class TimeoutError extends Error {}

/** Default wait for a condition. Generous: tests wait on conditions, a busy machine only makes them slower. */
export const WAIT_MS = Number(process.env.ENGINE_WAIT_MS ?? 30_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Device {
  constructor(
    private readonly a: EngineAdapter,
    readonly baseURL: string
  ) {}

  get engine(): Engine {
    return this.a.engine;
  }

  goto(path: string) {
    return this.a.goto(new URL(path, this.baseURL).href);
  }
  reload() {
    return this.a.reload();
  }
  url() {
    return this.a.url();
  }
  errors() {
    return this.a.errors();
  }
  screenshot(path: string) {
    return this.a.screenshot(path);
  }
  close() {
    return this.a.close();
  }

  /** Evaluates a whole script (e.g. a bundle) in the page; its last expression is the result. */
  script<R>(expr: string): Promise<R> {
    return this.a.evaluate<R>(expr);
  }

  eval<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<R> {
    return this.a.evaluate<R>(callExpr(fn as (...args: never[]) => unknown, args));
  }

  /** Polls `probe` until it returns a non-undefined, truthy value; throws with `what` on timeout. */
  async until<R>(what: string, probe: () => Promise<R>, timeout = WAIT_MS): Promise<NonNullable<R>> {
    const end = Date.now() + timeout;
    let last: unknown;
    for (;;) {
      try {
        const v = await probe();
        if (v) return v as NonNullable<R>;
      } catch (e) {
        // A navigation in progress destroys the context the probe ran in: try again.
        last = e;
      }
      if (Date.now() > end) throw new TimeoutError(`${this.engine}: timed out after ${timeout} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
      await sleep(100);
    }
  }

  count(t: Target): Promise<number> {
    return this.a.evaluate<number>(countExpr(t));
  }

  /** Waits until the target is on screen. */
  async see(t: Target, timeout?: number): Promise<void> {
    await this.until(`${serializeTarget(t)} to be visible`, async () => (await this.count(t)) > 0, timeout);
  }

  /** Waits until no element matches the target on screen. */
  async gone(t: Target, timeout?: number): Promise<void> {
    await this.until(`${serializeTarget(t)} to be gone`, async () => (await this.count(t)) === 0, timeout);
  }

  async seeText(text: Text, within?: Target, timeout?: number) {
    await this.see({ text, within }, timeout);
  }

  async click(t: Target, timeout?: number): Promise<void> {
    await this.until(`${serializeTarget(t)} to click`, () => this.a.click(findExpr(t)), timeout);
  }

  async fill(t: Target, text: string, timeout?: number): Promise<void> {
    await this.until(`${serializeTarget(t)} to type into`, () => this.a.type(findExpr(t), text), timeout);
  }

  /** The text content of the first matching element, once it exists. */
  async text(t: Target, timeout?: number): Promise<string> {
    return this.until(`${serializeTarget(t)} to read`, () => this.a.evaluate<string | null>(`(${findExpr(t)})?.textContent ?? null`), timeout).then((s) => s ?? '');
  }

  async attr(t: Target, name: string): Promise<string | null> {
    return this.a.evaluate<string | null>(`(${findExpr(t)})?.getAttribute(${JSON.stringify(name)}) ?? null`);
  }

  async waitForURL(re: RegExp, timeout?: number): Promise<string> {
    return this.until(
      `URL ${re}`,
      async () => {
        const u = await this.url();
        return re.test(u) ? u : '';
      },
      timeout
    );
  }

  /** Picks files for the <input type=file> the target names, as the OS file dialog would. */
  async setFiles(t: Target, files: { name: string; mime: string; bytes: Uint8Array }[]): Promise<void> {
    const payload = files.map((f) => ({ name: f.name, mime: f.mime, b64: Buffer.from(f.bytes).toString('base64') }));
    await this.until(`${serializeTarget(t)} to take files`, () =>
      this.a.evaluate<boolean>(`((input, files) => {
        if (!input) return false;
        const dt = new DataTransfer();
        for (const f of files) {
          const bin = atob(f.b64);
          const bytes = new Uint8Array(bin.length);
          for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
          dt.items.add(new File([bytes], f.name, { type: f.mime }));
        }
        input.files = dt.files;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        input.dispatchEvent(new Event('change', { bubbles: true }));
        return true;
      })(${findExpr({ ...t, hidden: true })}, ${JSON.stringify(payload)})`)
    );
  }
}
