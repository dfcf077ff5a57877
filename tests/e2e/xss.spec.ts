/**
 * Hostile text stays text: display names and messages carrying HTML, script, SVG handlers, markdown
 * links and bidi overrides render literally in cloud and secret chats (attachment file names too, with
 * their bidi overrides defused), run nothing, and add no elements. The app shell carries a strict Content-Security-Policy that blocks injected inline script.
 */
import type { Page } from '@playwright/test';
import { expect, messageLog, openChatWith, sendText, signUp, test } from './fixtures';
import { sendSecret, startSecretChat } from './secret-helpers';

const EVIL_NAME = '<img src=x onerror="window.__xss=1">';
const PAYLOADS = [
  '<script>window.__xss=1</script>',
  '<svg onload="window.__xss=1"><circle r=5 /></svg>',
  '[x](javascript:window.__xss=1) **bold** <a href="javascript:window.__xss=1">link</a>',
  '<img src=x onerror=window.__xss=1><iframe src="javascript:window.__xss=1"></iframe>',
  '\u202Egnp.exe\u202C \u2067isolate\u2069 \u200Fnormal',
  '{@html "<b>x</b>"} ${window.__xss=1} {{constructor.constructor("window.__xss=1")()}}',
  // Formatting markers around markup: elements made by the app, the markup inside them still text.
  '**<img src=x onerror=window.__xss=1>** `<script>window.__xss=2</script>` ||<svg onload="window.__xss=1"></svg>||'
];
/** What a payload's bubble shows: its formatting markers (rich-text.ts) are gone, what they wrap stays text. */
const SHOWN = new Map([
  [PAYLOADS[2], '[x](javascript:window.__xss=1) bold <a href="javascript:window.__xss=1">link</a>'],
  [PAYLOADS[6], '<img src=x onerror=window.__xss=1> <script>window.__xss=2</script> <svg onload="window.__xss=1"></svg>']
]);
const shown = (p: string) => SHOWN.get(p) ?? p;

/** Nothing ran, and the message log holds no element a payload could have created. */
async function assertInert(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  const log = messageLog(page);
  // The app's own icons (the message menu's "⋯" is three circles) are aria-hidden; a payload's svg is not.
  for (const sel of ['script', 'iframe', 'svg[onload]', 'svg:not([aria-hidden="true"]) circle', '[onerror]', '[onload]', 'a[href^="javascript:"]', 'img[src="x"]']) {
    await expect(log.locator(sel)).toHaveCount(0);
  }
  // Nor anywhere else in the document.
  expect(await page.locator('[onerror], [onload], a[href^="javascript:"], img[src="x"], iframe').count()).toBe(0);
}

