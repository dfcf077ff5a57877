/**
 * Issue #16 §5 and §8 across engines (Firefox and WebKit, each with two Chromium peers):
 *
 * - forms speak human: sign-up checks its fields before sending, in words, tied to the field
 *   (aria-invalid and aria-describedby), and nothing is sent;
 * - other chats are never silent: inside a cloud chat, another chat's messages count on the back
 *   control and in the title; a secret chat started with you shows a notice that names the person
 *   only (no secret text in the notice or the title); opening it from the notice reads it.
 *
 * Not here: going offline (no network emulation in every engine's driver; tests/e2e/presence.spec.ts
 * covers it in Chromium) and a server that can't be reached (the relay is shared by the run).
 */
import { test } from './fixtures';
import { messages, openChatWith, send, signUp, startSecretChat } from './flows';
import type { Device, Engine, Target } from './driver';

/** The text of the elements an input's aria-describedby names, and its aria-invalid. */
function described(device: Device, label: string) {
  return device.eval((l: string) => {
    const field = [...document.querySelectorAll('label')].find((x) => x.textContent?.trim() === l);
    const input = field ? document.getElementById(field.htmlFor) : null;
    if (!input) return null;
    const ids = (input.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
    return { description: ids.map((id) => document.getElementById(id)?.textContent?.trim() ?? '').join(' '), invalid: input.getAttribute('aria-invalid') };
  }, label);
}

async function titleIs(device: Device, want: string | RegExp) {
  await device.until(`the title ${want} on ${device.engine}`, async () => {
    const title = await device.eval(() => document.title);
    return typeof want === 'string' ? title === want : want.test(title);
  });
}

for (const engine of ['firefox', 'webkit'] satisfies Engine[]) {
  test(`presence on ${engine}: forms check before sending; other chats count on the back control and in the title; a new secret chat shows a notice without its content`, async ({
    open
  }) => {
    test.setTimeout(420_000);
    const device = await open(engine);

    // §8: the sign-up form's checks, in words, tied to their fields; nothing goes to the server.
    await device.goto('/signup');
    await device.fill({ label: 'Username', exact: true }, 'no spaces!');
    await device.click({ label: 'Password', exact: true }); // leaving the field shows its check
    await device.until(`the username's check on ${engine}`, async () => {
      const d = await described(device, 'Username');
      return d?.invalid === 'true' && /a-z, 0-9 and _/.test(d.description);
    });
    await device.fill({ label: 'Password', exact: true }, 'short');
    await device.click({ role: 'button', name: 'Sign up', exact: true });
    await device.until(`the password's check on ${engine}`, async () => {
      const d = await described(device, 'Password');
      return d?.invalid === 'true' && d.description === 'At least 8 characters';
    });
    if (!(await device.url()).endsWith('/signup')) throw new Error(`${engine}: the form was sent`);
    await device.gone({ text: /password: |username: / });

    // §5: inside Alice's chat with Bob, Carol's messages count; Bob's own (in the open chat) do not.
    // A fresh profile signs up: the form above stays as it was left (Firefox restores typed fields on reload).
    const alice = await signUp(await open(engine), 'alice', 'Alice');
    const bob = await signUp(await open('chromium'), 'bob', 'Bob');
    const carol = await signUp(await open('chromium'), 'carol', 'Carol');
    await openChatWith(alice.device, bob.username);
    await alice.device.see({ role: 'link', name: 'Back to chats', exact: true });
    await titleIs(alice.device, 'Bob · Cinder');
    await openChatWith(carol.device, alice.username);
    await send(carol.device, 'are you there?');
    await send(carol.device, 'hello?');
    await alice.device.see({ role: 'link', name: 'Back to chats, 2 unread', exact: true });
    await titleIs(alice.device, '(2) Bob · Cinder');
    await openChatWith(bob.device, alice.username);
    await send(bob.device, 'in the open chat');
    await alice.device.see({ text: 'in the open chat', within: messages });
    await alice.device.see({ role: 'link', name: 'Back to chats, 2 unread', exact: true });

    // Bob starts a secret chat: Alice is told his name, never its text.
    const chatId = await startSecretChat(bob.device, alice.username);
    const notice: Target = { css: '[data-secret-notice]' };
    await alice.device.see({ ...notice, hasText: 'Bob started a secret chat with you.' });
    await bob.device.seeText('Alice joined your secret chat.');
    await send(bob.device, 'secret words');
    await titleIs(alice.device, '(3) Bob · Cinder');
    if ((await alice.device.text(notice)).includes('secret words')) throw new Error(`${engine}: the notice shows the secret text`);
    await alice.device.click({ role: 'button', name: 'Open', exact: true, within: notice });
    await alice.device.waitForURL(new RegExp(`/secret/${chatId}$`));
    await alice.device.see({ text: 'secret words', within: messages });
    await alice.device.gone(notice);
    // The secret message is read now; Carol's two still count, on the list's own title too.
    await titleIs(alice.device, /^\(2\) /);
    await alice.device.click({ role: 'link', name: 'Back to chats, 2 unread', exact: true });
    await titleIs(alice.device, '(2) Chats · Cinder');

    const errors = await alice.device.errors();
    if (errors.length) throw new Error(`${engine} page errors: ${errors.join('\n')}`);
  });
}
