import { chromium, type Browser, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, chromiumPath } from '../support/chromium';
import { startMitmProxy } from '../support/mitm-proxy';
import { removeDir } from '../support/server';
import { expect, signUp, test } from './fixtures';
import { startSecretChat } from './secret-helpers';

/** A browser whose camera shows `video` (a y4m file written later, before the camera opens). */
async function cameraBrowser(video: string): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]
  });
}

/** Points the fake camera at the QR code on `page`'s key screen: screenshot → padded video frames. */
async function filmQr(page: Page, dir: string, video: string) {
  const png = join(dir, 'qr.png');
  await page.getByTestId('my-key-qr').screenshot({ path: png });
  execFileSync('ffmpeg', [
    '-loglevel',
    'error',
    '-y',
    '-loop',
    '1',
    '-i',
    png,
    '-vf',
    'scale=400:400:flags=neighbor,pad=640:480:(ow-iw)/2:(oh-ih)/2:white,format=yuv420p',
    '-r',
    '15',
    '-frames:v',
    '15',
    '-f',
    'yuv4mpegpipe',
    video
  ]);
}

const keyHex = (page: Page) => page.getByLabel('Key in hexadecimal').textContent();

test('scanning the friend’s screen with the camera verifies the chat; trust carries over to the next chat with that device', async ({ browser, relay }) => {
  const dir = mkdtempSync(join(tmpdir(), 'cinder-cam-'));
  const video = join(dir, 'bob-qr.y4m');
  const camBrowser = await cameraBrowser(video);
  try {
    const alice = await signUp(camBrowser, relay, 'alice', 'Alice');
    const bob = await signUp(browser, relay, 'bob', 'Bob');
    const chatId = await startSecretChat(alice.page, bob.username);
    await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();

    await bob.page.goto(`/secret/${chatId}/key`);
    await alice.page.goto(`/secret/${chatId}/key`);
    // The same chat shows the same key on both devices.
    expect(await keyHex(alice.page)).toBe(await keyHex(bob.page));
    await expect(alice.page.getByRole('img', { name: /Key picture/ })).toBeVisible();
    await expect(alice.page.getByRole('list', { name: 'Key emoji' }).getByRole('listitem')).toHaveCount(16);

    await filmQr(bob.page, dir, video);
    await alice.page.getByRole('button', { name: "Scan Bob's code" }).click();
    await expect(alice.page.locator('[data-scan-result="match"]')).toBeVisible({ timeout: 20_000 });
    await expect(alice.page.locator('[data-verified-by-me="true"]')).toBeVisible();
    // Bob learns through the channel that Alice verified him, shown once he verified her (before, a MITM could say it).
    await bob.page.reload();
    await expect(bob.page.locator('[data-verified-by-peer="unknown"]')).toBeVisible();
    await bob.page.getByRole('button', { name: 'Mark as verified' }).click();
    await expect(bob.page.locator('[data-verified-by-me="true"]')).toBeVisible();
    await expect(bob.page.locator('[data-verified-by-peer="true"]')).toBeVisible();

    await alice.page.goto(`/secret/${chatId}`);
    await expect(alice.page.getByRole('img', { name: 'Verified' })).toBeVisible();

    // A new secret chat with the same device is verified at once (its handshake is signed by the pinned key).
    const second = await startSecretChat(alice.page, bob.username);
    await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
    await alice.page.goto(`/secret/${second}/key`);
    await expect(alice.page.locator('[data-verified-by-me="true"]')).toBeVisible();
    await alice.context.close();
    await bob.context.close();
  } finally {
    await camBrowser.close();
    removeDir(dir);
  }
});

test('a relay that substitutes handshake keys is caught: the pictures differ and the scan reports a mismatch', async ({ browser, relay }) => {
  const proxy = await startMitmProxy(relay.url);
  const dir = mkdtempSync(join(tmpdir(), 'cinder-cam-'));
  const video = join(dir, 'bob-qr.y4m');
  const camBrowser = await cameraBrowser(video);
  try {
    const alice = await signUp(camBrowser, proxy, 'alice', 'Alice');
    const bob = await signUp(browser, proxy, 'bob', 'Bob');
    const me = (p: Page) => p.evaluate(() => fetch('/api/me').then((r) => r.json()));
    proxy.target((await me(alice.page)).user.id, (await me(bob.page)).user.id);

    const chatId = await startSecretChat(alice.page, bob.username);
    // The attack "works": both sides think the chat is established…
    await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
    expect(proxy.swapped()).toBe(2);
    await bob.page.goto(`/secret/${chatId}/key`);
    await alice.page.goto(`/secret/${chatId}/key`);
    // …but the keys they see differ.
    expect(await keyHex(alice.page)).not.toBe(await keyHex(bob.page));

    await filmQr(bob.page, dir, video);
    await alice.page.getByRole('button', { name: "Scan Bob's code" }).click();
    await expect(alice.page.locator('[data-scan-result="mismatch"]')).toBeVisible({ timeout: 20_000 });
    await expect(alice.page.getByRole('alert').filter({ hasText: 'The keys do not match!' })).toBeVisible();
    await expect(alice.page.locator('[data-verified-by-me="false"]')).toBeVisible();
    // After a failed scan, comparing by eye cannot overrule it.
    await expect(alice.page.getByRole('button', { name: 'Mark as verified' })).toHaveCount(0);
    await alice.context.close();
    await bob.context.close();
  } finally {
    await camBrowser.close();
    await proxy.close();
    removeDir(dir);
  }
});
