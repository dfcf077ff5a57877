/**
 * Voice messages (issue #16 item 2), recorded from a fake microphone (an oscillator stream,
 * tests/support/fake-mic.ts): in a secret chat with a timer, whose countdown starts only when the
 * recipient first plays it and which then disappears on both sides; in a cloud chat; cancelled
 * (nothing sent); refused microphone access. axe over the recorder and the bubble in both themes.
 */
import type { Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { expect, messageLog, openChatWith, sendText, signUp, test, type User } from './fixtures';
import { startSecretChat } from './secret-helpers';
import { installFakeMicrophone } from '../support/fake-mic';

async function withMic(user: User, mode: 'ok' | 'refused' = 'ok') {
  await user.context.addInitScript(installFakeMicrophone, mode);
  await user.page.evaluate(installFakeMicrophone, mode);
}

/** Taps the microphone and records until at least `seconds` have passed on the recorder's clock. */
async function record(page: Page, seconds: number) {
  await page.getByRole('button', { name: 'Record a voice message' }).click();
  const panel = page.getByRole('group', { name: 'Recording a voice message' });
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Send voice message' })).toBeFocused();
  await expect
    .poll(async () => {
      const [m, s] = ((await panel.locator('[data-voice-elapsed]').textContent()) ?? '0:00').split(':').map(Number);
      return m * 60 + s;
    })
    .toBeGreaterThanOrEqual(seconds);
  // The live waveform moves: some bar is taller than silence.
  await expect
    .poll(() => panel.locator('[data-voice-live] rect').evaluateAll((rs) => Math.max(...rs.map((r) => Number(r.getAttribute('height'))))), { timeout: 30_000 })
    .toBeGreaterThan(2);
  return panel;
}

/** axe over one part of the page (`within`), in light and dark: no serious or critical WCAG 2.1 A/AA violation. */
async function auditBothThemes(page: Page, within: string, screen: string) {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const { violations } = await new AxeBuilder({ page }).include(within).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${screen} (${scheme}): ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: null });
}

