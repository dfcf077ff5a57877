/**
 * Media that opens (issue 16, items 1 and 4): videos and audio play, files open in the viewer or
 * download, a timed secret file opens only in the viewer, the secret photo preview step, and the
 * newest message staying fully in view as media arrives.
 *
 * Fixtures (tests/fixtures/media), made with ffmpeg:
 *   clip.webm  ffmpeg -f lavfi -i testsrc=size=160x90:rate=10 -t 1 -c:v libvpx -b:v 50k -an clip.webm
 *   tone.ogg   ffmpeg -f lavfi -i sine=frequency=440:duration=1 -c:a libopus -b:a 16k tone.ogg
 *   wide.png   ffmpeg -f lavfi -i color=c=orange:size=400x200 -frames:v 1 wide.png
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { audit } from './axe';
import { expect, messageLog, openChatWith, sendText, test } from './fixtures';
import { pickFile, playMuted, sendAttachment } from './message-helpers';
import { secretPair, sendSecret } from './secret-helpers';

// Two users each, many round trips: a generous ceiling for a loaded machine (the steps wait on conditions).
test.describe.configure({ timeout: 240_000 });

const CLIP = readFileSync('tests/fixtures/media/clip.webm');
const TONE = readFileSync('tests/fixtures/media/tone.ogg');
const WIDE = readFileSync('tests/fixtures/media/wide.png');

async function setChatTimer(page: Page, label: string) {
  await page.getByRole('button', { name: /Self-destruct timer:/ }).click();
  await page.getByRole('radio', { name: label, exact: true }).click();
}

/** Whether the last message's bubble lies wholly inside the message list's viewport. */
const lastInView = (page: Page) =>
  page.evaluate(() => {
    const list = document.querySelector('.scroll.messages');
    const rows = list?.querySelectorAll('li.msg');
    const last = rows?.[rows.length - 1]?.querySelector('.bubble');
    if (!list || !last) return 'no rows';
    const a = list.getBoundingClientRect();
    const b = last.getBoundingClientRect();
    return b.top >= a.top - 1 && b.bottom <= a.bottom + 1 ? 'in view' : `out: bubble ${b.top}..${b.bottom}, list ${a.top}..${a.bottom}`;
  });

test('a received video plays inline; a short-timer video stays locked until tapped, opens full screen and starts its timer then', async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  const aliceLog = messageLog(alice.page);
  const bobLog = messageLog(bob.page);

  await sendAttachment(alice.page, 'video', 'clip.webm', 'video/webm', CLIP);
  const video = bobLog.locator('video[aria-label="clip.webm"]');
  await expect(video).toBeVisible();
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBe(160);
  await playMuted(video);
  // Its box came with it: 16:9, whatever the bubble's width.
  const frame = await bobLog.locator('[data-media] [data-frame]').first().boundingBox();
  expect(Math.abs(frame!.width / frame!.height - 160 / 90)).toBeLessThan(0.05);

  // A 15-second video: locked for Bob, nothing runs, even once later messages were read.
  await sendAttachment(alice.page, 'video', 'clip.webm', 'video/webm', CLIP, '15 seconds');
  await sendSecret(alice.page, 'after the video');
  await expect(bobLog.getByText('after the video')).toBeVisible();
  // Read: the first video and the text; the locked video is not, until it is opened.
  // Read reports leave in a batch 0.5–3 s after the read (receipts.ts): a longer wait, still on the ticks.
  await expect(aliceLog.locator('[data-ticks="read"]')).toHaveCount(2, { timeout: 20_000 });
  const locked = bobLog.getByRole('button', { name: /Tap to play the video/ });
  await expect(locked).toBeVisible();
  await expect(bobLog.locator('video')).toHaveCount(1);
  await expect(bobLog.locator('[data-countdown]')).toHaveCount(0);
  await expect(aliceLog.locator('[data-countdown]')).toHaveCount(0);

  // Tapped: it opens in the viewer, plays, and the timer runs on both sides.
  await locked.click();
  const viewer = bob.page.getByRole('dialog', { name: 'clip.webm' });
  await expect(viewer).toBeVisible();
  await expect(bobLog.locator('[data-countdown]')).toHaveCount(1);
  await expect(aliceLog.locator('[data-countdown]')).toHaveCount(1);
  await expect.poll(() => viewer.locator('video').evaluate((v: HTMLVideoElement) => v.videoWidth)).toBe(160);
  // Timed: no way to save it from the viewer.
  await expect(viewer.getByRole('link', { name: 'Save' })).toHaveCount(0);
  await bob.page.keyboard.press('Escape');
  await expect(viewer).toHaveCount(0);
  // At the deadline it is gone for both.
  await expect(bobLog.locator('[data-media]')).toHaveCount(1, { timeout: 40_000 });
  await expect(aliceLog.locator('[data-media]')).toHaveCount(1, { timeout: 40_000 });
  await alice.context.close();
  await bob.context.close();
});

