/**
 * Issue 16, items 9 and 10: several secret chats with one person are told apart; a refused handshake
 * says so with a way out; devices can be renamed; the timer is a keyboard-friendly grid; nothing
 * wraps at 360 px; a wide screen's chat list uses the width. Each changed screen passes axe in both themes.
 */
import type { Locator } from '@playwright/test';
import { auditBothThemes } from './axe';
import { expect, logIn, signUp, test } from './fixtures';
import { sendSecret, startSecretChat } from './secret-helpers';

/**
 * How many lines an element's visible text is laid out on: its text boxes grouped by top (boxes on one
 * line differ by a few px at most, e.g. an emoji's font); the 1 px screen-reader-only text left out.
 */
const lineCount = (l: Locator) =>
  l.evaluate((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = [...range.getClientRects()]
      .filter((r) => r.width > 1 && r.height > 1)
      .map((r) => r.top)
      .sort((a, b) => a - b);
    return tops.filter((t, i) => i === 0 || t - tops[i - 1] > 8).length;
  });

/** The element is one line tall: its height is within one line of text. */
async function expectOneLine(l: Locator, what: string) {
  await expect(l).toBeVisible();
  expect(await lineCount(l), `${what} is on one line`).toBe(1);
  const { height, line } = await l.evaluate((el) => {
    const cs = getComputedStyle(el);
    const lh = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.4;
    return { height: el.getBoundingClientRect().height, line: lh };
  });
  expect(height, `${what}: ${height}px tall for a ${line}px line`).toBeLessThan(line * 1.5 + 24); // a button's padding at most
}

test('two secret chats with one person are told apart in the list and the header', async ({ browser, relay }) => {
  test.setTimeout(240_000); // two handshakes and axe four times, on a busy machine
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await alice.page.setViewportSize({ width: 360, height: 740 });
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    ids.push(await startSecretChat(alice.page, bob.username));
    // Bob is online: his device accepts at once.
    await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  }
  const headerTags: string[] = [];
  for (const id of ids) {
    await alice.page.goto(`/secret/${id}`);
    const status = alice.page.locator('[data-secret-status="active"]');
    // Bob's last seen leads the subtitle, so the tag is the short one the list shows (room on a phone for the emoji).
    await expect(status.locator('[data-last-seen]')).toHaveText('last seen recently');
    await expect(status.locator('[data-secret-tag] [aria-hidden]')).toHaveText(/^\S+ · \S.+$/);
    headerTags.push((await status.locator('[data-secret-tag] [aria-hidden]').textContent())!.trim());
    await expectOneLine(status, 'the header subtitle');
  }
  expect(headerTags[0]).not.toBe(headerTags[1]);
  await auditBothThemes(alice.page, 'secret chat header with its tag');

  await alice.page.goto('/');
  const rows = alice.page.locator(`[data-secret-chat="${bob.username}"]`);
  await expect(rows).toHaveCount(2);
  const listTags = await rows.locator('[data-secret-tag] [aria-hidden]').allTextContents();
  expect(listTags.map((t) => t.trim()).sort()).toEqual([...headerTags].sort());
  for (const row of await rows.all()) await expectOneLine(row.locator('[data-secret-tag]'), 'a list tag');
  // Bob sees the same key emoji for each (the start time is his accept time).
  await bob.page.goto('/');
  const bobTags = bob.page.locator(`[data-secret-chat="${alice.username}"] [data-secret-tag] [aria-hidden]`);
  await expect(bobTags).toHaveCount(2);
  await expect(bob.page.locator(`[data-secret-chat="${alice.username}"] [data-secret-tag]`).first()).toContainText('accepted'); // spoken
  expect((await bobTags.allTextContents()).map((t) => t.trim().split(' · ')[0]).sort()).toEqual(listTags.map((t) => t.trim().split(' · ')[0]).sort());
  await auditBothThemes(alice.page, 'chat list with two secret chats');
  await alice.context.close();
  await bob.context.close();
});

