/**
 * Cloud chats send any file (issue 16, items 1 and 4), as secret chats do: audio plays inline, any
 * other file shows as a file that opens in the viewer or, without a timer, is saved; a timed file opens
 * only in the viewer and disappears from both sides after its timer. Photos carry their pixel size, so
 * the bubble has its final box before the bytes arrive.
 */
import { readFileSync } from 'node:fs';
import { audit } from './axe';
import { expect, messageLog, openChatWith, sendText, signUp, test } from './fixtures';
import { playMuted, sendAttachment } from './message-helpers';

// Two users, many uploads and round trips: a generous ceiling for a loaded machine (the steps wait on conditions).
test.describe.configure({ timeout: 240_000 });

const TONE = readFileSync('tests/fixtures/media/tone.ogg');
const WIDE = readFileSync('tests/fixtures/media/wide.png');
/** A zip's local-file-header magic followed by bytes of every value: a generic binary. */
const ZIP = Buffer.concat([Buffer.from('504b0304', 'hex'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37 + 11) % 256))]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

async function pair(browser: Parameters<typeof signUp>[0], relay: Parameters<typeof signUp>[1]) {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'files for you');
  await openChatWith(bob.page, alice.username);
  await expect(messageLog(bob.page).getByText('files for you')).toBeVisible();
  return { alice, bob };
}

test('a cloud chat sends any file: audio plays, text opens in the viewer, a file saves with its bytes, a timed file opens only in the viewer and then disappears', async ({
  browser,
  relay
}) => {
  const { alice, bob } = await pair(browser, relay);
  const aliceLog = messageLog(alice.page);
  const bobLog = messageLog(bob.page);

  // The attach panel shows a file by its name and size; Escape cancels.
  await expect(alice.page.getByRole('button', { name: 'Attach a photo or file' })).toBeVisible();
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'bundle.zip', mimeType: 'application/zip', buffer: ZIP });
  const panel = alice.page.getByRole('region', { name: 'Send file' });
  await expect(panel.getByRole('img', { name: 'Selected file bundle.zip' })).toBeVisible();
  await expect(panel.getByText('4 KB')).toBeVisible();
  await expect(panel.getByLabel('Self-destruct timer')).toHaveValue('0');
  await panel.getByLabel('Self-destruct timer').press('Escape');
  await expect(panel).toHaveCount(0);

  const words = `plain words ${Math.random().toString(36).slice(2)}`;
  await sendAttachment(alice.page, 'file', 'notes.txt', 'text/plain', Buffer.from(words));
  await sendAttachment(alice.page, 'file', 'doc.pdf', 'application/pdf', PDF);
  await sendAttachment(alice.page, 'file', 'bundle.zip', 'application/zip', ZIP);
  await sendAttachment(alice.page, 'file', 'tone.ogg', 'audio/ogg', TONE);
  await expect(aliceLog.locator('[data-cloud-media]')).toHaveCount(4);

  // Audio plays inline.
  const audio = bobLog.locator('audio[aria-label="tone.ogg"]');
  await expect(audio).toBeAttached();
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.duration)).toBeGreaterThan(0.5);
  await playMuted(audio);

  // The text file opens in the viewer, showing its text, with Save.
  await bobLog.getByRole('button', { name: 'Open notes.txt' }).click();
  const viewer = bob.page.getByRole('dialog', { name: 'notes.txt' });
  await expect(viewer.getByLabel('Text of notes.txt')).toHaveText(words);
  await expect(viewer.getByRole('link', { name: 'Save' })).toHaveAttribute('download', 'notes.txt');
  await bob.page.keyboard.press('Escape');
  await expect(viewer).toHaveCount(0);

  // The PDF opens in the viewer too (as a PDF).
  await bobLog.getByRole('button', { name: 'Open doc.pdf' }).click();
  const pdf = bob.page.getByRole('dialog', { name: 'doc.pdf' });
  await expect(pdf).toHaveAttribute('data-viewer', 'pdf');
  await bob.page.keyboard.press('Escape');
  await expect(pdf).toHaveCount(0);

  // An untimed file saves with the very bytes sent.
  const [download] = await Promise.all([bob.page.waitForEvent('download'), bobLog.getByRole('button', { name: 'Save bundle.zip' }).click()]);
  expect(download.suggestedFilename()).toBe('bundle.zip');
  expect(readFileSync((await download.path())!).equals(ZIP)).toBe(true);

  // The file bubbles pass axe in both themes.
  for (const scheme of ['light', 'dark'] as const) {
    await bob.page.emulateMedia({ colorScheme: scheme });
    await expect(bobLog.locator('[data-file]').first()).toBeVisible();
    await audit(bob.page, `cloud file bubbles (${scheme})`);
    await bob.page.screenshot({ path: `test-results/cloud-files-bob-${scheme}.png` });
  }
  await bob.page.emulateMedia({ colorScheme: 'light' });

  // A timed file: no Save anywhere, it says it opens only in Cinder, and nothing runs until Bob opens it.
  const secretWords = `secret words ${Math.random().toString(36).slice(2)}`;
  await sendAttachment(alice.page, 'file', 'secret.txt', 'text/plain', Buffer.from(secretWords), '10 seconds');
  const open = bobLog.getByRole('button', { name: 'Open secret.txt. Its timer starts when you open it.' });
  await expect(open).toBeVisible();
  await expect(bobLog.getByRole('button', { name: 'Save secret.txt' })).toHaveCount(0);
  await expect(aliceLog.getByRole('button', { name: 'Save secret.txt' })).toHaveCount(0);
  await expect(bobLog.locator('[data-cloud-media][data-timed="10"]')).toContainText('opens only in Cinder');
  await expect(aliceLog.getByText(/10 seconds after it is opened/)).toBeVisible();
  await alice.page.screenshot({ path: 'test-results/cloud-files-alice.png' });
  await expect(bobLog.locator('[data-countdown]')).toHaveCount(0);

  await open.click();
  const timedViewer = bob.page.getByRole('dialog', { name: 'secret.txt' });
  await expect(timedViewer.getByLabel('Text of secret.txt')).toHaveText(secretWords);
  await expect(timedViewer.getByRole('link', { name: 'Save' })).toHaveCount(0);
  await expect(bob.page.locator('a[download]')).toHaveCount(0);
  // The countdown runs on both sides...
  await expect(bobLog.locator('[data-countdown]')).toHaveCount(1);
  await expect(aliceLog.locator('[data-countdown]')).toHaveCount(1);
  // ...and at the deadline it is gone from both, the viewer with it; the other files stay.
  await expect(bobLog.locator('[data-timed="10"]')).toHaveCount(0, { timeout: 30_000 });
  await expect(aliceLog.locator('[data-timed="10"]')).toHaveCount(0, { timeout: 30_000 });
  await expect(timedViewer).toHaveCount(0);
  await expect(bobLog.locator('[data-cloud-media]')).toHaveCount(4);
  await alice.context.close();
  await bob.context.close();
});

