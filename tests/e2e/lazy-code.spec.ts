/**
 * What a new account downloads: the worker loads its key code to sign up, but neither noble (WebCrypto
 * passes its self-test in Chromium) nor the secret-chat engine; the first secret chat brings both.
 * Chunks are found by content in the production build, so the test follows the bundler's file names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from '@playwright/test';
import { expect, PASSWORD, signUp, test, uniqueName } from './fixtures';
import { startSecretChat } from './secret-helpers';

const CHUNKS = join('build', 'client', '_app', 'immutable', 'workers', 'chunks');
/** Ed25519's curve constant d, as noble's source writes it: only noble's curve code carries it. */
const NOBLE_MARK = '52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3';
/** A label of the Double Ratchet's key derivation: only the secret-chat code carries it. */
const RATCHET_MARK = 'Cinder/v1/ratchet';

function chunkWith(mark: string): string {
  const hits = readdirSync(CHUNKS).filter((f) => f.endsWith('.js') && readFileSync(join(CHUNKS, f), 'utf8').includes(mark));
  expect(hits, `exactly one worker chunk holds ${mark}`).toHaveLength(1);
  return `/_app/immutable/workers/chunks/${hits[0]}`;
}

/** Paths the page and its Web Worker requested (the service worker's precache left out). */
function requested(context: BrowserContext): Set<string> {
  const paths = new Set<string>();
  context.on('request', (req) => {
    if (!req.serviceWorker()) paths.add(new URL(req.url()).pathname);
  });
  return paths;
}

test('signing up loads no curve code and no secret-chat code; the first secret chat loads both', async ({ browser, relay }) => {
  const noble = chunkWith(NOBLE_MARK);
  const ratchet = chunkWith(RATCHET_MARK);
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  // Carol signs up by hand: her context is watched from its first request.
  const carolContext = await browser.newContext({ baseURL: relay.url });
  const paths = requested(carolContext);
  const carol = await carolContext.newPage();
  await carol.goto('/signup');
  await carol.getByLabel('Username').fill(uniqueName('carol'));
  await carol.getByLabel(/Display name/).fill('Carol');
  await carol.getByLabel('Password').fill(PASSWORD);
  await carol.getByRole('button', { name: 'Sign up' }).click();
  await expect(carol.getByRole('heading', { name: 'Chats' })).toBeVisible();
  const workerChunks = [...paths].filter((p) => p.startsWith('/_app/immutable/workers/chunks/'));
  expect(workerChunks.length, 'the worker loaded its start and key code').toBeGreaterThanOrEqual(2);
  expect(paths.has(noble), 'noble is not needed to sign up').toBe(false);
  expect(paths.has(ratchet), 'the secret-chat code is not needed to sign up').toBe(false);

  // The first secret chat (handshake signatures, the ratchet) brings both.
  await startSecretChat(carol, bob.username);
  await expect.poll(() => paths.has(ratchet)).toBe(true);
  await expect.poll(() => paths.has(noble)).toBe(true);
  await bob.context.close();
  await carolContext.close();
});
