/**
 * Profile photos, end to end: Alice sets a photo in Settings → Profile (a picture made in the page,
 * wider than tall, so it is cropped to its centre square); her settings and Bob's chat list and chat
 * header show it as an image, live; Bob's reload without a network still shows it (cached on his
 * device). Alice removes it: Bob's list shows her initials again, live. A file that is not a picture
 * is refused with a clear message. axe checks Settings with a photo. Her second device's Settings follow
 * her photo and name live (a 'profile' update in her own log), the name field too unless it is being
 * edited there, though she has no chat at all (no empty Saved Messages row on either device).
 */
import type { Page } from '@playwright/test';
import { audit } from './axe';
import { expect, logIn, openChatWith, sendTextAndWait, signUp, test } from './fixtures';

test.describe.configure({ timeout: 180_000 });

/** A 96×64 PNG drawn in the page (a circle on a colour). */
const pngBytes = async (page: Page) =>
  Buffer.from(
    await page.evaluate(async () => {
      const c = document.createElement('canvas');
      c.width = 96;
      c.height = 64;
      const g = c.getContext('2d')!;
      g.fillStyle = '#e91e63';
      g.fillRect(0, 0, 96, 64);
      g.fillStyle = '#ffeb3b';
      g.beginPath();
      g.arc(48, 32, 24, 0, 2 * Math.PI);
      g.fill();
      const blob = await new Promise<Blob>((done) => c.toBlob((b) => done(b!), 'image/png'));
      return [...new Uint8Array(await blob.arrayBuffer())];
    })
  );

async function pick(page: Page, file: { name: string; mimeType: string; buffer: Buffer }) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Set photo' }).click();
  await (await chooser).setFiles(file);
}

test('Alice sets a photo: her settings and Bob’s list and chat show it, offline too; removed, initials again; a non-image is refused', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(bob.page, alice.username);
  await sendTextAndWait(bob.page, 'hi Alice');
  await bob.page.goto('/');
  const bobsRow = bob.page.locator(`[data-chat="${alice.username}"]`);
  // Her initials until she has a photo.
  await expect(bobsRow.locator('.avatar')).toHaveText('A');
  await expect(bobsRow.locator('img')).toHaveCount(0);

  await alice.page.goto('/settings');
  await pick(alice.page, { name: 'me.png', mimeType: 'image/png', buffer: await pngBytes(alice.page) });
  await expect(alice.page.getByRole('status').filter({ hasText: 'Photo saved' })).toBeVisible();
  const mine = alice.page.locator('section.me img');
  await expect(mine).toBeVisible();
  // Cropped to the centre square, re-encoded.
  expect(await mine.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([64, 64]);
  await expect(alice.page.getByRole('button', { name: 'Remove photo' })).toBeVisible();
  await audit(alice.page, 'settings with a profile photo');

  // Bob's list follows live; so does the chat header.
  await expect(bobsRow.locator('img')).toBeVisible();
  await bobsRow.click();
  await expect(bob.page.locator('header a.peer img')).toBeVisible();

  // Offline, a reload still shows it (cached on Bob's device).
  await bob.page.evaluate(async () => navigator.serviceWorker.ready);
  await bob.page.goto('/');
  await bob.context.setOffline(true);
  await bob.page.reload();
  await expect(bobsRow.locator('img')).toBeVisible();
  await bob.context.setOffline(false);

  // Removed: Bob's list shows her initials again, live.
  await alice.page.getByRole('button', { name: 'Remove photo' }).click();
  await expect(alice.page.getByRole('status').filter({ hasText: 'Photo removed' })).toBeVisible();
  await expect(alice.page.locator('section.me img')).toHaveCount(0);
  await expect(bobsRow.locator('img')).toHaveCount(0, { timeout: 15_000 });
  await expect(bobsRow.locator('.avatar')).toHaveText('A');

  // Not a picture: said clearly, nothing changes.
  await pick(alice.page, { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('these are not pixels') });
  await expect(alice.page.getByRole('alert')).toHaveText('This file is not a picture Cinder can read. Choose a JPEG, PNG, WebP or GIF image.');
  await expect(alice.page.locator('section.me img')).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});

test('my second device follows my new photo and name live, without a chat or a reload', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const phone = await logIn(browser, relay, alice.username);
  await phone.page.goto('/settings');
  const phoneMe = phone.page.locator('section.me');
  await expect(phoneMe.getByRole('heading', { name: 'Alice' })).toBeVisible();
  await expect(phoneMe.locator('img')).toHaveCount(0);

  await alice.page.goto('/settings');
  await pick(alice.page, { name: 'me.png', mimeType: 'image/png', buffer: await pngBytes(alice.page) });
  await expect(alice.page.getByRole('status').filter({ hasText: 'Photo saved' })).toBeVisible();
  // The phone, never reloaded: her photo.
  await expect(phoneMe.locator('img')).toBeVisible();
  expect(await phoneMe.locator('img').evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([64, 64]);

  await alice.page.getByLabel('Display name').fill('Alice A.');
  await alice.page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(alice.page.getByRole('status').filter({ hasText: /^Saved$/ })).toBeVisible();
  await expect(phoneMe.getByRole('heading', { name: 'Alice A.' })).toBeVisible();
  // Its name field follows too, unless it is being edited there: the typing stays.
  const phoneField = phone.page.getByLabel('Display name');
  await expect(phoneField).toHaveValue('Alice A.');
  await phoneField.fill('Ally');
  await alice.page.getByLabel('Display name').fill('Alice B.');
  await alice.page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(phoneMe.getByRole('heading', { name: 'Alice B.' })).toBeVisible();
  await expect(phoneField).toHaveValue('Ally');

  await alice.page.getByRole('button', { name: 'Remove photo' }).click();
  await expect(alice.page.getByRole('status').filter({ hasText: 'Photo removed' })).toBeVisible();
  await expect(phoneMe.locator('img')).toHaveCount(0);
  await expect(phoneMe.locator('.avatar')).toHaveText('AB');
  // Neither device's list holds a chat made for it (the updates travel through her Saved Messages log), reloaded too.
  for (const p of [phone.page, alice.page]) {
    await p.goto('/');
    await expect(p.getByRole('heading', { name: 'Chats' })).toBeVisible();
    await expect(p.locator('[data-chat]')).toHaveCount(0);
    await p.reload();
    await expect(p.getByRole('heading', { name: 'Chats' })).toBeVisible();
    await expect(p.locator('[data-chat]')).toHaveCount(0);
  }
});