/** What the bubble shows for a duration (ms): m:ss. */
const clock = (ms: number) => `${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;

/** Plays the bubble's clip and waits until its audio really advanced. */
async function play(page: Page, bubble: ReturnType<Page['locator']>) {
  await bubble.getByRole('button', { name: /^Play/ }).click();
  await expect.poll(() => bubble.locator('[data-voice-audio]').evaluate((a: HTMLAudioElement) => a.currentTime > 0 || a.ended)).toBe(true);
}

test('a voice message in a secret chat with a 5 s timer: its countdown starts only when Bob plays it, then it disappears on both sides', async ({ browser, relay }) => {
  // Two users, a recording and four axe runs: generous on a loaded machine.
  test.setTimeout(240_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await bob.page.goto(`/secret/${chatId}`);
  await alice.page.getByRole('button', { name: /Self-destruct timer/ }).click();
  await alice.page.getByRole('radio', { name: '5 seconds', exact: true }).click();
  await expect(bob.page.getByText('Alice set the self-destruct timer to 5 seconds')).toBeVisible();
  await withMic(alice);

  // The recorder passes axe (then is cancelled: the audits take long on a busy machine, the clip sent stays short).
  const first = await record(alice.page, 1);
  await auditBothThemes(alice.page, 'form.composer', 'voice recorder (secret)');
  await first.getByRole('button', { name: 'Cancel recording' }).click();
  const panel = await record(alice.page, 2);
  await panel.getByRole('button', { name: 'Send voice message' }).click();
  await expect(panel).toHaveCount(0);
  await expect(alice.page.getByRole('button', { name: 'Record a voice message' })).toBeFocused();

  const aliceVoice = messageLog(alice.page).locator('[data-voice]');
  await expect(aliceVoice).toHaveCount(1);
  const bobVoice = messageLog(bob.page).locator('[data-voice]');
  await expect(bobVoice).toHaveCount(1);
  const duration = Number(await bobVoice.getAttribute('data-voice-duration'));
  expect(duration).toBeGreaterThanOrEqual(1500);
  await expect(bobVoice.locator('[data-voice-time]')).toHaveText(clock(duration));
  await expect(bobVoice.getByRole('button', { name: /timer starts when you play it/ })).toBeVisible();
  await expect(bobVoice.getByRole('slider', { name: 'Voice message position' })).toBeVisible();
  // Delivered and on Bob's screen, not played: no timer runs on either side.
  await expect(messageLog(alice.page).locator('[data-ticks="sent"]')).toHaveCount(1);
  await bob.page.waitForTimeout(1500);
  await expect(messageLog(bob.page).locator('[data-countdown]')).toHaveCount(0);
  await expect(messageLog(alice.page).locator('[data-countdown]')).toHaveCount(0);
  await auditBothThemes(bob.page, '[data-message-id]:has([data-voice])', 'voice message bubble (secret)');

  await play(bob.page, bobVoice);
  await expect(messageLog(bob.page).locator('[data-countdown]')).toHaveCount(1);
  await expect(messageLog(alice.page).locator('[data-countdown]')).toHaveCount(1);
  await expect(bobVoice).toHaveCount(0, { timeout: 10_000 });
  await expect(aliceVoice).toHaveCount(0, { timeout: 10_000 });
  await alice.context.close();
  await bob.context.close();
});

test('a voice message in a cloud chat: Bob sees its duration, plays it to the end and can scrub it with the keyboard', async ({ browser, relay }) => {
  test.setTimeout(240_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'listen to this');
  await openChatWith(bob.page, alice.username);
  await expect(messageLog(bob.page).getByText('listen to this')).toBeVisible();
  await withMic(alice);

  // Typing hides the microphone (Send takes its place); an empty field shows it again.
  await alice.page.getByLabel('Message', { exact: true }).fill('x');
  await expect(alice.page.getByRole('button', { name: 'Record a voice message' })).toHaveCount(0);
  await alice.page.getByLabel('Message', { exact: true }).fill('');

  const panel = await record(alice.page, 2);
  await panel.getByRole('button', { name: 'Send voice message' }).click();
  await expect(messageLog(alice.page).locator('[data-voice]')).toHaveCount(1);

  const bubble = messageLog(bob.page).locator('[data-voice]');
  await expect(bubble).toHaveCount(1);
  const duration = Number(await bubble.getAttribute('data-voice-duration'));
  expect(duration).toBeGreaterThanOrEqual(1500);
  await auditBothThemes(bob.page, '[data-message-id]:has([data-voice])', 'voice message bubble (cloud)');

  await play(bob.page, bubble);
  await expect(bubble.getByRole('button', { name: 'Pause voice message' })).toBeVisible();
  // Played to the end: the audio ended and the button offers play again.
  await expect.poll(() => bubble.locator('[data-voice-audio]').evaluate((a: HTMLAudioElement) => a.ended), { timeout: 20_000 }).toBe(true);
  await expect(bubble.getByRole('button', { name: 'Play voice message' })).toBeVisible();

  // The scrubber is a keyboard slider.
  const slider = bubble.getByRole('slider', { name: 'Voice message position' });
  await slider.focus();
  await bob.page.keyboard.press('End');
  await expect(slider).toHaveAttribute('aria-valuetext', /^(\d:\d\d) of \1$/);
  await bob.page.keyboard.press('Home');
  await expect(slider).toHaveAttribute('aria-valuetext', /^0:00 of /);

  // The chat list names it.
  await bob.page.goto('/');
  await expect(bob.page.getByText('🎤 Voice message')).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});

test('a cancelled recording sends nothing; a refused microphone says so', async ({ browser, relay }) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  await openChatWith(bob.page, alice.username);
  await withMic(alice);

  const panel = await record(alice.page, 1);
  await auditBothThemes(alice.page, 'form.composer', 'voice recorder (cloud)');
  await panel.getByRole('button', { name: 'Cancel recording' }).click();
  await expect(panel).toHaveCount(0);
  const again = await record(alice.page, 1);
  await alice.page.keyboard.press('Escape');
  await expect(again).toHaveCount(0);
  // Something sent after the cancels arrives alone: nothing was sent before it.
  await sendText(alice.page, 'after cancelling');
  await expect(messageLog(bob.page).getByText('after cancelling')).toBeVisible();
  await expect(messageLog(bob.page).locator('li.msg')).toHaveCount(1);
  await expect(messageLog(alice.page).locator('[data-voice]')).toHaveCount(0);

  await alice.page.evaluate(() => ((window as unknown as { __fakeMic: string }).__fakeMic = 'refused'));
  await alice.page.getByRole('button', { name: 'Record a voice message' }).click();
  await expect(alice.page.getByRole('alert')).toContainText('Microphone access was refused');
  await expect(alice.page.getByRole('group', { name: 'Recording a voice message' })).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});
