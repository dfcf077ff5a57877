/**
 * Takes the README's screenshots: starts the built server on a scratch DATA_DIR, plays a short
 * conversation between users and captures each main screen on a phone (360×740; the newest
 * screens 390×800) and a desktop (1280×800). Run after `npm run build`:
 * `npx tsx scripts/screenshots.ts` (SCHEME=dark for dark).
 * Waits only on what the screen shows (a fixed pause only to let an animation settle before a shot).
 */
import { chromium, type Page } from 'playwright';
import { mkdirSync } from 'node:fs';
import { CHROMIUM_ARGS, chromiumPath } from '../tests/support/chromium';
import { removeDir, startServer } from '../tests/support/server';

const OUT = 'docs/screenshots';
mkdirSync(OUT, { recursive: true });
const server = await startServer();
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
const scheme = (process.env.SCHEME as 'light' | 'dark') ?? 'light';
const suffix = scheme === 'dark' ? '-dark' : '';

async function device(width: number, height: number) {
  const ctx = await browser.newContext({ baseURL: server.url, viewport: { width, height }, colorScheme: scheme });
  const p = await ctx.newPage();
  return p;
}

async function signUp(page: Page, username: string, name: string) {
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel(/Display name/).fill(name);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Chats' }).first().waitFor();
}

