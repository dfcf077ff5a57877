/**
 * Pinned messages: the message menu's Pin / Unpin and the pinned bar under the chat header, in a cloud
 * chat and in a secret chat. Alice pins a message; Bob's open chat shows the bar without a reload. Once
 * the message is far back (many sent after it, the screen reloaded at the newest), a click on the bar
 * re-centres the window on it and highlights it. With two pins the bar counts them and steps from the
 * newest to the older; × unpins, and the bar goes on both sides. A pinned message that self-destructs
 * takes its pin with it on both sides: the bar counts it no more, and no trace of it stays stored.
 */
import type { Page, TestInfo } from '@playwright/test';
import { rpc, rpcPage } from '../support/rpc';
import { removeDir, startServer } from '../support/server';
import { audit } from './axe';
import { expect, messageLog, openChatWith, sendText, signUp, test, type User } from './fixtures';
import { menu, openMenu, row } from './message-helpers';
import { deviceStorageText, secretPair, sendSecret, setTimer } from './secret-helpers';

test.describe.configure({ timeout: 240_000 });
test.use({ viewport: { width: 360, height: 740 } });

const N = 60;
const PINNED = 'The address is 5 Elm Street';
const filler = (i: number) => `filler message ${i}`;

const bar = (page: Page) => page.getByRole('region', { name: 'Pinned messages' });
const barButton = (page: Page) => bar(page).getByRole('button', { name: /Show it in the chat$/ });

async function pin(page: Page, text: string, item: 'Pin' | 'Unpin' = 'Pin') {
  await openMenu(page, text);
  await menu(page).getByRole('menuitem', { name: item, exact: true }).click();
  await expect(menu(page)).toHaveCount(0);
}

/** The chat Alice and Bob have open: where the N later messages go, and the screen Alice opens again. */
type Chat = { kind: 'cloud'; peerId: string; url: string } | { kind: 'secret'; id: string };

/** Writes message `i` into `chat` through `writer`, a page of Alice's worker (the chat screen stays as it is). */
const write = (writer: Page, chat: Chat, i: number) =>
  chat.kind === 'cloud' ? rpc(writer, 'send', { peerId: chat.peerId, text: filler(i) }) : rpc(writer, 'secretSend', { id: chat.id, text: filler(i) });

