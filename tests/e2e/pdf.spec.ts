/**
 * PDFs open inside Cinder (issue 16, item 1): pdf.js draws them onto canvases in the viewer, page by
 * page with a page count; a timed PDF has no Save, an untimed one has; a damaged one or one behind a
 * password says it cannot be shown; pdf.js and its worker come from the service worker's precache, so a
 * PDF opens offline too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Locator, Page } from '@playwright/test';
import { DAMAGED_PDF, LOCKED_PDF, makePdf, TWO_PAGES } from '../support/pdf';
import { audit } from './axe';
import { expect, messageLog, test } from './fixtures';
import { secretPair } from './secret-helpers';

test.describe.configure({ timeout: 240_000 });

const pick = (page: Page, name: string, buffer: Buffer) => page.locator('input[type=file]').setInputFiles({ name, mimeType: 'application/pdf', buffer });

/** The canvas of a page (role img, "Page n"). */
const canvasOf = (page: Locator) => page.locator('canvas');

/** Pixels of a page's canvas: how many are not white, and how many are dark (text). */
const ink = (page: Locator) =>
  canvasOf(page).evaluate((c: HTMLCanvasElement) => {
    if (!c.width || !c.height) return { marked: 0, dark: 0 };
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let marked = 0,
      dark = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) marked++;
      if (d[i] < 90 && d[i + 1] < 90 && d[i + 2] < 90) dark++;
    }
    return { marked, dark };
  });

/** Console messages about Content-Security-Policy violations (pdf.js must run under the app's policy). */
function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) seen.push(m.text());
  });
  return seen;
}

test('a timed PDF opens in the viewer: drawn pages, "Page n of 2", no Save; it passes axe in both themes', async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  const bobLog = messageLog(bob.page);
  const csp = cspViolations(bob.page);

  await alice.page.getByRole('button', { name: /Self-destruct timer:/ }).click();
  await alice.page.getByRole('radio', { name: '1 hour', exact: true }).click();
  await expect(bob.page.getByText('Alice set the self-destruct timer to 1 hour')).toBeVisible();
  await pick(alice.page, 'report.pdf', TWO_PAGES());
  // A high-density screen (2 device pixels per CSS pixel), as on a phone.
  const size = bob.page.viewportSize()!;
  await (await bob.context.newCDPSession(bob.page)).send('Emulation.setDeviceMetricsOverride', { ...size, deviceScaleFactor: 2, mobile: false });
  expect(await bob.page.evaluate(() => devicePixelRatio)).toBe(2);
  await bobLog.getByRole('button', { name: 'Open report.pdf' }).click();

  const viewer = bob.page.getByRole('dialog', { name: 'report.pdf' });
  await expect(viewer.getByText('Page 1 of 2')).toBeVisible();
  const first = viewer.getByRole('img', { name: 'Page 1' });
  // Drawn: the blue block and the dark text are on the canvas.
  await expect.poll(async () => (await ink(first)).marked).toBeGreaterThan(5000);
  await expect.poll(async () => (await ink(first)).dark).toBeGreaterThan(50);
  // Sharp: one canvas pixel per device pixel across the page's width (twice its CSS width here).
  const fit = await canvasOf(first).evaluate((c: HTMLCanvasElement) => ({ px: c.width, want: c.clientWidth * 2 }));
  expect(fit.want).toBeGreaterThan(400);
  expect(Math.abs(fit.px - fit.want)).toBeLessThanOrEqual(2);

  // Timed: nothing to save, download or print from.
  await expect(viewer.getByRole('link', { name: 'Save' })).toHaveCount(0);
  await expect(bob.page.locator('a[download]')).toHaveCount(0);
  await expect(bobLog.getByRole('button', { name: 'Save report.pdf' })).toHaveCount(0);
  await bob.page.emulateMedia({ media: 'print' });
  await expect(viewer.getByRole('region', { name: 'Pages of report.pdf' })).toBeHidden();
  await bob.page.emulateMedia({ media: 'screen' });

  // The keyboard reaches the pages: "Next page" moves to page 2, which is drawn as it comes into view.
  await viewer.getByRole('button', { name: 'Next page' }).focus();
  await bob.page.keyboard.press('Enter');
  await expect(viewer.getByText('Page 2 of 2')).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Next page' })).toBeDisabled();
  await expect.poll(async () => (await ink(viewer.getByRole('img', { name: 'Page 2' }))).dark).toBeGreaterThan(50);
  await viewer.getByRole('region', { name: 'Pages of report.pdf' }).focus();
  await bob.page.keyboard.press('Home');
  await expect(viewer.getByText('Page 1 of 2')).toBeVisible();

  for (const scheme of ['light', 'dark'] as const) {
    await bob.page.emulateMedia({ colorScheme: scheme });
    await audit(bob.page, `PDF viewer (${scheme})`);
  }
  await bob.page.screenshot({ path: test.info().outputPath('pdf-viewer.png') });
  // pdf.js's worker (holding the plaintext) runs while the viewer is open, and ends with it.
  const pdfWorkers = () => bob.page.workers().filter((w) => w.url().includes('/pdf.worker')).length;
  expect(pdfWorkers()).toBe(1);
  await bob.page.keyboard.press('Escape');
  await expect(viewer).toHaveCount(0);
  await expect.poll(pdfWorkers).toBe(0);
  expect(csp).toEqual([]);
  await alice.context.close();
  await bob.context.close();
});