test('a secret chat refused by the peer’s device says so, and a new one can be started from there', async ({ browser, relay }) => {
  test.setTimeout(240_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await bob.page.close();
  // Bob's device gets the request with its signature broken (as from a broken or hostile sender): it
  // claims it, cannot verify it, and refuses it.
  let tampered = 0;
  await bob.context.route(/\/api\/envelopes\?/, async (route) => {
    const res = await route.fetch();
    const body = (await res.json()) as { envelopes: { body: string; requestId: string | null }[] };
    for (const e of body.envelopes) {
      if (!e.requestId) continue;
      const bytes = Buffer.from(e.body, 'base64url');
      bytes[bytes.length - 1] ^= 1;
      e.body = bytes.toString('base64url');
      tampered++;
    }
    await route.fulfill({ response: res, json: body });
  });

  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.locator('[data-secret-status="waiting"]')).toBeVisible();
  const bobPage = await bob.context.newPage();
  await bobPage.goto('/');
  await expect.poll(() => tampered).toBeGreaterThan(0);

  const failed = alice.page.locator('[data-secret-failed="refused"]');
  await expect(failed).toContainText("Bob's device refused this secret chat.");
  await expect(alice.page.locator('[data-secret-status="failed"]')).toHaveText('Secret chat failed');
  await expect(alice.page.getByText('Waiting for Bob to get online…')).toHaveCount(0);
  await expect(alice.page.getByLabel('Message', { exact: true })).toHaveCount(0);
  await auditBothThemes(alice.page, 'refused secret chat');
  await alice.page.goto('/');
  await expect(alice.page.locator(`[data-secret-chat="${bob.username}"][data-status="failed"]`)).toContainText("Bob's device refused this secret chat");
  await expect(bobPage.locator(`[data-secret-chat="${alice.username}"]`)).toHaveCount(0);

  // The way out: a new secret chat from the failed one, which Bob's device now accepts.
  await bob.context.unrouteAll({ behavior: 'wait' });
  await alice.page.goto(`/secret/${chatId}`);
  await alice.page.getByRole('button', { name: 'Start a new secret chat' }).click();
  await expect(alice.page).not.toHaveURL(new RegExp(chatId));
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await sendSecret(alice.page, 'Second try works');
  await expect(bobPage.locator(`[data-secret-chat="${alice.username}"]`)).toContainText('Second try works');
  await alice.context.close();
  await bob.context.close();
});

test('a device can be renamed in Settings, with an inline check', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const { page } = alice;
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/settings');
  const devices = page.getByRole('list', { name: 'Devices' });
  await expect(devices.getByRole('listitem')).toHaveCount(1);
  await devices.getByRole('button', { name: /^Rename / }).click();
  const input = page.getByLabel('Device name');
  await expect(input).toBeFocused();
  await input.fill('   ');
  await devices.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toHaveText('Give the device a name');
  await expect(input).toHaveAttribute('aria-invalid', 'true');
  await auditBothThemes(page, 'device rename form');
  await input.fill('Work laptop');
  await input.press('Enter');
  await expect(devices.locator('strong')).toHaveText('Work laptop');
  await expect(page.getByRole('status').filter({ hasText: 'Renamed to' })).toHaveText('Renamed to “Work laptop”.');
  await expect(devices.getByRole('button', { name: 'Rename Work laptop' })).toBeFocused();
  // Kept by the relay: another visit (and another device) sees it.
  await page.reload();
  await expect(page.getByRole('list', { name: 'Devices' }).locator('strong')).toHaveText('Work laptop');
  // Escape cancels.
  await page.getByRole('button', { name: 'Rename Work laptop' }).click();
  await page.getByLabel('Device name').fill('Never saved');
  await page.getByLabel('Device name').press('Escape');
  await expect(page.getByRole('list', { name: 'Devices' }).locator('strong')).toHaveText('Work laptop');
  await alice.context.close();
});

