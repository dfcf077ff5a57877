import type { Page } from '@playwright/test';
import { expect } from './fixtures';

/** Profile → "…" → "Start Secret Chat", as a user does; returns the chat's id. */
export async function startSecretChat(page: Page, peer: string): Promise<string> {
  await page.goto(`/u/${peer}`);
  await page.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: 'Start Secret Chat' }).click();
  await expect(page).toHaveURL(/\/secret\//);
  return page.url().split('/secret/')[1];
}

export async function sendSecret(page: Page, text: string) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}