test('offline, an untimed PDF opens from the precache and has Save; a damaged or password-protected PDF says it cannot be shown', async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  const bobLog = messageLog(bob.page);

  // pdf.js's chunk and its worker are in the service worker's precache before any PDF was opened.
  const dir = 'build/client/_app/immutable';
  const chunk = readdirSync(`${dir}/chunks`).filter((f) => f.endsWith('.js') && readFileSync(`${dir}/chunks/${f}`, 'utf8').includes('GlobalWorkerOptions'));
  const worker = readdirSync(`${dir}/workers`).filter((f) => f.startsWith('pdf.worker') && f.endsWith('.js'));
  expect(chunk.length).toBe(1);
  expect(worker.length).toBe(1);
  await bob.page.evaluate(async () => navigator.serviceWorker.ready);
  await expect
    .poll(() =>
      bob.page.evaluate(async () => {
        const urls: string[] = [];
        for (const name of await caches.keys()) for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
        return urls;
      })
    )
    .toEqual(expect.arrayContaining([`/_app/immutable/chunks/${chunk[0]}`, `/_app/immutable/workers/${worker[0]}`]));

  await pick(alice.page, 'plain.pdf', TWO_PAGES());
  await expect(bobLog.getByRole('button', { name: 'Open plain.pdf' })).toBeVisible();
  const long = makePdf(Array.from({ length: 12 }, (_, i) => ({ text: `Page ${i + 1}`, rgb: [0.2, 0.6, 0.2] as [number, number, number] })));
  await pick(alice.page, 'long.pdf', long);
  await expect(bobLog.getByRole('button', { name: 'Open long.pdf' })).toBeVisible();
  await pick(alice.page, 'broken.pdf', DAMAGED_PDF());
  await expect(bobLog.getByRole('button', { name: 'Open broken.pdf' })).toBeVisible();
  await pick(alice.page, 'locked.pdf', LOCKED_PDF());
  await expect(bobLog.getByRole('button', { name: 'Open locked.pdf' })).toBeVisible();
  // Fetch both files' bytes while online (saving the first), then go offline before pdf.js ever loads.
  const [download] = await Promise.all([bob.page.waitForEvent('download'), bobLog.getByRole('button', { name: 'Save plain.pdf' }).click()]);
  expect(download.suggestedFilename()).toBe('plain.pdf');
  await Promise.all([bob.page.waitForEvent('download'), bobLog.getByRole('button', { name: 'Save long.pdf' }).click()]);
  await Promise.all([bob.page.waitForEvent('download'), bobLog.getByRole('button', { name: 'Save broken.pdf' }).click()]);
  await Promise.all([bob.page.waitForEvent('download'), bobLog.getByRole('button', { name: 'Save locked.pdf' }).click()]);
  await bob.context.setOffline(true);

  await bobLog.getByRole('button', { name: 'Open plain.pdf' }).click();
  const viewer = bob.page.getByRole('dialog', { name: 'plain.pdf' });
  await expect(viewer.getByText('Page 1 of 2')).toBeVisible();
  await expect.poll(async () => (await ink(viewer.getByRole('img', { name: 'Page 1' }))).dark).toBeGreaterThan(50);
  await expect(viewer.getByRole('link', { name: 'Save' })).toHaveAttribute('download', 'plain.pdf');
  await viewer.getByRole('button', { name: 'Close viewer' }).click();
  await expect(viewer).toHaveCount(0);

  // A long PDF draws only the pages near the view, and gives back the canvases of those scrolled far away.
  await bobLog.getByRole('button', { name: 'Open long.pdf' }).click();
  const longViewer = bob.page.getByRole('dialog', { name: 'long.pdf' });
  const page1 = longViewer.getByRole('img', { name: 'Page 1', exact: true });
  const page12 = longViewer.getByRole('img', { name: 'Page 12', exact: true });
  await expect.poll(async () => (await ink(page1)).dark).toBeGreaterThan(50);
  expect(await canvasOf(page12).evaluate((c: HTMLCanvasElement) => c.width)).toBe(0);
  await longViewer.getByRole('region', { name: 'Pages of long.pdf' }).focus();
  await bob.page.keyboard.press('End');
  await expect(longViewer.getByText('Page 12 of 12')).toBeVisible();
  await expect.poll(async () => (await ink(page12)).dark).toBeGreaterThan(50);
  await expect.poll(() => canvasOf(page1).evaluate((c: HTMLCanvasElement) => c.width)).toBe(0);
  await bob.page.keyboard.press('Escape');
  await expect(longViewer).toHaveCount(0);

  await bobLog.getByRole('button', { name: 'Open broken.pdf' }).click();
  const broken = bob.page.getByRole('dialog', { name: 'broken.pdf' });
  await expect(broken.getByRole('alert')).toContainText("Can't show this PDF.");
  await expect(broken.getByRole('alert')).toContainText('damaged');
  await expect(broken.getByRole('link', { name: 'Save' })).toHaveAttribute('download', 'broken.pdf');
  await expect(broken.locator('canvas')).toHaveCount(0);
  await bob.page.keyboard.press('Escape');
  await expect(broken).toHaveCount(0);

  // One behind a password says so.
  await bobLog.getByRole('button', { name: 'Open locked.pdf' }).click();
  const locked = bob.page.getByRole('dialog', { name: 'locked.pdf' });
  await expect(locked.getByRole('alert')).toContainText("Can't show this PDF.");
  await expect(locked.getByRole('alert')).toContainText('protected by a password');
  await bob.page.keyboard.press('Escape');
  await bob.context.setOffline(false);
  await alice.context.close();
  await bob.context.close();
});
