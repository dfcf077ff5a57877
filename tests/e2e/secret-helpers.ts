import type { Page } from '@playwright/test';
import { expect, signUp } from './fixtures';

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

/** Alice and Bob in an established secret chat that Alice started, both on its screen. */
export async function secretPair(browser: Parameters<typeof signUp>[0], relay: Parameters<typeof signUp>[1]) {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await bob.page.goto(`/secret/${chatId}`);
  await expect(bob.page.getByText("You joined Alice's secret chat.")).toBeVisible();
  return { alice, bob, chatId };
}

/** The chat's self-destruct timer set from its header, as a user does. */
export async function setTimer(page: Page, label: string) {
  await page.getByRole('button', { name: /Self-destruct timer/ }).click();
  await page.getByRole('radio', { name: label, exact: true }).click();
}

/** Everything the device keeps, as text: every IndexedDB store raw, and Cache Storage (what a burned message must not leave behind). */
export function deviceStorageText(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((res, rej) => {
      const r = indexedDB.open('cinder');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    let text = '';
    for (const name of Array.from(db.objectStoreNames)) {
      const all: unknown[] = await new Promise((res) => {
        const req = db.transaction(name).objectStore(name).getAll();
        req.onsuccess = () => res(req.result);
      });
      text += JSON.stringify(all, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v));
    }
    db.close();
    for (const key of await caches.keys()) {
      const cache = await caches.open(key);
      for (const req of await cache.keys()) text += req.url + (await (await cache.match(req))!.text());
    }
    return text;
  });
}