/** Alice pins PINNED (Bob sees it live); N more are written through her worker, and so on (see the file's comment). */
async function flow(alice: User, bob: User, chat: Chat, relayUrl: string, info: TestInfo) {
  const shots = `pinned-${chat.kind}`;
  await pin(alice.page, PINNED);
  for (const page of [alice.page, bob.page]) {
    await expect(bar(page)).toContainText('Pinned message');
    await expect(bar(page)).toContainText(PINNED);
  }
  // The menu now offers Unpin.
  await openMenu(alice.page, PINNED);
  await expect(menu(alice.page).getByRole('menuitem', { name: 'Unpin', exact: true })).toBeVisible();
  await alice.page.keyboard.press('Escape');

  // Far back: many messages after it, the screen opened again at the newest.
  await alice.page.goto('/settings');
  const writer = await rpcPage(alice.context, relayUrl);
  for (let i = 1; i <= N; i++) await write(writer, chat, i);
  await writer.close();
  await alice.page.goto(chat.kind === 'cloud' ? chat.url : `/secret/${chat.id}`);
  await expect(messageLog(alice.page).getByText(filler(N), { exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(row(alice.page, PINNED)).toHaveCount(0);
  await expect(bar(alice.page)).toContainText(PINNED);
  // Keyboard: the bar's button takes Enter.
  await barButton(alice.page).focus();
  await alice.page.keyboard.press('Enter');
  await expect(row(alice.page, PINNED)).toBeInViewport();
  await expect(row(alice.page, PINNED)).toHaveAttribute('data-highlight', '');

  // A second pin (Bob's, of a newer message): both count two, the newest shown first.
  await expect(messageLog(bob.page).getByText(filler(N), { exact: true })).toBeVisible({ timeout: 60_000 });
  await pin(bob.page, filler(N));
  for (const page of [alice.page, bob.page]) {
    await expect(bar(page)).toContainText('Pinned message 2 of 2');
    await expect(bar(page)).toContainText(filler(N));
  }
  for (const [size, name] of [
    [{ width: 360, height: 740 }, 'phone'],
    [{ width: 1280, height: 800 }, 'desktop']
  ] as const) {
    await bob.page.setViewportSize(size);
    await bob.page.screenshot({ path: info.outputPath(`${shots}-${name}.png`) });
  }
  await bob.page.setViewportSize({ width: 360, height: 740 });
  await audit(bob.page, `pinned bar (${shots})`);
  // Clicks step from the newest to the older one, jumping to each.
  await barButton(bob.page).click();
  await expect(row(bob.page, filler(N))).toBeInViewport();
  await expect(bar(bob.page)).toContainText('Pinned message 1 of 2');
  await expect(bar(bob.page)).toContainText(PINNED);
  await barButton(bob.page).click();
  await expect(row(bob.page, PINNED)).toBeInViewport();
  await expect(row(bob.page, PINNED)).toHaveAttribute('data-highlight', '');
  await expect(bar(bob.page)).toContainText('Pinned message 2 of 2');

  // × unpins the one shown (the newest), then the last: the bar goes on both sides.
  await bar(bob.page).getByRole('button', { name: 'Unpin this message' }).click();
  await expect(bar(alice.page)).not.toContainText('of 2');
  await expect(bar(alice.page)).toContainText(PINNED);
  await bar(alice.page).getByRole('button', { name: 'Unpin this message' }).click();
  await expect(bar(alice.page)).toHaveCount(0);
  await expect(bar(bob.page)).toHaveCount(0);
  // Gone after a reload too.
  await bob.page.reload();
  await expect(messageLog(bob.page).getByText(filler(N), { exact: true })).toBeVisible();
  await expect(bar(bob.page)).toHaveCount(0);
}

test('pinned messages in a cloud chat: shared live, far jump, several, unpinned on both sides', async ({ browser }, info) => {
  // Its own relay: the history is sent faster than the default send rate allows.
  const relay = await startServer({ SEND_RATE_BURST: '1000', SEND_RATE_PER_SEC: '1000' });
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  try {
    const bobId = ((await (await bob.context.request.get('/api/me')).json()) as { user: { id: string } }).user.id;
    await openChatWith(alice.page, bob.username);
    await sendText(alice.page, PINNED);
    await expect(row(alice.page, PINNED).locator('[data-ticks]')).not.toHaveAttribute('data-ticks', 'pending');
    await openChatWith(bob.page, alice.username);
    await expect(row(bob.page, PINNED)).toBeVisible();
    await flow(alice, bob, { kind: 'cloud', peerId: bobId, url: alice.page.url() }, relay.url, info);
  } finally {
    await alice.context.close();
    await bob.context.close();
    await relay.stop();
    removeDir(relay.dataDir);
  }
});

test('pinned messages in a secret chat: shared live, far jump, several, unpinned on both sides', async ({ browser, relay }, info) => {
  const { alice, bob, chatId } = await secretPair(browser, relay);
  try {
    await sendSecret(alice.page, PINNED);
    await expect(row(bob.page, PINNED)).toBeVisible({ timeout: 30_000 });
    await expect(row(alice.page, PINNED)).toBeVisible();
    await flow(alice, bob, { kind: 'secret', id: chatId }, relay.url, info);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('a pinned message that self-destructs takes its pin with it on both sides, leaving no trace', async ({ browser, relay }) => {
  const BURNS = 'burns in five seconds';
  const { alice, bob, chatId } = await secretPair(browser, relay);
  try {
    await sendSecret(alice.page, PINNED);
    await expect(row(bob.page, PINNED)).toBeVisible({ timeout: 30_000 });
    await pin(alice.page, PINNED);
    await expect(bar(bob.page)).toContainText(PINNED);
    await setTimer(alice.page, '5 seconds');
    await expect(bob.page.getByText('Alice set the self-destruct timer to 5 seconds')).toBeVisible();
    // Bob is elsewhere while the timed message comes and is pinned: its timer starts when he opens the chat.
    await bob.page.goto('/');
    await sendSecret(alice.page, BURNS);
    await expect(row(alice.page, BURNS).locator('[data-ticks]')).not.toHaveAttribute('data-ticks', 'pending');
    const id = await row(alice.page, BURNS).getAttribute('data-message-id');
    expect(id).toBeTruthy();
    await pin(alice.page, BURNS);
    await expect(bar(alice.page)).toContainText('Pinned message 2 of 2');

    await bob.page.goto(`/secret/${chatId}`);
    await expect(row(bob.page, BURNS)).toBeVisible({ timeout: 30_000 });
    await expect(bar(bob.page)).toContainText('Pinned message 2 of 2');
    // It burns on both sides: each bar counts the pin that is left, and shows it.
    for (const page of [bob.page, alice.page]) {
      await expect(row(page, BURNS)).toHaveCount(0, { timeout: 20_000 });
      await expect(bar(page)).not.toContainText('of 2');
      await expect(bar(page)).toContainText(PINNED);
    }
    // No trace of it stays on either device, not even its id in the chat's pins (it stayed there before).
    for (const page of [alice.page, bob.page]) expect(await deviceStorageText(page)).not.toContain(id!);
    // The last pin unpinned: the bar goes on both sides.
    await bar(bob.page).getByRole('button', { name: 'Unpin this message' }).click();
    await expect(bar(alice.page)).toHaveCount(0);
    await expect(bar(bob.page)).toHaveCount(0);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
