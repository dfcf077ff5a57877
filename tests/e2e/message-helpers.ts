// A chat screen's message rows and their menu, and its attachments, shared by the specs that act on them.
import type { Locator, Page } from '@playwright/test';
import { expect, messageLog } from './fixtures';

/** The message whose own text (not a quote of it) contains `text`. */
export const row = (page: Page, text: string) =>
  messageLog(page)
    .locator('li')
    .filter({ has: page.locator('p.text', { hasText: text }) });
export const menu = (page: Page) => page.getByRole('menu', { name: 'Message actions' });

/** Opens the menu of the message with `text` from its menu button. */
export async function openMenu(page: Page, text: string) {
  await row(page, text).hover();
  await row(page, text).getByRole('button', { name: 'Message actions' }).click();
  await expect(menu(page)).toBeVisible();
}

/** Picks a file in the chat's file input (audio and files without a preview are sent at once). */
export const pickFile = (page: Page, name: string, mimeType: string, buffer: Buffer) => page.locator('input[type=file]').setInputFiles({ name, mimeType, buffer });

/** Picks a photo, video or file, optionally sets its timer in the attach panel, and sends it. */
export async function sendAttachment(page: Page, kind: 'photo' | 'video' | 'file', name: string, mimeType: string, buffer: Buffer, timer?: string) {
  await pickFile(page, name, mimeType, buffer);
  const panel = page.getByRole('region', { name: `Send ${kind}` });
  if (timer) await panel.getByLabel('Self-destruct timer').selectOption({ label: timer });
  await panel.getByRole('button', { name: `Send ${kind}` }).click();
  await expect(panel).toHaveCount(0);
}

/** Plays an inline audio or video element muted (autoplay rules allow that) and waits until it runs. */
export async function playMuted(media: Locator) {
  await media.evaluate((m: HTMLMediaElement) => {
    m.muted = true;
    return m.play();
  });
  await expect.poll(() => media.evaluate((m: HTMLMediaElement) => m.currentTime)).toBeGreaterThan(0);
}
