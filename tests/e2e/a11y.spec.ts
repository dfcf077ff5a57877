import { audit } from './axe';
import { expect, messageLog, openChatWith, sendText, signUp, test } from './fixtures';
import { sendSecret, startSecretChat } from './secret-helpers';

for (const scheme of ['light', 'dark'] as const) {
  test(`every screen passes axe with no serious or critical violation (${scheme} theme)`, async ({ browser, relay }) => {
    // Nine axe audits: each takes tens of seconds on a loaded 2-core machine.
    test.setTimeout(300_000);
    const context = await browser.newContext({ baseURL: relay.url, colorScheme: scheme });
    const page = await context.newPage();
    await page.goto('/signup');
    await expect(page.getByRole('button', { name: 'Sign up' })).toBeVisible();
    await audit(page, 'signup');
    await page.goto('/login');
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    await audit(page, 'login');
    await context.close();

    const alice = await signUp(browser, relay, 'alice', 'Alice');
    const bob = await signUp(browser, relay, 'bob', 'Bob');
    for (const u of [alice, bob]) await u.page.emulateMedia({ colorScheme: scheme });
    await audit(alice.page, 'empty chat list');
    await openChatWith(alice.page, bob.username);
    await sendText(alice.page, 'Hello Bob');
    await expect(messageLog(alice.page).locator('[data-ticks="sent"], [data-ticks="read"]')).toHaveCount(1);
    await audit(alice.page, 'cloud chat');
    await bob.page.locator(`[data-chat="${alice.username}"]`).waitFor();
    await audit(bob.page, 'chat list with unread');
    await alice.page.goto(`/u/${bob.username}`);
    await alice.page.getByRole('button', { name: 'More actions' }).click();
    await audit(alice.page, 'profile with menu');
    const chatId = await startSecretChat(alice.page, bob.username);
    await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
    await sendSecret(alice.page, 'Secret hello');
    await alice.page.getByRole('button', { name: /Self-destruct timer/ }).click();
    await audit(alice.page, 'secret chat with timer menu');
    // With a timer set, its badge shows on the button.
    await alice.page.getByRole('radio', { name: '5 seconds', exact: true }).click();
    await expect(alice.page.getByRole('button', { name: 'Self-destruct timer: 5 seconds' })).toBeVisible();
    await audit(alice.page, 'secret chat with a timer set');
    await alice.page.keyboard.press('Escape');
    await alice.page.goto(`/secret/${chatId}/key`);
    await expect(alice.page.getByLabel('Key in hexadecimal')).toBeVisible();
    await audit(alice.page, 'encryption key');
    await alice.page.goto('/settings');
    await expect(alice.page.getByRole('list', { name: 'Devices' })).toBeVisible();
    await audit(alice.page, 'settings');
    await alice.context.close();
    await bob.context.close();
  });
}

test('the chat list, a chat and the composer work with the keyboard alone', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'ping');
  const page = bob.page;
  await page.goto('/');
  const row = page.locator(`[data-chat="${alice.username}"]`);
  await expect(row).toBeVisible();
  // Tab from the top of the page to the chat row, open it, type and send with Enter.
  await page.keyboard.press('Tab');
  for (let i = 0; i < 6 && !(await row.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
  await expect(row).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(messageLog(page).getByText('ping')).toBeVisible();
  await page.getByLabel('Message', { exact: true }).focus();
  await page.keyboard.type('pong');
  await page.keyboard.press('Enter');
  await expect(messageLog(alice.page).getByText('pong')).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});
