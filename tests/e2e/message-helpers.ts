// A chat screen's message rows and their menu, shared by the specs that act on one message.
import type { Page } from '@playwright/test';
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