async function send(page: Page, text: string) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForTimeout(150);
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${OUT}/${name}${suffix}.png` });

const alice = await device(360, 740);
await alice.goto('/signup');
// The form, not the app's "Opening Cinder…" before it.
await alice.getByLabel('Username').waitFor();
await shot(alice, 'signup-mobile');
await signUp(alice, 'alice', 'Alice Liddell');
const bob = await device(1280, 800);
await signUp(bob, 'bob', 'Bob Builder');
const carol = await device(360, 740);
await signUp(carol, 'carol', 'Carol Danvers');

// A cloud chat.
await alice.goto('/u/bob');
await alice.getByRole('link', { name: 'Send message' }).click();
await send(alice, 'Hi Bob! Are we still on for the climbing gym tonight?');
await bob.locator('[data-chat="alice"]').first().click();
await send(bob, 'Yes! 7pm works. Bring the chalk 🧗');
await send(alice, 'Deal. See you there.');
await carol.goto('/u/alice');
await carol.getByRole('link', { name: 'Send message' }).click();
await send(carol, 'Did you see the new release notes?');
// Alice pins Bob's answer (the message menu): the pinned bar shows under the header.
const messageMenu = async (page: Page, text: string) => {
  const row = page.getByRole('list', { name: 'Messages' }).locator('li', { hasText: text });
  await row.hover();
  await row.getByRole('button', { name: 'Message actions' }).click();
};
await messageMenu(alice, 'Bring the chalk');
await alice.getByRole('menuitem', { name: 'Pin', exact: true }).click();
await alice.getByRole('region', { name: 'Pinned messages' }).waitFor();
await alice.waitForTimeout(400);
await shot(alice, 'chat-mobile');
// "Forward…" lists her cloud chats (never a secret one).
await messageMenu(alice, 'Bring the chalk');
await alice.getByRole('menuitem', { name: 'Forward…' }).click();
await alice.getByRole('dialog', { name: 'Forward to…' }).getByText('Carol Danvers').waitFor();
await shot(alice, 'forward-mobile');
await alice.keyboard.press('Escape');

// A secret chat with a timer.
await alice.goto('/u/bob');
await alice.getByRole('button', { name: 'More actions' }).click();
await shot(alice, 'profile-mobile');
await alice.getByRole('menuitem', { name: 'Start Secret Chat' }).click();
await alice.getByText('joined your secret chat.').waitFor();
const secretUrl = alice.url();
await alice.getByRole('button', { name: /Self-destruct timer/ }).click();
await alice.getByRole('radiogroup', { name: 'Self-destruct timer' }).waitFor();
await shot(alice, 'timer-mobile');
await alice.getByRole('radio', { name: '1 minute', exact: true }).click();
await send(alice, 'The door code is 4-8-1-5. This burns in a minute.');
await bob.goto(new URL(secretUrl).pathname);
await bob
  .getByRole('list', { name: 'Messages' })
  .getByText('This burns in a minute')
  .waitFor()
  .catch(async (e) => {
    await bob.screenshot({ path: '/tmp/bobfail.png' });
    await alice.screenshot({ path: '/tmp/alicefail.png' });
    throw e;
  });
await send(bob, 'Got it 👍');
// Bob reacts to the code (the menu's quick reactions); Alice's screen shows the chip.
const code = bob.getByRole('list', { name: 'Messages' }).locator('li', { hasText: 'This burns in a minute' });
await code.hover();
await code.getByRole('button', { name: 'Message actions' }).click();
await bob.getByRole('menuitemradio', { name: 'React 🙏' }).click();
await alice.getByRole('button', { name: '🙏 by Bob Builder' }).waitFor();
await alice.waitForTimeout(1200);
await shot(alice, 'secret-mobile');
await bob.waitForTimeout(300);
await shot(bob, 'secret-desktop');
await alice.goto(new URL(secretUrl).pathname + '/key');
await alice.getByLabel('Key in hexadecimal').waitFor();
await shot(alice, 'key-mobile');
await bob.goto('/');
await bob.locator('[data-chat="alice"]').first().click();
await bob.waitForTimeout(300);
await shot(bob, 'chat-desktop');

// A second secret chat with Bob: the list and the header tell them apart (key emoji, start time).
await alice.goto('/u/bob');
await alice.getByRole('button', { name: 'More actions' }).click();
await alice.getByRole('menuitem', { name: 'Start Secret Chat' }).click();
await alice.getByText('joined your secret chat.').waitFor();
await send(alice, 'A second one, for the trip plans ✈️');

// A secret chat Carol's device refuses (its request arrives broken): the chat says so, with a way out.
await carol.context().route(/\/api\/envelopes\?/, async (route) => {
  const res = await route.fetch();
  const body = (await res.json()) as { envelopes: { body: string; requestId: string | null }[] };
  for (const e of body.envelopes) {
    if (!e.requestId) continue;
    const bytes = Buffer.from(e.body, 'base64url');
    bytes[bytes.length - 1] ^= 1;
    e.body = bytes.toString('base64url');
  }
  await route.fulfill({ response: res, json: body });
});
await alice.goto('/u/carol');
await alice.getByRole('button', { name: 'More actions' }).click();
await alice.getByRole('menuitem', { name: 'Start Secret Chat' }).click();
await carol.goto('/');
await alice.locator('[data-secret-failed]').waitFor();
await shot(alice, 'secret-failed-mobile');

await alice.goto('/');
await alice.locator('[data-chat="carol"]').waitFor();
await alice.locator('[data-secret-tag]').nth(1).waitFor();
// Carol's chat pinned on top; Bob's cloud chat muted (its unread count grey, left out of the totals).
for (const [name, items] of [
  ['Options for Carol Danvers', ['Pin']],
  ['Options for Bob Builder', ['Mute…', 'Mute until I turn it back on']]
] as const) {
  // The row's "…" shows on hover; from the keyboard it opens the same menu.
  await alice.getByRole('button', { name, exact: true }).focus();
  await alice.keyboard.press('Enter');
  for (const item of items) await alice.getByRole('menuitem', { name: item, exact: true }).click();
  await alice.getByRole('menu', { name: 'Chat options' }).waitFor({ state: 'hidden' });
  // As a person would: the next menu once the list has taken the change.
  await alice.locator('[data-chat="carol"]').first().getByLabel('Pinned').waitFor();
}
await shot(alice, 'chats-mobile');
await alice.goto('/settings');
await alice
  .getByRole('list', { name: 'Devices' })
  .getByRole('button', { name: /^Rename / })
  .click();
await alice.getByLabel('Device name').fill('Alice’s phone');
await alice.getByLabel('Device name').press('Enter');
await alice.getByText('Renamed to').waitFor();
await shot(alice, 'settings-mobile');

// Desktop, no chat open: the list beside an empty pane.
await bob.goto('/');
await bob.locator('[data-no-chat-open]').waitFor();
await bob.locator('[data-secret-tag]').nth(1).waitFor();
await shot(bob, 'chats-desktop');

// The newest screens, on a 390×800 phone (Alice) and the desktop (Bob).
await alice.setViewportSize({ width: 390, height: 800 });
const both = async (name: string, settle = 300) => {
  // The pointer off the content: no row or bubble in its hover state.
  for (const page of [alice, bob]) await page.mouse.move(0, 799);
  await alice.waitForTimeout(settle);
  await shot(alice, `${name}-mobile`);
  await shot(bob, `${name}-desktop`);
};
const openChat = async (page: Page, username: string) => {
  await page.goto(`/u/${username}`);
  await page.getByRole('link', { name: 'Send message' }).click();
  await page.getByLabel('Message', { exact: true }).waitFor();
};
const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });

// Formatting: each kind, two spoilers (one revealed), a code block with a line longer than the bubble.
await openChat(bob, 'alice');
for (const text of [
  '**Bold**, _italic_, ~~strike~~ and `inline code`',
  'The door key is ||under the mat||',
  'And the alarm code: ||4-8-1-5||',
  '```\nconst route = await fetch(`/api/gyms?city=${encodeURIComponent(city)}&open=now&sort=distance`);\n```'
])
  await send(bob, text);
await openChat(alice, 'bob');
await messages(alice).getByText('inline code').waitFor();
await messages(alice).locator('code.block').waitFor();
for (const page of [alice, bob]) await messages(page).locator('li', { hasText: 'The door key is' }).getByRole('button', { name: 'Spoiler, hidden: show it' }).click();
await both('formatting');

// Saved Messages: opened from the chat list's header, with a note.
for (const page of [alice, bob]) {
  await page.goto('/');
  await page.getByRole('link', { name: 'Saved Messages', exact: true }).click();
  await page.getByLabel('Message', { exact: true }).waitFor();
}
await send(alice, 'Buy **oat milk** and new chalk');
await send(bob, 'Gym locker: _47_');
await messages(alice).getByText('oat milk').waitFor();
await both('saved');

// Archive: Alice archives Carol's chat, Bob his second secret chat (a right click on the row).
await alice.goto('/');
await alice.locator('a[data-chat="carol"]').click({ button: 'right' });
await alice.getByRole('menuitem', { name: 'Archive', exact: true }).click();
await bob.goto('/');
await bob.locator('[data-secret-tag]').nth(1).click({ button: 'right' });
await bob.getByRole('menuitem', { name: 'Archive', exact: true }).click();
for (const page of [alice, bob]) await page.getByRole('button', { name: 'Archived chats', exact: true }).waitFor();
await both('chats-archive');
for (const page of [alice, bob]) {
  await page.getByRole('button', { name: 'Archived chats', exact: true }).click();
  await page.getByRole('heading', { name: 'Archived chats' }).waitFor();
}
await both('archived');

// Block: both block Carol from her profile; her chat shows the blocked bar, Settings lists her.
for (const page of [alice, bob]) {
  await page.goto('/u/carol');
  await page.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: 'Block user' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Block user' }).click();
  await page.getByRole('link', { name: 'Send message' }).click();
  await page.getByRole('region', { name: 'Blocked user', exact: true }).waitFor();
}
await both('blocked');
for (const page of [alice, bob]) {
  await page.goto('/settings');
  const card = page.getByRole('region', { name: 'Blocked users' });
  await card.getByRole('link', { name: 'Carol Danvers' }).waitFor();
  await card.scrollIntoViewIfNeeded();
}
await both('settings-blocked');

await browser.close();
await server.stop();
removeDir(server.dataDir);
console.log(`screenshots written to ${OUT}/`);