test('audio plays; a file opens in the viewer or downloads; a timed file opens only in the viewer; the viewer passes axe in both themes', async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  const bobLog = messageLog(bob.page);

  // Audio: sent at once (no preview), plays inline.
  await pickFile(alice.page, 'tone.ogg', 'audio/ogg', TONE);
  const audio = bobLog.locator('audio[aria-label="tone.ogg"]');
  await expect(audio).toBeAttached();
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.duration)).toBeGreaterThan(0.5);
  await playMuted(audio);

  // A text file without a timer: opens in the viewer (with Save), and downloads from the bubble.
  const words = `plain words ${Math.random().toString(36).slice(2)}`;
  await pickFile(alice.page, 'notes.txt', 'text/plain', Buffer.from(words));
  await bobLog.getByRole('button', { name: 'Open notes.txt' }).click();
  const viewer = bob.page.getByRole('dialog', { name: 'notes.txt' });
  await expect(viewer).toBeVisible();
  await expect(viewer.getByLabel('Text of notes.txt')).toHaveText(words);
  await expect(viewer.getByRole('link', { name: 'Save' })).toHaveAttribute('download', 'notes.txt');
  // Focus is inside the dialog; Escape closes it.
  expect(await bob.page.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true);
  await bob.page.keyboard.press('Escape');
  await expect(viewer).toHaveCount(0);
  const [download] = await Promise.all([bob.page.waitForEvent('download'), bobLog.getByRole('button', { name: 'Save notes.txt' }).click()]);
  expect(download.suggestedFilename()).toBe('notes.txt');
  expect(readFileSync((await download.path())!, 'utf8')).toBe(words);

  // With a timer (1 hour): no Save anywhere; it opens only in the viewer.
  await setChatTimer(alice.page, '1 hour');
  await expect(bob.page.getByText('Alice set the self-destruct timer to 1 hour')).toBeVisible();
  const secretWords = `secret words ${Math.random().toString(36).slice(2)}`;
  await pickFile(alice.page, 'secret.txt', 'text/plain', Buffer.from(secretWords));
  await pickFile(alice.page, 'doc.pdf', 'application/pdf', Buffer.from('%PDF-1.4\n%%EOF\n'));
  await expect(bobLog.getByRole('button', { name: 'Open doc.pdf' })).toBeVisible();
  await expect(bobLog.getByRole('button', { name: 'Save secret.txt' })).toHaveCount(0);
  await expect(bobLog.getByRole('button', { name: 'Save doc.pdf' })).toHaveCount(0);
  await bobLog.getByRole('button', { name: 'Open secret.txt' }).click();
  const timedViewer = bob.page.getByRole('dialog', { name: 'secret.txt' });
  await expect(timedViewer.getByLabel('Text of secret.txt')).toHaveText(secretWords);
  await expect(timedViewer.getByRole('link', { name: 'Save' })).toHaveCount(0);
  await expect(bob.page.locator('a[download]')).toHaveCount(0);
  for (const scheme of ['light', 'dark'] as const) {
    await bob.page.emulateMedia({ colorScheme: scheme });
    await audit(bob.page, `text viewer (${scheme})`);
  }
  await timedViewer.getByRole('button', { name: 'Close viewer' }).click();
  await expect(timedViewer).toHaveCount(0);

  // A timed PDF opens in the viewer too (tests/e2e/pdf.spec.ts); this one is empty, so the viewer says it cannot show it, without Save.
  await bobLog.getByRole('button', { name: 'Open doc.pdf' }).click();
  const pdfViewer = bob.page.getByRole('dialog', { name: 'doc.pdf' });
  await expect(pdfViewer.getByRole('alert')).toContainText("Can't show this PDF.");
  await expect(pdfViewer.getByRole('link', { name: 'Save' })).toHaveCount(0);
  for (const scheme of ['light', 'dark'] as const) {
    await bob.page.emulateMedia({ colorScheme: scheme });
    await audit(bob.page, `file viewer (${scheme})`);
  }
  await bob.page.keyboard.press('Escape');
  await expect(pdfViewer).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});