test("a cloud photo's bubble has its final box before its bytes arrive, and keeps it", async ({ browser, relay }) => {
  const { alice, bob } = await pair(browser, relay);
  const bobLog = messageLog(bob.page);

  // Bob's download of the photo is held until the box is measured.
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  let asked = false;
  await bob.context.route('**/api/cloud/media/*', async (route) => {
    if (route.request().method() === 'GET') {
      asked = true;
      await held;
    }
    await route.fallback();
  });

  await sendAttachment(alice.page, 'photo', 'wide.png', 'image/png', WIDE);
  const frame = bobLog.locator('[data-cloud-media] [data-frame]');
  await expect(frame).toBeVisible();
  await expect.poll(() => asked).toBe(true);
  const img = bobLog.locator('img[alt="wide.png"]');
  await expect(img).toHaveCount(0);
  // 400×200 sent with it: the box has the photo's shape before a byte of it is here (the placeholder is 4:3).
  const reserved = (await frame.boundingBox())!;
  expect(Math.abs(reserved.width / reserved.height - 2)).toBeLessThan(0.02);
  expect(reserved.width).toBeGreaterThan(200);
  await bob.page.screenshot({ path: 'test-results/cloud-photo-reserved.png' });

  release();
  await expect(img).toBeVisible();
  expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(400);
  // Nothing moved when it was drawn, and the newest message is fully in view.
  expect(await frame.boundingBox()).toEqual(reserved);
  const bubble = (await bobLog.locator('li.msg').last().boundingBox())!;
  const list = (await bob.page.locator('.scroll.messages').boundingBox())!;
  expect(bubble.y + bubble.height).toBeLessThanOrEqual(list.y + list.height + 1);
  await alice.context.close();
  await bob.context.close();
});
