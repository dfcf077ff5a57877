/**
 * Formatting written as markers (src/lib/api/rich-text.ts): the peer's bubble shows bold, italic,
 * strike, code and a code block as elements, a spoiler hidden until clicked (or activated by the
 * keyboard, per message), and the chat list shows the text without its markers. A secret chat and a
 * cloud chat; the composer's Ctrl+B wraps the selection.
 */
import type { Locator, Page, TestInfo } from '@playwright/test';
import { audit } from './axe';
import { expect, messageLog, openChatWith, signUp, test } from './fixtures';
import { row } from './message-helpers';
import { secretPair } from './secret-helpers';

const field = (page: Page) => page.getByLabel('Message', { exact: true });
const back = (page: Page) => page.getByRole('link', { name: /^Back to chats/ }).click();
const spoilers = (bubble: Locator) => bubble.getByRole('button', { name: 'Spoiler, hidden: show it' });
const MASK = '▒▒▒▒▒';

const DOOR = '**Door** code `4521`, ~~front~~ _back_ gate, key ||under the mat||\n```\nleft,  then  right\n```';

/** The bubble of `text` (its shown words) shows each marker as its element, the spoiler hidden. */
async function seesFormatted(page: Page, bubble: Locator, info: TestInfo, shot: string) {
  const text = bubble.locator('p.text');
  await expect(text.locator('strong')).toHaveText('Door');
  await expect(text.locator('em')).toHaveText('back');
  await expect(text.locator('s')).toHaveText('front');
  await expect(text.locator('code:not(.block)')).toHaveText('4521');
  // The block keeps its white space, and no marker is left anywhere.
  await expect(text.locator('code.block')).toHaveJSProperty('textContent', 'left,  then  right');
  await expect(text).not.toContainText('**');
  await expect(text).not.toContainText('`');
  await expect(text).not.toContainText('||');
  // The spoiler: a button whose words are not shown until it is clicked.
  await expect(spoilers(bubble)).toHaveCount(1);
  await expect(bubble.getByText('under the mat')).toBeHidden();
  await page.screenshot({ path: info.outputPath(`${shot}-hidden.png`) });
  await spoilers(bubble).click();
  await expect(bubble.getByText('under the mat')).toBeVisible();
  await expect(spoilers(bubble)).toHaveCount(0);
  await expect(text).toHaveText('Door code 4521, front back gate, key under the mat\nleft, then right', { useInnerText: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await audit(page, `formatted bubble (${scheme})`);
    await page.screenshot({ path: info.outputPath(`${shot}-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('formatted messages in a secret chat and a cloud chat: elements for the peer, spoilers hidden until clicked, no markers in the chat list', async ({
  browser,
  relay
}, info) => {
  test.setTimeout(150_000);
  const { alice, bob } = await secretPair(browser, relay);

  // Secret chat: Alice writes, Bob reads.
  await field(alice.page).fill(DOOR);
  await alice.page.getByRole('button', { name: 'Send' }).click();
  const secretBubble = row(bob.page, 'Door code');
  await expect(secretBubble).toHaveCount(1, { timeout: 30_000 });
  await seesFormatted(bob.page, secretBubble, info, 'secret');
  // Alice's own bubble hides her spoiler too, until she clicks it.
  await expect(spoilers(row(alice.page, 'Door code'))).toHaveCount(1);

  await back(bob.page);
  const secretPreview = bob.page.locator(`a[data-secret-chat="${alice.username}"] .preview`);
  await expect(secretPreview).toHaveText(`Door code 4521, front back gate, key ${MASK} left, then right`);

  // Cloud chat: Bob writes two messages with spoilers, Alice reads.
  await openChatWith(bob.page, alice.username);
  for (const text of [DOOR, 'and the alarm is ||1234||, bring __snake_case_name__ docs']) {
    await field(bob.page).fill(text);
    await bob.page.getByRole('button', { name: 'Send' }).click();
    await expect(messageLog(bob.page).locator('p.text').last()).toContainText(text.slice(0, 8).replace(/\*/g, ''));
  }
  await openChatWith(alice.page, bob.username);
  const alarm = row(alice.page, 'and the alarm is');
  await expect(alarm).toHaveCount(1, { timeout: 30_000 });
  // snake_case inside italics stays whole.
  await expect(alarm.locator('em')).toHaveText('snake_case_name');
  // The keyboard reveals a spoiler too, and only its own message's: the other one stays hidden.
  await spoilers(alarm).focus();
  await alice.page.keyboard.press('Enter');
  await expect(alarm.getByText('1234')).toBeVisible();
  await expect(alarm.locator('.spoiler')).toBeFocused();
  const cloudBubble = row(alice.page, 'Door code');
  await expect(spoilers(cloudBubble)).toHaveCount(1);
  await seesFormatted(alice.page, cloudBubble, info, 'cloud');

  await back(alice.page);
  const cloudPreview = alice.page.locator(`a[data-chat="${bob.username}"] .preview`);
  await expect(cloudPreview).toHaveText(`and the alarm is ${MASK}, bring snake_case_name docs`);

  await alice.context.close();
  await bob.context.close();
});

test('Ctrl+B and Ctrl+I in the composer wrap the selection in markers, again to unwrap, and undo takes it back', async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  const f = field(alice.page);
  await f.fill('see you soon');
  await f.press('End');
  // "you" selected: the caret before " soon", then three characters back.
  for (let i = 0; i < 5; i++) await f.press('ArrowLeft');
  for (let i = 0; i < 3; i++) await f.press('Shift+ArrowLeft');
  await f.press('ControlOrMeta+b');
  await expect(f).toHaveValue('see **you** soon');
  await f.press('ControlOrMeta+i');
  await expect(f).toHaveValue('see **__you__** soon');
  await f.press('ControlOrMeta+i');
  await expect(f).toHaveValue('see **you** soon');
  await f.press('ControlOrMeta+z');
  await expect(f).toHaveValue('see **__you__** soon');
  await alice.page.getByRole('button', { name: 'Send' }).click();
  await expect(row(bob.page, 'see you soon').locator('strong > em')).toHaveText('you', { timeout: 30_000 });
  await alice.context.close();
  await bob.context.close();
});

test('a code block keeps its lines and scrolls sideways inside its bubble (by keyboard too), the bubble within the chat at 390 px', async ({ browser, relay }, info) => {
  const alice = await signUp(browser, relay, 'alice');
  await alice.page.setViewportSize({ width: 390, height: 800 });
  await alice.page.getByRole('link', { name: 'Saved Messages', exact: true }).click();
  const line = `const route = ${'"/api/cloud/chats/:peerId/messages", '.repeat(6)}null;`;
  for (const text of [`the long one\n\`\`\`\n${line}\nshort\n\`\`\``, 'the short one\n```\nok\n```']) {
    await field(alice.page).fill(text);
    await alice.page.getByRole('button', { name: 'Send' }).click();
  }
  const long = row(alice.page, 'the long one');
  const block = long.locator('code.block');
  await expect(block).toHaveJSProperty('textContent', `${line}\nshort`);
  // Its lines kept (no wrap): wider than it shows, so it scrolls, and the bubble stays within the viewport.
  await expect.poll(() => block.evaluate((el) => el.scrollWidth > el.clientWidth && getComputedStyle(el).overflowX === 'auto')).toBe(true);
  const box = (await long.locator('.bubble').boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  // Reachable by keyboard while it overflows: a region named "Code" in the tab order; the arrows scroll it.
  const region = long.getByRole('region', { name: 'Code' });
  await expect(region).toHaveAttribute('tabindex', '0');
  await region.focus();
  await alice.page.keyboard.press('ArrowRight');
  await expect.poll(() => block.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
  // One that fits is no tab stop.
  const short = row(alice.page, 'the short one').locator('code.block');
  await expect(short).toHaveText('ok');
  await expect(short).not.toHaveAttribute('tabindex', /.*/);
  await expect(row(alice.page, 'the short one').getByRole('region')).toHaveCount(0);
  for (const scheme of ['light', 'dark'] as const) {
    await alice.page.emulateMedia({ colorScheme: scheme });
    await audit(alice.page, `code block (${scheme})`);
    await alice.page.screenshot({ path: info.outputPath(`code-block-${scheme}.png`) });
  }
  await alice.context.close();
});
