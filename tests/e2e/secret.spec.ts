import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, logIn, messageLog, signUp, test } from './fixtures';
import { sendSecret, startSecretChat } from './secret-helpers';

/** Every table of the device's IndexedDB, as raw JSON (what a dump of the browser profile shows). */
async function dumpIndexedDb(page: Page): Promise<Record<string, unknown[]>> {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((res, rej) => {
      const r = indexedDB.open('cinder');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const out: Record<string, unknown[]> = {};
    for (const name of Array.from(db.objectStoreNames)) {
      out[name] = await new Promise((res) => {
        const req = db.transaction(name).objectStore(name).getAll();
        req.onsuccess = () => res(req.result.map((v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? Array.from(x) : x)))));
      });
    }
    db.close();
    return out;
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function containsPhrase(buf: Buffer, phrase: string): boolean {
  const forms = [Buffer.from(phrase, 'utf8'), Buffer.from(phrase, 'utf16le'), Buffer.from(Buffer.from(phrase).toString('base64').slice(0, 16))];
  return forms.some((f) => buf.includes(f));
}

test('secret chat: start, the first of Bob’s devices accepts, messages both ways with ticks, Alice’s other device never sees it', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const bobPhone = await logIn(browser, relay, bob.username);
  // Both of Bob's devices are offline (closed) while Alice starts the chat.
  await bob.page.close();
  await bobPhone.page.close();

  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText(`Waiting for Bob to get online…`).first()).toBeVisible();
  await alice.page.goto('/');
  const row = alice.page.locator(`[data-secret-chat="${bob.username}"]`);
  await expect(row).toContainText('Waiting for Bob to get online…');
  await expect(row.getByRole('img', { name: 'Secret chat' })).toBeVisible();

  // Bob's laptop comes online first: it accepts automatically and owns the chat.
  const bobPage = await bob.context.newPage();
  await bobPage.goto('/');
  const bobRow = bobPage.locator(`[data-secret-chat="${alice.username}"]`);
  await expect(bobRow).toBeVisible();
  await expect(row).not.toContainText('Waiting');
  await alice.page.goto(`/secret/${chatId}`);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();

  // Bob's phone comes online later and never shows it, in the list or in its database.
  const phonePage = await bobPhone.context.newPage();
  await phonePage.goto('/');
  await expect(phonePage.getByRole('heading', { name: 'Chats' })).toBeVisible();
  await phonePage.waitForTimeout(1500);
  await expect(phonePage.locator('[data-secret-chat]')).toHaveCount(0);
  expect((await dumpIndexedDb(phonePage)).secretChats ?? []).toHaveLength(0);

  await bobRow.click();
  await expect(bobPage.getByText("You joined Alice's secret chat.")).toBeVisible();

  await sendSecret(alice.page, 'Secret hello from Alice');
  const bobLog = messageLog(bobPage);
  await expect(bobLog.getByText('Secret hello from Alice')).toBeVisible();
  // Bob's screen shows it: Alice gets two ticks through the encrypted channel.
  // Read reports leave in a batch 0.5–3 s after the read (receipts.ts): a longer wait, still on the ticks.
  await expect(messageLog(alice.page).locator('[data-ticks="read"]')).toHaveCount(1, { timeout: 20_000 });
  await sendSecret(bobPage, 'Secret reply from Bob');
  await expect(messageLog(alice.page).getByText('Secret reply from Bob')).toBeVisible();

  // Alice's second device: nothing of the secret chat, in the UI or in IndexedDB.
  const alice2 = await logIn(browser, relay, alice.username);
  await alice2.page.waitForTimeout(1000);
  await expect(alice2.page.locator('[data-secret-chat]')).toHaveCount(0);
  const dump = await dumpIndexedDb(alice2.page);
  expect(dump.secretChats ?? []).toHaveLength(0);
  expect(dump.secretMessages ?? []).toHaveLength(0);

  // A second secret chat with the same contact has its own keys.
  const second = await startSecretChat(alice.page, bob.username);
  expect(second).not.toBe(chatId);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await alice.page.goto(`/secret/${second}/key`);
  const hex2 = await alice.page.getByLabel('Key in hexadecimal').textContent();
  await alice.page.goto(`/secret/${chatId}/key`);
  const hex1 = await alice.page.getByLabel('Key in hexadecimal').textContent();
  expect(hex1).not.toBe(hex2);

  for (const u of [alice, bob, bobPhone, alice2]) await u.context.close();
});

