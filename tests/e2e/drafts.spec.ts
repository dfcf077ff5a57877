// Drafts (src/lib/chat/draft.svelte.ts, src/lib/worker/drafts.ts): what is typed and not sent stays
// with its chat, secret or cloud, through leaving the chat and a reload; the chat list shows it as
// "Draft: …"; sending clears it.
import type { Page } from '@playwright/test';
import { expect, messageLog, openChatWith, signUp, test } from './fixtures';
import { secretPair } from './secret-helpers';

const field = (page: Page) => page.getByLabel('Message', { exact: true });
const listRow = (page: Page, attr: 'data-chat' | 'data-secret-chat', username: string) => page.locator(`a[${attr}="${username}"]`).first();
const back = (page: Page) => page.getByRole('link', { name: /^Back to chats/ }).click();

test('a draft survives leaving the chat and a reload, shows in the chat list, and sending clears it (secret and cloud)', async ({ browser, relay }) => {
  test.setTimeout(120_000);
  const { alice, bob, chatId } = await secretPair(browser, relay);
  const page = alice.page;
  await page.setViewportSize({ width: 420, height: 800 });
  const secretRow = listRow(page, 'data-secret-chat', bob.username);

  // Secret chat: typed, then back to the list (leaving the chat saves at once).
  await field(page).fill('half a secret thought');
  await back(page);
  await expect(secretRow.locator('.preview')).toHaveText('Draft: half a secret thought');
  await expect(secretRow.locator('.draft')).toHaveText('Draft:');
  await page.reload();
  await expect(secretRow.locator('.preview')).toHaveText('Draft: half a secret thought');
  await secretRow.click();
  await expect(page).toHaveURL(new RegExp(`/secret/${chatId}$`));
  await expect(field(page)).toHaveValue('half a secret thought');

  // Sent: gone from the composer, the list and the next start.
  await field(page).fill('the whole secret thought');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('list', { name: 'Messages' })).toContainText('the whole secret thought');
  await expect(field(page)).toHaveValue('');
  await back(page);
  await expect(secretRow.locator('.preview')).toHaveText('You: the whole secret thought');
  await page.reload();
  await secretRow.click();
  await expect(page.getByRole('list', { name: 'Messages' })).toContainText('the whole secret thought');
  await expect(field(page)).toHaveValue('');

  // Cloud chat, never written to: a pause in typing saves the draft, which a reload brings back.
  await openChatWith(page, bob.username);
  await field(page).fill('a cloud draft\nwith a second line');
  const cloudRow = listRow(page, 'data-chat', bob.username);
  await back(page);
  await expect(cloudRow.locator('.preview')).toHaveText('Draft: a cloud draft with a second line');
  // The newest draft puts its chat first.
  await expect(page.getByRole('list', { name: 'Chats' }).locator('a').first()).toHaveAttribute('data-chat', bob.username);
  await cloudRow.click();
  await expect(field(page)).toHaveValue('a cloud draft\nwith a second line');
  await field(page).fill('a cloud draft, edited');
  await page.waitForTimeout(1000);
  await page.reload();
  await expect(field(page)).toHaveValue('a cloud draft, edited');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('list', { name: 'Messages' })).toContainText('a cloud draft, edited');
  await expect(field(page)).toHaveValue('');
  await page.waitForTimeout(1000);
  await page.reload();
  await expect(page.getByRole('list', { name: 'Messages' })).toContainText('a cloud draft, edited');
  await expect(field(page)).toHaveValue('');
  await back(page);
  await expect(cloudRow.locator('.preview')).toHaveText('You: a cloud draft, edited');
  await expect(page.locator('.draft')).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});

test('two tabs on one chat follow each other: what one types shows in the other, and its send empties both', async ({ browser, relay }) => {
  const bob = await signUp(browser, relay, 'dtb');
  const alice = await signUp(browser, relay, 'dta');
  const a = alice.page;
  await openChatWith(a, bob.username);
  const b = await alice.context.newPage();
  await b.goto(a.url());
  await expect(field(b)).toHaveValue('');

  // A types: B, open on the chat with nothing typed, shows it.
  await field(a).fill('written in the first tab');
  await expect(field(b)).toHaveValue('written in the first tab');
  await field(a).fill('written in the first tab, and more');
  await expect(field(b)).toHaveValue('written in the first tab, and more');

  // A sends: the draft is gone, and B's composer empties.
  await a.getByRole('button', { name: 'Send' }).click();
  await expect(messageLog(b)).toContainText('written in the first tab, and more');
  await expect(field(b)).toHaveValue('');

  // B types now, and A follows.
  await field(b).fill('the second tab answers');
  await expect(field(a)).toHaveValue('the second tab answers');
  await alice.context.close();
  await bob.context.close();
});
