import { expect, messageLog, signUp, test } from './fixtures';
import { sendSecret, startSecretChat } from './secret-helpers';

interface LogLine {
  msg?: string;
  method?: string;
  route?: string;
  status?: number;
}

/** The relay's request log lines for one route with one status. */
function requests(logs: string, method: string, route: string, status: number): number {
  return logs
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.msg === 'request' && l.method === method && l.route === route && l.status === status).length;
}

test('a secret chat between two current browsers uses sealed addressing: anonymous posts to registered mailboxes', async ({ browser, relay }) => {
  const before = { sealed: requests(relay.logs(), 'POST', '/api/sealed', 200), told: requests(relay.logs(), 'POST', '/api/devices/protocol', 204) };
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  // Each device tells the relay it speaks protocol 2 when it connects.
  await expect.poll(() => requests(relay.logs(), 'POST', '/api/devices/protocol', 204) - before.told).toBeGreaterThanOrEqual(2);

  const chatId = await startSecretChat(alice.page, bob.username);
  await bob.page.goto('/');
  await bob.page.locator(`[data-secret-chat="${alice.username}"]`).click();
  await expect(bob.page.getByText("You joined Alice's secret chat.")).toBeVisible();
  await alice.page.goto(`/secret/${chatId}`);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();

  await sendSecret(alice.page, 'Sealed hello from Alice');
  await expect(messageLog(bob.page).getByText('Sealed hello from Alice')).toBeVisible();
  await expect(messageLog(alice.page).locator('[data-ticks="read"]')).toHaveCount(1);
  await sendSecret(bob.page, 'Sealed reply from Bob');
  await expect(messageLog(alice.page).getByText('Sealed reply from Bob')).toBeVisible();

  // Key confirmation, two texts, a read receipt, acks: all posted without a session to /api/sealed.
  expect(requests(relay.logs(), 'POST', '/api/sealed', 200) - before.sealed).toBeGreaterThanOrEqual(4);
  // Each device keeps its receive mailboxes of the chat (four days) in its own database.
  for (const page of [alice.page, bob.page]) {
    const mailboxes = await page.evaluate(async () => {
      const db: IDBDatabase = await new Promise((res, rej) => {
        const r = indexedDB.open('cinder');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const rows: { chatId: string }[] = await new Promise((res) => {
        const req = db.transaction('mailboxes').objectStore('mailboxes').getAll();
        req.onsuccess = () => res(req.result);
      });
      db.close();
      return rows.map((r) => r.chatId);
    });
    expect(mailboxes).toEqual([chatId, chatId, chatId, chatId]);
  }
  for (const u of [alice, bob]) await u.context.close();
});