test('delete for both (also queued while offline), clear history, delete chat, and logout cancel the peer’s chat', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await bob.page.goto(`/secret/${chatId}`);

  await sendSecret(alice.page, 'first secret');
  await sendSecret(alice.page, 'second secret');
  const bobLog = messageLog(bob.page);
  await expect(bobLog.getByText('second secret')).toBeVisible();

  // Delete for both while Bob is online.
  await messageLog(alice.page).locator('li', { hasText: 'first secret' }).getByRole('button', { name: 'Select message' }).click();
  await alice.page.getByRole('button', { name: 'Delete', exact: true }).click();
  await alice.page.getByRole('alertdialog').getByRole('button', { name: 'Delete for both' }).click();
  await expect(messageLog(alice.page).getByText('first secret')).toHaveCount(0);
  await expect(bobLog.getByText('first secret')).toHaveCount(0);

  // Delete while Bob is away: applied when he returns.
  await bob.page.close();
  await messageLog(alice.page).locator('li', { hasText: 'second secret' }).getByRole('button', { name: 'Select message' }).click();
  await alice.page.getByRole('button', { name: 'Delete', exact: true }).click();
  await alice.page.getByRole('alertdialog').getByRole('button', { name: 'Delete for both' }).click();
  const bobPage = await bob.context.newPage();
  await bobPage.goto(`/secret/${chatId}`);
  await expect(messageLog(bobPage).getByText('second secret')).toHaveCount(0);

  // Clear history clears both sides.
  await sendSecret(bobPage, 'message to be cleared');
  await expect(messageLog(alice.page).getByText('message to be cleared')).toBeVisible();
  await bobPage.getByRole('button', { name: 'Chat actions' }).click();
  await bobPage.getByRole('menuitem', { name: 'Clear history' }).click();
  await bobPage.getByRole('button', { name: 'Clear history' }).click();
  await expect(messageLog(alice.page).getByText('message to be cleared')).toHaveCount(0);
  await expect(alice.page.getByText('Bob cleared the history')).toBeVisible();

  // Delete chat: gone here, cancelled there, keys destroyed.
  await alice.page.getByRole('button', { name: 'Chat actions' }).click();
  await alice.page.getByRole('menuitem', { name: 'Delete chat' }).click();
  await alice.page.getByRole('button', { name: 'Delete chat' }).click();
  await expect(alice.page).toHaveURL(/\/$/);
  await expect(alice.page.locator('[data-secret-chat]')).toHaveCount(0);
  await expect(bobPage.getByText('Alice cancelled the secret chat')).toBeVisible();
  await expect(bobPage.getByLabel('Message', { exact: true })).toHaveCount(0);

  // Logout destroys every secret chat on the device and tells each peer.
  const other = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await bobPage.goto(`/secret/${other}`);
  await expect(bobPage.getByLabel('Message', { exact: true })).toBeVisible();
  await alice.page.goto('/settings');
  await alice.page.getByRole('button', { name: 'Log out' }).click();
  await alice.page.getByRole('button', { name: 'Yes, log out' }).click();
  await expect(alice.page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(bobPage.getByText('Alice cancelled the secret chat')).toBeVisible();
  const dump = await dumpIndexedDb(alice.page);
  expect(dump.secretChats ?? []).toHaveLength(0);
  expect(dump.secretMessages ?? []).toHaveLength(0);

  await alice.context.close();
  await bob.context.close();
});

