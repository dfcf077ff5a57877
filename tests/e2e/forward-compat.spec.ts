// Forward compatibility (docs/protocol.md §9.3): a message from a peer on a newer Cinder shows as a
// placeholder instead of vanishing, and a secret chat whose state a newer version wrote loses none of
// its messages: they wait on this device and show once the app reads the chat again.
import type { Page } from '@playwright/test';
import { expect, messageLog, test } from './fixtures';
import { secretPair, sendSecret } from './secret-helpers';

const PLACEHOLDER = 'This message needs a newer version of Cinder. Update to see it.';

/**
 * Makes the app's worker send the text `marker` as a newer version's payload would: a message kind
 * this version does not know (the worker serializes each payload with JSON.stringify just before
 * encrypting it).
 */
async function sendAsNewerVersion(page: Page, marker: string) {
  const worker = page.workers().find((w) => w.url().includes('worker'));
  if (!worker) throw new Error('the app worker is not running');
  await worker.evaluate((text) => {
    const stringify = JSON.stringify;
    JSON.stringify = function (value: unknown, ...rest: unknown[]) {
      const p = value as { k?: unknown; text?: unknown; id?: unknown; at?: unknown } | null;
      const out = p && p.k === 'text' && p.text === text ? { k: 'poll', id: p.id, at: p.at, question: 'Lunch?', options: ['yes', 'no'] } : value;
      return (stringify as (...a: unknown[]) => string)(out, ...rest);
    } as typeof JSON.stringify;
  }, marker);
  await sendSecret(page, marker);
}

/**
 * Sets or clears flag bit 16 of a secret chat's sealed state in the browser's IndexedDB, as a newer
 * version writing a flag this one does not know would leave it (the vault key is non-extractable but
 * usable in the page, as in the app's worker).
 */
async function newerFlag(page: Page, chatId: string, on: boolean) {
  await page.evaluate(
    async ({ chatId, on }) => {
      const db: IDBDatabase = await new Promise((res, rej) => {
        const r = indexedDB.open('cinder');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const get = <T>(store: string, key: string) =>
        new Promise<T>((res, rej) => {
          const req = db.transaction(store).objectStore(store).get(key);
          req.onsuccess = () => res(req.result as T);
          req.onerror = () => rej(req.error);
        });
      const { key } = await get<{ key: CryptoKey }>('vault', 'main');
      const row = await get<{ box: Uint8Array }>('secretChats', chatId);
      // Vault format 2: 02 | key id (4) | nonce (12) | AES-GCM ciphertext, bound to the row's place.
      const ad = new TextEncoder().encode(`cinder/vault/v2/secretChats/${chatId}`);
      const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: row.box.slice(5, 17), additionalData: ad }, key, row.box.slice(17)));
      plain[plain.length - 1] = on ? plain[plain.length - 1] | 16 : plain[plain.length - 1] & ~16;
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: ad }, key, plain));
      const box = new Uint8Array(17 + ct.length);
      box.set(row.box.slice(0, 5));
      box.set(iv, 5);
      box.set(ct, 17);
      await new Promise<void>((res, rej) => {
        const tx = db.transaction('secretChats', 'readwrite');
        tx.objectStore('secretChats').put({ ...row, box });
        tx.oncomplete = () => res();
        tx.onerror = () => rej(tx.error);
      });
      db.close();
    },
    { chatId, on }
  );
}

async function parkedCount(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((res, rej) => {
      const r = indexedDB.open('cinder');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const n = await new Promise<number>((res) => {
      const req = db.transaction('parkedEnvelopes').objectStore('parkedEnvelopes').count();
      req.onsuccess = () => res(req.result);
    });
    db.close();
    return n;
  });
}

/** How many envelopes the relay still holds for this device (asked with its session, as its app does). */
async function relayQueue(page: Page): Promise<number> {
  return page.evaluate(async () => ((await (await fetch('/api/envelopes')).json()) as { envelopes: unknown[] }).envelopes.length);
}

test('a message from a newer Cinder shows as an unread placeholder that can be deleted for both', async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  await bob.page.goto('/');
  await sendAsNewerVersion(alice.page, 'a poll from the future');
  // Alice's own app shows what she sent; Bob's cannot show it, but says a message came.
  await expect(messageLog(alice.page).getByText('a poll from the future')).toBeVisible();
  const chatRow = bob.page.locator(`[data-secret-chat="${alice.username}"]`);
  await expect(chatRow).toContainText('Unsupported message');
  await expect(chatRow.getByLabel('1 unread')).toBeVisible();

  await chatRow.click();
  const placeholder = messageLog(bob.page).locator('li', { hasText: PLACEHOLDER });
  await expect(placeholder).toBeVisible();
  await expect(placeholder.locator('time')).toBeVisible();
  await expect(messageLog(bob.page).getByText('Lunch?')).toHaveCount(0);
  // Shown, so read: Alice's ticks say so.
  await expect(messageLog(alice.page).locator('li', { hasText: 'a poll from the future' }).locator('[data-ticks="read"]')).toBeVisible();

  await placeholder.click({ button: 'right' });
  await bob.page.getByRole('menu', { name: 'Message actions' }).getByRole('menuitem', { name: 'Delete…' }).click();
  await bob.page.getByRole('alertdialog').getByRole('button', { name: 'Delete for both' }).click();
  await expect(placeholder).toHaveCount(0);
  await expect(messageLog(alice.page).getByText('a poll from the future')).toHaveCount(0);
});

