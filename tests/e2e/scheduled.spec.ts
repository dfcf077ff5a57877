/**
 * Scheduled messages (Telegram's "Schedule message"): Alice schedules a message a few seconds ahead
 * from the Send button's menu; it shows in the Scheduled view on her second device; the relay sends it
 * at its time (Bob gets it like any message) and it leaves the list. Then edit + send now, and delete
 * (asked first). Offline, scheduling says so and the text stays in the composer. A photo picked in the
 * attach panel is scheduled with its caption from its Send button's menu (offline: said, the file stays);
 * the list shows the file and the caption, and Bob gets the photo and the caption after the time.
 * A photo (and a video) scheduled here shows its small picture in the list, my other device the icon;
 * refused at its time (Bob blocked me), it is marked Not sent with Send now / Delete (phone and wide).
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, logIn, messageLog, openChatWith, signUp, test } from './fixtures';

const bubble = (page: Page, text: string) => messageLog(page).locator('p.text', { hasText: text });
const scheduledButton = (page: Page) => page.getByRole('button', { name: /^Scheduled messages \(\d+\)$/ });
const scheduleDialog = (page: Page) => page.getByRole('dialog', { name: /Schedule message|Edit scheduled message/ });
const listView = (page: Page) => page.getByRole('dialog', { name: 'Scheduled messages' });
const PHOTO = readFileSync('static/icons/icon-512.png');
const CLIP = readFileSync('tests/fixtures/media/clip.webm');

/** A `datetime-local` value for `ms` in the browser's (this machine's) time zone, with seconds. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

async function openScheduleFromSend(page: Page, text: string) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click({ button: 'right' });
  await page.getByRole('menu', { name: 'Send options' }).getByRole('menuitem', { name: 'Schedule message…' }).click();
  await expect(scheduleDialog(page)).toBeVisible();
}

async function scheduleAt(page: Page, at: number, done = true) {
  await scheduleDialog(page).getByLabel('Send on').fill(localInput(at));
  await scheduleDialog(page).getByRole('button', { name: 'Schedule' }).click();
  if (done) await expect(scheduleDialog(page)).toBeHidden();
}

test('scheduled: sent by the relay at its time, shown on my second device until then; edit + send now; delete', async ({ browser, relay }) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  const phone = await logIn(browser, relay, alice.username);
  await openChatWith(phone.page, bob.username);

  // Too soon is refused in words; the dialog stays.
  await openScheduleFromSend(alice.page, 'see you **later**');
  await scheduleAt(alice.page, Date.now() - 60_000, false);
  await expect(scheduleDialog(alice.page).getByRole('alert')).toHaveText('Choose a time at least 5 seconds from now.');
  // ~12 s ahead: the relay sends it, whatever the devices do.
  await scheduleAt(alice.page, Date.now() + 12_000);
  await expect(alice.page.getByLabel('Message', { exact: true })).toHaveValue('');
  await expect(scheduledButton(alice.page)).toHaveAccessibleName('Scheduled messages (1)');
  await expect(bubble(alice.page, 'see you later')).toHaveCount(0);

  // My second device shows it in its Scheduled view.
  await expect(scheduledButton(phone.page)).toBeVisible();
  await scheduledButton(phone.page).click();
  await expect(listView(phone.page).getByRole('listitem')).toHaveCount(1);
  await expect(listView(phone.page)).toContainText('see you later');

  // Bob gets it after its time, as a message from Alice; it leaves the lists.
  await openChatWith(bob.page, alice.username);
  await expect(bubble(bob.page, 'see you later')).toBeVisible({ timeout: 60_000 });
  await expect(bob.page.locator('.msg strong', { hasText: 'later' })).toBeVisible();
  await expect(bubble(alice.page, 'see you later')).toBeVisible();
  await expect(scheduledButton(alice.page)).toHaveCount(0);
  await expect(listView(phone.page).getByRole('listitem')).toHaveCount(0);
  await phone.page.keyboard.press('Escape');

  // Edit, then send now (from the chat's menu this time).
  await alice.page.getByLabel('Message', { exact: true }).fill('second');
  await alice.page.getByRole('button', { name: 'Chat actions' }).click();
  await alice.page.getByRole('menuitem', { name: 'Schedule message…' }).click();
  await scheduleAt(alice.page, Date.now() + 3_600_000);
  await expect(scheduledButton(alice.page)).toHaveAccessibleName('Scheduled messages (1)');
  await scheduledButton(alice.page).click();
  await listView(alice.page).getByRole('button', { name: 'Edit' }).click();
  await scheduleDialog(alice.page).getByLabel('Text').fill('second, edited');
  await scheduleDialog(alice.page).getByRole('button', { name: 'Save' }).click();
  await expect(listView(alice.page)).toContainText('second, edited');
  await expect(scheduledButton(phone.page)).toBeVisible();
  await listView(alice.page).getByRole('button', { name: 'Send now' }).click();
  await expect(bubble(bob.page, 'second, edited')).toBeVisible();
  await expect(listView(alice.page).getByRole('listitem')).toHaveCount(0);
  await expect(scheduledButton(phone.page)).toHaveCount(0);
  await alice.page.keyboard.press('Escape');

  // Delete, asked first.
  await openScheduleFromSend(alice.page, 'third');
  await scheduleAt(alice.page, Date.now() + 3_600_000);
  await scheduledButton(alice.page).click();
  await listView(alice.page).getByRole('button', { name: 'Delete' }).click();
  const ask = alice.page.getByRole('alertdialog');
  await expect(ask).toContainText('Delete this scheduled message?');
  await ask.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(listView(alice.page)).toContainText('No scheduled messages.');
  await expect(scheduledButton(alice.page)).toHaveCount(0);
  await expect(scheduledButton(phone.page)).toHaveCount(0);
  await alice.page.keyboard.press('Escape');

  // Offline: said so, nothing lost.
  await alice.context.setOffline(true);
  // From the keyboard this time: Shift+F10 on the Send button.
  await alice.page.getByLabel('Message', { exact: true }).fill('when back');
  await alice.page.getByRole('button', { name: 'Send', exact: true }).focus();
  await alice.page.keyboard.press('Shift+F10');
  await expect(alice.page.getByRole('menuitem', { name: 'Schedule message…' })).toBeFocused();
  await alice.page.keyboard.press('Enter');
  await expect(scheduleDialog(alice.page)).toBeVisible();
  await scheduleAt(alice.page, Date.now() + 3_600_000, false);
  await expect(scheduleDialog(alice.page).getByRole('alert')).toHaveText('You are offline. Connect to schedule this message.');
  await scheduleDialog(alice.page).getByRole('button', { name: 'Cancel' }).click();
  await expect(alice.page.getByLabel('Message', { exact: true })).toHaveValue('when back');
  await alice.context.setOffline(false);
});

test('scheduled file: a photo with its caption from the attach panel; Bob gets both after its time', async ({ browser, relay }) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'dawn.png', mimeType: 'image/png', buffer: PHOTO });
  const panel = alice.page.getByRole('region', { name: 'Send photo' });
  await panel.getByLabel('Caption').fill('Dawn at the **harbour**');
  const scheduleFile = async () => {
    await panel.getByRole('button', { name: 'Send photo' }).click({ button: 'right' });
    await alice.page.getByRole('menu', { name: 'Send options' }).getByRole('menuitem', { name: 'Schedule message…' }).click();
    await expect(scheduleDialog(alice.page)).toBeVisible();
  };

  // Offline: said so; the photo and its caption stay in the panel.
  await alice.context.setOffline(true);
  await scheduleFile();
  await scheduleAt(alice.page, Date.now() + 3_600_000, false);
  await expect(scheduleDialog(alice.page).getByRole('alert')).toHaveText('You are offline. Connect to schedule this message.');
  await scheduleDialog(alice.page).getByRole('button', { name: 'Cancel' }).click();
  await expect(panel.getByLabel('Caption')).toHaveValue('Dawn at the **harbour**');
  await alice.context.setOffline(false);

  // ~12 s ahead: uploaded, scheduled, the panel closes; the list shows the file and the caption.
  await scheduleFile();
  await scheduleAt(alice.page, Date.now() + 12_000);
  await expect(panel).toHaveCount(0);
  await expect(scheduledButton(alice.page)).toHaveAccessibleName('Scheduled messages (1)');
  await scheduledButton(alice.page).click();
  const item = listView(alice.page).getByRole('listitem');
  await expect(item).toHaveCount(1);
  await expect(item.getByText('dawn.png')).toBeVisible();
  await expect(item).toContainText('Dawn at the harbour');
  await alice.page.keyboard.press('Escape');

  // Bob gets a normal photo message with the caption after its time.
  await openChatWith(bob.page, alice.username);
  const photo = messageLog(bob.page).locator('img[alt="dawn.png"]');
  await expect(photo).toBeVisible({ timeout: 60_000 });
  await expect.poll(() => photo.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0);
  await expect(bubble(bob.page, 'Dawn at the harbour')).toBeVisible();
  await expect(bob.page.locator('.msg strong', { hasText: 'harbour' })).toBeVisible();
  await expect(scheduledButton(alice.page)).toHaveCount(0);

  // Another, an hour ahead: Edit changes its caption (here to none), keeping the file; Delete takes it.
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  const filePanel = alice.page.getByRole('region', { name: 'Send file' });
  await filePanel.getByLabel('Caption').fill('read this');
  await filePanel.getByRole('button', { name: 'Send file' }).click({ button: 'right' });
  await alice.page.getByRole('menu', { name: 'Send options' }).getByRole('menuitem', { name: 'Schedule message…' }).click();
  await scheduleAt(alice.page, Date.now() + 3_600_000);
  await scheduledButton(alice.page).click();
  await expect(item.getByText('notes.txt')).toBeVisible();
  await listView(alice.page).getByRole('button', { name: 'Edit' }).click();
  await expect(scheduleDialog(alice.page).getByLabel('Caption')).toHaveValue('read this');
  await scheduleDialog(alice.page).getByLabel('Caption').fill('');
  await scheduleDialog(alice.page).getByRole('button', { name: 'Save' }).click();
  await expect(scheduleDialog(alice.page)).toBeHidden();
  await expect(item).not.toContainText('read this');
  await expect(item.getByText('notes.txt')).toBeVisible();
  await listView(alice.page).getByRole('button', { name: 'Delete' }).click();
  await alice.page.getByRole('alertdialog').getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(listView(alice.page)).toContainText('No scheduled messages.');
});

test('scheduled: phone-width screenshots of the dialog and the Scheduled view', async ({ browser, relay }) => {
  test.setTimeout(120_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await alice.page.setViewportSize({ width: 390, height: 844 });
  await openChatWith(alice.page, bob.username);
  await openScheduleFromSend(alice.page, 'Happy **birthday**! 🎂');
  await scheduleDialog(alice.page)
    .getByLabel('Send on')
    .fill(localInput(Date.now() + 86_400_000));
  await alice.page.screenshot({ path: test.info().outputPath('schedule-dialog.png') });
  await scheduleDialog(alice.page).getByRole('button', { name: 'Schedule' }).click();
  await expect(scheduleDialog(alice.page)).toBeHidden();
  await openScheduleFromSend(alice.page, 'Call the bank');
  await scheduleAt(alice.page, Date.now() + 2 * 86_400_000);
  await expect(scheduledButton(alice.page)).toHaveAccessibleName('Scheduled messages (2)');
  await alice.page.screenshot({ path: test.info().outputPath('scheduled-button.png') });
  await scheduledButton(alice.page).click();
  await expect(listView(alice.page).getByRole('listitem')).toHaveCount(2);
  await alice.page.screenshot({ path: test.info().outputPath('scheduled-view.png') });
  await alice.page.emulateMedia({ colorScheme: 'dark' });
  await alice.page.screenshot({ path: test.info().outputPath('scheduled-view-dark.png') });
});

test('scheduled photo: its small picture here, the icon on my other device; refused at its time, marked Not sent, and deleted', async ({ browser, relay }) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const phone = await logIn(browser, relay, alice.username);
  await alice.page.setViewportSize({ width: 360, height: 740 });
  await openChatWith(alice.page, bob.username);
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'dawn.png', mimeType: 'image/png', buffer: PHOTO });
  const panel = alice.page.getByRole('region', { name: 'Send photo' });
  await panel.getByLabel('Caption').fill('Dawn at the harbour');
  await panel.getByRole('button', { name: 'Send photo' }).click({ button: 'right' });
  await alice.page.getByRole('menu', { name: 'Send options' }).getByRole('menuitem', { name: 'Schedule message…' }).click();
  const due = Date.now() + 15_000;
  await scheduleAt(alice.page, due);
  await expect(panel).toHaveCount(0);

  // Bob blocks Alice before its time.
  const aliceId = ((await (await alice.context.request.get('/api/me')).json()) as { user: { id: string } }).user.id;
  expect((await bob.context.request.put(`/api/blocks/${aliceId}`)).ok()).toBe(true);

  await scheduledButton(alice.page).click();
  const item = listView(alice.page).getByRole('listitem');
  const thumb = item.locator('img[data-thumb]');
  await expect(thumb).toBeVisible();
  await expect.poll(() => thumb.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0);
  await expect(item.getByText('dawn.png')).toBeVisible();

  // My other device never had the file: the photo icon.
  await openChatWith(phone.page, bob.username);
  await scheduledButton(phone.page).click();
  const phoneItem = listView(phone.page).getByRole('listitem');
  await expect(phoneItem.getByText('dawn.png')).toBeVisible();
  await expect(phoneItem.locator('img')).toHaveCount(0);
  await expect(phoneItem.locator('svg')).toBeVisible();

  // At its time the relay refuses it: marked, with Send now and Delete; the picture stays.
  const failed = item.locator('[data-failed]');
  await expect(failed).toHaveText(/Not sent: this user blocked you/, { timeout: 60_000 });
  await expect(item).toHaveAccessibleName(/^Not sent, scheduled for /);
  await expect(item.getByRole('button', { name: 'Send now' })).toBeVisible();
  await expect(item.getByRole('button', { name: 'Delete' })).toBeVisible();
  await expect(thumb).toBeVisible();
  await expect(phoneItem.locator('[data-failed]')).toHaveText(/Not sent: this user blocked you/);
  await alice.page.screenshot({ path: test.info().outputPath('scheduled-failed-phone.png') });
  // Wide (the chat beside the list: shown anew, the view reopened).
  await alice.page.setViewportSize({ width: 1200, height: 800 });
  await expect(alice.page.getByRole('heading', { name: 'Chats' })).toBeVisible();
  await expect(async () => {
    if (!(await listView(alice.page).isVisible())) await scheduledButton(alice.page).click();
    await expect(thumb).toBeVisible({ timeout: 1000 });
  }).toPass();
  await alice.page.screenshot({ path: test.info().outputPath('scheduled-failed-wide.png') });

  // Send now is refused again with the reason; Delete takes it on both devices.
  await item.getByRole('button', { name: 'Send now' }).click();
  await expect(listView(alice.page).getByRole('alert')).toContainText(/blocked you/);
  await item.getByRole('button', { name: 'Delete' }).click();
  await alice.page.getByRole('alertdialog').getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(listView(alice.page)).toContainText('No scheduled messages.');
  await expect(phoneItem).toHaveCount(0);
  await alice.page.keyboard.press('Escape');

  // A video: its first frame.
  expect((await bob.context.request.delete(`/api/blocks/${aliceId}`)).ok()).toBe(true);
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'clip.webm', mimeType: 'video/webm', buffer: CLIP });
  const videoPanel = alice.page.getByRole('region', { name: 'Send video' });
  await videoPanel.getByRole('button', { name: 'Send video' }).click({ button: 'right' });
  await alice.page.getByRole('menu', { name: 'Send options' }).getByRole('menuitem', { name: 'Schedule message…' }).click();
  await scheduleAt(alice.page, Date.now() + 3_600_000);
  await scheduledButton(alice.page).click();
  await expect(item.getByText('clip.webm')).toBeVisible();
  await expect.poll(() => thumb.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0);
});