test('canary: a secret phrase never reaches the relay’s disk or logs; the cloud copy is encrypted at rest', async ({ browser, relay }) => {
  const phrase = `canary-${Math.random().toString(36).slice(2)}-phrase`;
  const cloudPhrase = `cloud-${Math.random().toString(36).slice(2)}-phrase`;
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await sendSecret(alice.page, `the secret is ${phrase}`);
  await bob.page.goto(`/secret/${chatId}`);
  await expect(messageLog(bob.page).getByText(phrase)).toBeVisible();
  await sendSecret(bob.page, `echo ${phrase}`);
  await expect(messageLog(alice.page).getByText(`echo ${phrase}`)).toBeVisible();

  await alice.page.goto(`/u/${bob.username}`);
  await alice.page.getByRole('link', { name: 'Send message' }).click();
  await alice.page.getByLabel('Message', { exact: true }).fill(cloudPhrase);
  await alice.page.getByRole('button', { name: 'Send' }).click();
  await expect(messageLog(alice.page).locator('[data-ticks="sent"], [data-ticks="read"]')).toHaveCount(1);

  // Checkpoint the WAL into the database file as a real server would over time, then read every byte.
  await relay.stop();
  for (const file of filesUnder(relay.dataDir)) {
    const bytes = readFileSync(file);
    expect(containsPhrase(bytes, phrase), `${file} holds the secret phrase`).toBe(false);
    expect(containsPhrase(bytes, cloudPhrase), `${file} holds the cloud phrase in clear`).toBe(false);
  }
  expect(relay.logs()).not.toContain(phrase);
  expect(relay.logs()).not.toContain(cloudPhrase);
  await relay.restart();
  await alice.context.close();
  await bob.context.close();
});

test('a malformed envelope never breaks the chat; it is counted in diagnostics', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();

  // Alice's own session cookie, used by a hostile client to send Bob garbage.
  const cookies = await alice.context.cookies();
  const token = cookies.find((c) => c.name === 'cinder_session')!.value;
  const bobDevices = await (await fetch(`${relay.url}/api/users/by-name/${bob.username}`, { headers: { authorization: `Bearer ${token}` } })).json();
  const devices = await (await fetch(`${relay.url}/api/users/${bobDevices.user.id}/devices`, { headers: { authorization: `Bearer ${token}` } })).json();
  const garbage = [Buffer.from([1, 3, 0, 0]), Buffer.alloc(400, 7), Buffer.concat([Buffer.from([1, 3]), Buffer.alloc(380, 1)])];
  for (const g of garbage) {
    const res = await fetch(`${relay.url}/api/envelopes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: crypto.randomUUID(), toDeviceId: devices.devices[0].id, body: g.toString('base64url') })
    });
    expect(res.status).toBeLessThan(300);
  }
  await sendSecret(alice.page, 'still works after garbage');
  await bob.page.goto(`/secret/${chatId}`);
  await expect(messageLog(bob.page).getByText('still works after garbage')).toBeVisible();
  await bob.page.goto('/settings');
  await expect(bob.page.getByTestId('rejected-count')).toHaveText('3');
  await alice.context.close();
  await bob.context.close();
});

test('two tabs of the same device stay in step (ticks and new messages)', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  const tab2 = await alice.context.newPage();
  await tab2.goto(`/secret/${chatId}`);
  await expect(tab2.getByText('Bob joined your secret chat.')).toBeVisible();
  await sendSecret(alice.page, 'from the first tab');
  // The other tab shows it without a reload, and its tick follows the relay's answer.
  await expect(messageLog(tab2).getByText('from the first tab')).toBeVisible();
  await expect(messageLog(tab2).locator('[data-ticks="sent"], [data-ticks="read"]')).toHaveCount(1);
  await alice.context.close();
  await bob.context.close();
});
