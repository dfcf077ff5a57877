import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, messageLog, signUp, test } from './fixtures';
import { secretPair, sendSecret, startSecretChat } from './secret-helpers';

const PHOTO = readFileSync('static/icons/icon-512.png');

test('photos and files in a secret chat: encrypted upload, decrypted in the worker, no save or forward, relay copy deleted after download', async ({
  browser,
  relay
}) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();

  const phrase = `file-canary-${Math.random().toString(36).slice(2)}`;
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from(`top secret: ${phrase}`) });
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'flame.png', mimeType: 'image/png', buffer: PHOTO });
  // A photo waits in its preview until "Send" (caption, timer, cancel: media-open.spec.ts).
  await alice.page.getByRole('region', { name: 'Send photo' }).getByRole('button', { name: 'Send photo' }).click();
  const aliceLog = messageLog(alice.page);
  await expect(aliceLog.getByText('notes.txt')).toBeVisible();
  await expect(aliceLog.locator('[data-ticks="sent"], [data-ticks="read"]')).toHaveCount(2);

  // On the relay: only ciphertext, in the blob store.
  const blobDir = join(relay.dataDir, 'blobs');
  const blobs = readdirSync(blobDir).filter((f) => !f.startsWith('.'));
  expect(blobs.length).toBeGreaterThanOrEqual(2);
  for (const f of blobs) {
    const bytes = readFileSync(join(blobDir, f));
    expect(bytes.includes(Buffer.from(phrase))).toBe(false);
    expect(bytes.includes(PHOTO.subarray(0, 64))).toBe(false);
  }

  await bob.page.goto(`/secret/${chatId}`);
  const bobLog = messageLog(bob.page);
  const img = bobLog.locator('img[alt="flame.png"]');
  await expect(img).toBeVisible();
  expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(512);
  expect(await img.getAttribute('src')).toMatch(/^blob:/);
  await expect(bobLog.getByText('notes.txt')).toBeVisible();

  // No way to forward or share secret media through our UI. Without a timer a file may be saved (as in
  // Telegram); with one it opens only inside Cinder (media-open.spec.ts).
  await expect(bobLog.getByRole('button', { name: /forward|share/i })).toHaveCount(0);
  await expect(bobLog.getByRole('link', { name: /forward|share|save|download/i })).toHaveCount(0);
  await expect(bobLog.locator('a[download]')).toHaveCount(0);
  await expect(bobLog.getByRole('button', { name: 'Save notes.txt' })).toBeVisible();

  // Bob's device holds the photo now: the relay's copy of it is deleted.
  await expect.poll(() => readdirSync(blobDir).filter((f) => !f.startsWith('.')).length).toBe(blobs.length - 1);
  await alice.context.close();
  await bob.context.close();
});

test('a photo with a short timer stays blurred until pressed and held; its timer starts only then', async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  await alice.page.getByRole('button', { name: /Self-destruct timer/ }).click();
  await alice.page.getByRole('radio', { name: '5 seconds', exact: true }).click();
  await expect(bob.page.getByText('Alice set the self-destruct timer to 5 seconds')).toBeVisible();
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'flame.png', mimeType: 'image/png', buffer: PHOTO });
  // The preview starts with the chat's timer.
  await expect(alice.page.getByRole('region', { name: 'Send photo' }).getByLabel('Self-destruct timer')).toHaveValue('5');
  await alice.page.getByRole('region', { name: 'Send photo' }).getByRole('button', { name: 'Send photo' }).click();

  const hold = messageLog(bob.page).getByRole('button', { name: /Press and hold to view/ });
  await expect(hold).toBeVisible();
  await expect(messageLog(bob.page).locator('img.blurred')).toBeVisible();
  // Shown but not opened: no timer runs on either side.
  await bob.page.waitForTimeout(1500);
  await expect(messageLog(bob.page).locator('[data-countdown]')).toHaveCount(0);
  await expect(messageLog(alice.page).locator('[data-countdown]')).toHaveCount(0);

  await hold.hover();
  await bob.page.mouse.down();
  await expect(messageLog(bob.page).locator('img[alt="flame.png"]:not(.blurred)')).toBeVisible();
  await bob.page.mouse.up();
  await expect(messageLog(bob.page).locator('[data-countdown]')).toHaveCount(1);
  await expect(messageLog(alice.page).locator('[data-countdown]')).toHaveCount(1);
  await expect(messageLog(bob.page).locator('[data-media]')).toHaveCount(0, { timeout: 8000 });
  await expect(messageLog(alice.page).locator('[data-media]')).toHaveCount(0, { timeout: 3000 });
  await sendSecret(alice.page, 'still here');
  await alice.context.close();
  await bob.context.close();
});