test('the timer is a grid of choices, all in view at 360 px, picked by keyboard', async ({ browser, relay }) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const { page } = alice;
  await page.setViewportSize({ width: 360, height: 740 });
  await startSecretChat(page, bob.username);
  await expect(page.getByText('Bob joined your secret chat.')).toBeVisible();

  const trigger = page.getByRole('button', { name: 'Self-destruct timer: Off' });
  await trigger.focus();
  await page.keyboard.press('Enter');
  const grid = page.getByRole('radiogroup', { name: 'Self-destruct timer' });
  const radios = grid.getByRole('radio');
  await expect(radios).toHaveCount(21);
  await expect(grid.getByRole('radio', { checked: true })).toHaveAccessibleName('Off');
  await expect(grid.getByRole('radio', { name: 'Off', exact: true })).toBeFocused();
  // Every choice is on screen at once: no scrolling to reach 1 minute, 1 hour, 1 day, 1 week.
  for (const r of await radios.all()) await expect(r).toBeInViewport({ ratio: 1 });
  await auditBothThemes(page, 'timer grid');

  // Arrows move (nothing changes yet), Enter picks: Off → (down) 4 s → (right) 5 s.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await expect(grid.getByRole('radio', { name: '5 seconds', exact: true })).toBeFocused();
  await expect(grid.getByRole('radio', { checked: true })).toHaveAccessibleName('Off');
  await page.keyboard.press('Enter');
  await expect(grid).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Self-destruct timer: 5 seconds' })).toBeFocused();
  await expect(page.getByText('You set the self-destruct timer to 5 seconds')).toBeVisible();

  // End reaches the last choice; Escape closes without changing anything.
  await page.keyboard.press('Enter');
  await expect(grid.getByRole('radio', { name: '5 seconds', exact: true })).toBeFocused();
  await page.keyboard.press('End');
  await expect(grid.getByRole('radio', { name: '1 week', exact: true })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(grid).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Self-destruct timer: 5 seconds' })).toBeFocused();
  await alice.context.close();
  await bob.context.close();
});

test('nothing wraps at 360 px: long header subtitles, list rows, Settings buttons', async ({ browser, relay }) => {
  test.setTimeout(240_000); // three accounts and axe twice, on a busy machine
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bartholomew Maximilian Fitzgerald-Worthington');
  const { page } = alice;
  await page.setViewportSize({ width: 360, height: 740 });
  await bob.page.close(); // offline: the chat waits, with the long "Waiting for … to get online…"
  await startSecretChat(page, bob.username);
  const status = page.locator('[data-secret-status="waiting"]');
  await expect(status).toContainText('Waiting for Bartholomew');
  await expectOneLine(status, 'the waiting subtitle');
  expect(await status.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true); // cut with an ellipsis
  await page.goto('/');
  const row = page.locator(`[data-secret-chat="${bob.username}"]`);
  await expectOneLine(row.locator('.preview'), 'the list preview');
  await expectOneLine(row.locator('.name'), 'the list name');

  // A second device, so that Settings shows "Sign out" beside "Rename".
  const phone = await logIn(browser, relay, alice.username);
  await page.goto('/settings');
  const devices = page.getByRole('list', { name: 'Devices' });
  await expect(devices.getByRole('listitem')).toHaveCount(2);
  for (const b of await devices.getByRole('button').all()) await expectOneLine(b, `the "${await b.textContent()}" button`);
  await expectOneLine(page.getByRole('button', { name: 'Sign out all other devices' }), 'Sign out all other devices');
  await expectOneLine(page.getByRole('button', { name: 'Log out' }), 'Log out');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await auditBothThemes(page, 'settings with two devices');
  await phone.context.close();
  await alice.context.close();
  await bob.context.close();
});

test('on a wide screen the chat list sits beside an empty pane, using the width', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const { page } = alice;
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/');
  const list = page.getByRole('main').filter({ has: page.getByRole('heading', { name: 'Chats' }) });
  const pane = page.getByRole('region', { name: 'No chat open' });
  await expect(pane).toContainText('Select a chat to start messaging');
  const [l, p] = [(await list.boundingBox())!, (await pane.boundingBox())!];
  expect(l.x).toBeLessThan(2); // not a centred column
  expect(l.width).toBeGreaterThanOrEqual(300);
  expect(p.x).toBeGreaterThanOrEqual(l.x + l.width - 2);
  expect(l.width + p.width).toBeGreaterThan(1270);
  await auditBothThemes(page, 'wide chat list');
  // At phone width it is the list alone.
  await page.setViewportSize({ width: 360, height: 740 });
  await expect(pane).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Chats' })).toBeVisible();
  await alice.context.close();
});