test('a secret photo waits in a preview: caption, its own timer, cancel; it opens full screen', async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  const aliceLog = messageLog(alice.page);
  const bobLog = messageLog(bob.page);
  const field = alice.page.getByLabel('Message', { exact: true });

  // The words typed so far become the caption; Cancel sends nothing and gives them back.
  await field.fill('draft words');
  await pickFile(alice.page, 'wide.png', 'image/png', WIDE);
  const panel = alice.page.getByRole('region', { name: 'Send photo' });
  await expect(panel.getByRole('img', { name: 'Selected photo wide.png' })).toBeVisible();
  await expect(panel.getByLabel('Caption')).toHaveValue('draft words');
  await expect(panel.getByLabel('Self-destruct timer')).toHaveValue('0');
  await expect(field).toHaveValue('');
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel).toHaveCount(0);
  await expect(field).toHaveValue('draft words');
  // Escape cancels too.
  await field.fill('');
  await pickFile(alice.page, 'wide.png', 'image/png', WIDE);
  await panel.getByLabel('Caption').press('Escape');
  await expect(panel).toHaveCount(0);

  // Bob's download of the photo is held: its box must be there before its bytes.
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  await bob.context.route('**/api/blobs/**', async (route) => {
    if (route.request().method() === 'GET') await held;
    await route.fallback();
  });

  // Sent with a caption and a 1-hour timer of its own; the chat's timer stays off.
  await pickFile(alice.page, 'wide.png', 'image/png', WIDE);
  await panel.getByLabel('Caption').fill('a wide one');
  await panel.getByLabel('Self-destruct timer').selectOption({ label: '1 hour' });
  await panel.getByRole('button', { name: 'Send photo' }).click();
  await expect(panel).toHaveCount(0);
  await expect(bobLog.getByText('a wide one')).toBeVisible();
  // Before the bytes: the box has the photo's shape (400×200, sent with it), and nothing is drawn yet.
  const img = bobLog.locator('img[alt="wide.png"]');
  await expect(img).toHaveCount(0);
  const reserved = await bobLog.locator('[data-frame]').boundingBox();
  expect(Math.abs(reserved!.width / reserved!.height - 2)).toBeLessThan(0.05);
  release();
  await expect(img).toBeVisible();
  await expect(bobLog.locator('[data-media][data-timed="3600"]')).toHaveCount(1);
  await expect(alice.page.getByRole('button', { name: 'Self-destruct timer: Off' })).toBeVisible();
  // Nothing was sent by the cancelled previews.
  await expect(aliceLog.locator('[data-media]')).toHaveCount(1);
  await expect(bobLog.locator('[data-media]')).toHaveCount(1);
  // The same box once drawn: nothing moved.
  expect(await bobLog.locator('[data-frame]').boundingBox()).toEqual(reserved);

  // Opens full screen; timed, so no Save.
  await bobLog.getByRole('button', { name: 'Open photo wide.png' }).click();
  const viewer = bob.page.getByRole('dialog', { name: 'wide.png' });
  await expect(viewer.getByRole('img', { name: 'wide.png' })).toBeVisible();
  await expect(viewer.getByRole('link', { name: 'Save' })).toHaveCount(0);
  for (const scheme of ['light', 'dark'] as const) {
    await bob.page.emulateMedia({ colorScheme: scheme });
    await audit(bob.page, `photo viewer (${scheme})`);
  }
  await bob.page.keyboard.press('Escape');
  await expect(viewer).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});

test('at 360×740 the newest message stays fully in view as a photo and a long text arrive, and a chat opens showing its last photo whole', async ({ browser, relay }) => {
  const { alice, bob, chatId } = await secretPair(browser, relay);
  await bob.page.setViewportSize({ width: 360, height: 740 });
  const bobLog = messageLog(bob.page);
  for (let i = 1; i <= 12; i++) await sendSecret(alice.page, `filler ${i}`);
  await expect(bobLog.getByText('filler 12', { exact: true })).toBeVisible();
  await expect.poll(() => lastInView(bob.page)).toBe('in view');

  await sendAttachment(alice.page, 'photo', 'wide.png', 'image/png', WIDE);
  await expect(bobLog.locator('img[alt="wide.png"]')).toBeVisible();
  await expect.poll(() => lastInView(bob.page)).toBe('in view');

  // Long, yet shorter than the screen (a taller one can only show its end).
  await sendSecret(alice.page, `long ${'words that wrap across many lines '.repeat(12)}end`);
  await expect(bobLog.getByText(/ end$/)).toBeAttached();
  await expect.poll(() => lastInView(bob.page)).toBe('in view');

  // A photo last, then the chat is opened afresh: the photo is whole on screen.
  await sendAttachment(alice.page, 'photo', 'wide.png', 'image/png', WIDE);
  await expect(bobLog.locator('img[alt="wide.png"]')).toHaveCount(2);
  await bob.page.goto('/');
  await bob.page.goto(`/secret/${chatId}`);
  await expect(bobLog.locator('img[alt="wide.png"]').last()).toBeVisible();
  await expect.poll(() => lastInView(bob.page)).toBe('in view');

  // The same in a cloud chat, whose photos carry no size: the list follows the photo as it decodes.
  await openChatWith(alice.page, bob.username);
  await openChatWith(bob.page, alice.username);
  for (let i = 1; i <= 12; i++) await sendText(alice.page, `cloud filler ${i}`);
  await expect(bobLog.getByText('cloud filler 12', { exact: true })).toBeVisible();
  await pickFile(alice.page, 'wide.png', 'image/png', WIDE);
  await alice.page.getByRole('region', { name: 'Send photo' }).getByRole('button', { name: 'Send photo' }).click();
  await expect(bobLog.locator('img[alt="wide.png"]')).toBeVisible();
  await expect.poll(() => lastInView(bob.page)).toBe('in view');
  const url = bob.page.url();
  await bob.page.goto('/');
  await bob.page.goto(url);
  await expect(bobLog.locator('img[alt="wide.png"]')).toBeVisible();
  await expect.poll(() => lastInView(bob.page)).toBe('in view');
  await alice.context.close();
  await bob.context.close();
});