test('a secret chat a newer version saved keeps its messages until Cinder reads it again, and asks to update', async ({ browser, relay }) => {
  const { alice, bob, chatId } = await secretPair(browser, relay);
  await sendSecret(alice.page, 'before the update');
  await expect(messageLog(bob.page).getByText('before the update')).toBeVisible();
  // Bob's receipt went back: his app is done writing the chat's state for now.
  await expect(messageLog(alice.page).locator('[data-ticks="read"]')).toHaveCount(1);
  await bob.page.waitForTimeout(1000);

  await newerFlag(bob.page, chatId, true);
  await bob.page.goto('/');
  await expect(bob.page.locator(`[data-secret-chat="${alice.username}"]`)).toContainText('Update Cinder to open this chat');
  await expect(bob.page.getByRole('status').filter({ hasText: 'A newer version of Cinder saved some of your chats. Reload to update.' })).toBeVisible();
  await expect(bob.page.getByRole('status').getByRole('button', { name: 'Reload' })).toBeVisible();

  await bob.page.goto(`/secret/${chatId}`);
  await expect(bob.page.locator('[data-needs-update]')).toContainText('This secret chat was saved by a newer version of Cinder.');
  await expect(messageLog(bob.page).getByText('before the update')).toBeVisible();
  await expect(bob.page.getByLabel('Message', { exact: true })).toHaveCount(0);
  // The update prompt floats over the screen's foot: it uses the screen's width (a narrow box wrapped a
  // word a line) and leaves the chat's own notice readable.
  const prompt = await bob.page.getByRole('status').filter({ hasText: 'A newer version of Cinder saved' }).boundingBox();
  const notice = await bob.page.locator('[data-needs-update] p').boundingBox();
  expect(prompt!.width).toBeGreaterThan(bob.page.viewportSize()!.width * 0.75);
  expect(notice!.y + notice!.height).toBeLessThanOrEqual(prompt!.y);
  // No newer version may be there to take (a server rolled back): "Not now" puts the prompt away for this
  // build, also through a reload, while the chat keeps saying why it cannot be opened.
  await bob.page.getByRole('status').getByRole('button', { name: 'Not now' }).click();
  await expect(bob.page.getByRole('status').filter({ hasText: 'A newer version of Cinder saved' })).toHaveCount(0);
  await bob.page.goto('/');
  // The list read that shows this row is the one that raises the prompt (UnreadWatch): it would be up by now.
  await expect(bob.page.locator(`[data-secret-chat="${alice.username}"]`)).toContainText('Update Cinder to open this chat');
  await expect(bob.page.getByRole('status').filter({ hasText: 'A newer version of Cinder saved' })).toHaveCount(0);
  await bob.page.goto(`/secret/${chatId}`);
  await expect(bob.page.locator('[data-needs-update]')).toContainText('This secret chat was saved by a newer version of Cinder.');

  // Alice writes meanwhile: once it is on the relay, Bob's app takes it off (acknowledged), cannot open it, and keeps it.
  await sendSecret(alice.page, 'kept for the new version');
  await expect(messageLog(alice.page).locator('li', { hasText: 'kept for the new version' }).locator('[data-ticks="sent"]')).toBeVisible();
  await expect.poll(() => relayQueue(bob.page), { timeout: 15_000 }).toBe(0);
  // The message, and any ACK frame of Alice's in the same chat.
  expect(await parkedCount(bob.page)).toBeGreaterThanOrEqual(1);
  await expect(messageLog(bob.page).getByText('kept for the new version')).toHaveCount(0);

  // An app that reads the chat again (here: the flag cleared, as no newer build exists in this test) gets it.
  await newerFlag(bob.page, chatId, false);
  await bob.page.reload();
  await expect(messageLog(bob.page).getByText('kept for the new version')).toBeVisible();
  await expect(bob.page.locator('[data-needs-update]')).toHaveCount(0);
  await expect(bob.page.getByLabel('Message', { exact: true })).toBeVisible();
  await expect.poll(() => parkedCount(bob.page)).toBe(0);
});