test('HTML, script, markdown and bidi tricks in names and messages render inert', async ({ browser, relay }) => {
  const mallory = await signUp(browser, relay, 'mallory', EVIL_NAME);
  const victim = await signUp(browser, relay, 'victim', 'Victim');
  const violations: string[] = [];
  for (const u of [mallory, victim]) {
    await u.page.exposeFunction('__cspViolation', (d: string) => violations.push(d));
    await u.page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { __cspViolation(d: string): void }).__cspViolation(
          `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${e.sample}`
        )
      );
    });
  }

  await openChatWith(mallory.page, victim.username);
  for (const p of PAYLOADS) {
    await sendText(mallory.page, p);
    await expect(messageLog(mallory.page).getByText(shown(p), { exact: true })).toBeVisible();
  }

  // The victim sees the chat row and every message as literal text.
  const row = victim.page.locator(`[data-chat="${mallory.username}"]`);
  await expect(row).toContainText(EVIL_NAME);
  await row.click();
  const log = messageLog(victim.page);
  for (const p of PAYLOADS) await expect(log.getByText(shown(p), { exact: true })).toBeVisible();
  await expect(log.locator('p.text strong')).toHaveText(['bold', '<img src=x onerror=window.__xss=1>']);
  await expect(log.locator('p.text code')).toHaveText('<script>window.__xss=2</script>');
  await expect(victim.page.getByText(EVIL_NAME).first()).toBeVisible();
  // The bidi override survives as a character (not stripped, not interpreted as markup).
  expect(await log.getByText(PAYLOADS[4], { exact: true }).textContent()).toContain('\u202E');
  await assertInert(victim.page);
  await assertInert(mallory.page);

  // The profile page and directory show the name literally too.
  await victim.page.goto(`/u/${mallory.username}`);
  await expect(victim.page.getByText(EVIL_NAME).first()).toBeVisible();
  expect(await victim.page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();

  // Secret chat: the same payloads through the end-to-end channel.
  const chatId = await startSecretChat(mallory.page, victim.username);
  await victim.page.goto('/');
  await victim.page.locator(`[data-secret-chat="${mallory.username}"]`).click();
  await expect(victim.page).toHaveURL(new RegExp(`/secret/${chatId}`));
  await expect(mallory.page.getByText('Victim joined your secret chat.')).toBeVisible();
  await expect(victim.page.getByText(`You joined ${EVIL_NAME}'s secret chat.`)).toBeVisible();
  for (const p of PAYLOADS.slice(0, 3)) await sendSecret(mallory.page, p);
  for (const p of PAYLOADS.slice(0, 3)) await expect(messageLog(victim.page).getByText(shown(p), { exact: true })).toBeVisible();
  await assertInert(victim.page);

  // An attachment whose file name is markup, and carries a bidi override to fake its extension
  // ("…\u202Etxt.exe" renders as "…exe.txt"): the markup stays text, the override is defused (U+FFFD).
  const evilFile = '<img src=x onerror="window.__xss=1">\u202Etxt.exe';
  await mallory.page.locator('input[type="file"]').setInputFiles({ name: evilFile, mimeType: 'text/plain', buffer: Buffer.from('hello') });
  const fileName = messageLog(victim.page).locator('[data-file] .media-name').filter({ hasText: 'onerror' });
  await expect(fileName).toHaveText('<img src=x onerror="window.__xss=1">\uFFFDtxt.exe');
  await assertInert(victim.page);

  // The app itself caused no CSP violation (its scripts, styles, worker and manifest all fit).
  expect(violations).toEqual([]);
  for (const u of [mallory, victim]) await u.context.close();
});

test('the app shell is served with a strict CSP that blocks injected inline script', async ({ browser, relay }) => {
  const res = await fetch(relay.url + '/login');
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/);
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toMatch(/'unsafe-eval'/); // (DevTools-evaluated code may eval regardless, so checked here)
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('permissions-policy')).toContain('camera=(self)');
  expect(res.headers.get('permissions-policy')).toContain('microphone=()');
  expect(res.headers.get('permissions-policy')).toContain('geolocation=()');
  expect(res.headers.get('strict-transport-security')).toBeNull(); // plain http here
  // The worker script and the service worker get a same-origin-only policy of their own.
  const sw = await fetch(relay.url + '/service-worker.js');
  expect(sw.headers.get('content-security-policy')).toContain("connect-src 'self'");

  const { context, page } = await (async () => {
    const context = await browser.newContext({ baseURL: relay.url });
    return { context, page: await context.newPage() };
  })();
  await page.goto('/login');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  const result = await page.evaluate(async () => {
    const w = window as unknown as { __inline?: number; __handler?: number };
    const violated = new Promise<string>((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true });
      setTimeout(() => resolve('none'), 3000);
    });
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.appendChild(s);
    const img = document.createElement('img');
    img.setAttribute('onerror', 'window.__handler = 1');
    img.src = 'data:,not-an-image';
    document.body.appendChild(img);
    const directive = await violated;
    await new Promise((r) => setTimeout(r, 200));
    return { inline: w.__inline, handler: w.__handler, directive };
  });
  expect(result.inline).toBeUndefined();
  expect(result.handler).toBeUndefined();
  expect(result.directive).toMatch(/^script-src/);

  // The page may not be framed.
  const framed = await context.newPage();
  await framed.setContent(`<iframe src="${relay.url}/login"></iframe>`);
  await framed.waitForTimeout(500);
  const frame = framed.frames().find((f) => f.url().startsWith(relay.url));
  const loaded = frame ? await frame.evaluate(() => !!document.querySelector('button')).catch(() => false) : false;
  expect(loaded).toBe(false);
  await context.close();
});
