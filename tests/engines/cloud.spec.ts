/** Cloud chats across engines: sign-up, login, real-time both ways, photos and files, history after reload. */
import { readFileSync } from 'node:fs';
import { test } from './fixtures';
import { inMessages, logIn, messages, openChatWith, send, signUp, type User } from './flows';
import type { Engine, Target } from './driver';

const PHOTO = new Uint8Array(readFileSync('static/icons/icon-512.png'));

/** Picks a photo, sees the preview, sends it; the peer's screen decodes it at full size. */
async function sendPhoto(from: User, to: User, name: string) {
  await from.device.setFiles({ css: 'input[type=file]' }, [{ name, mime: 'image/png', bytes: PHOTO }]);
  await from.device.click({ role: 'button', name: 'Send photo', exact: true, within: { role: 'region', name: 'Send photo', exact: true } });
  await from.device.see({ css: `img[alt="${name}"]`, within: messages });
  await to.device.see({ css: `img[alt="${name}"]`, within: messages });
  const width = await to.device.until(`${name} decoded`, () =>
    to.device.eval((n: string) => (document.querySelector(`img[alt="${n}"]`) as HTMLImageElement | null)?.naturalWidth ?? 0, name)
  );
  if (width !== 512) throw new Error(`${to.device.engine} decoded ${name} as ${width} px wide`);
}

for (const engine of ['firefox', 'webkit'] satisfies Engine[]) {
  test(`${engine} ↔ chromium: cloud chat both ways in real time, history after reload and on a second device`, async ({ open }) => {
    const alice = await signUp(await open(engine), 'alice', 'Alice');
    const bob = await signUp(await open('chromium'), 'bob', 'Bob');

    await openChatWith(alice.device, bob.username);
    await send(alice.device, `Hello from ${engine}`);
    await bob.device.see({ css: `[data-chat="${alice.username}"]`, hasText: `Hello from ${engine}` });
    await bob.device.click({ css: `[data-chat="${alice.username}"]` });
    await bob.device.see(inMessages(`Hello from ${engine}`));
    // Bob's screen showed it: two ticks on Alice's side.
    await alice.device.see({ css: '[data-ticks="read"]' });

    await send(bob.device, 'Hello back from chromium');
    await alice.device.see(inMessages('Hello back from chromium'));

    // Photos both ways.
    await sendPhoto(alice, bob, `from-${engine}.png`);
    await sendPhoto(bob, alice, 'from-chromium.png');

    // A file from Chromium (through the attach panel) opens in the engine's in-app viewer.
    const words = `cloud words ${Math.random().toString(36).slice(2)}`;
    await bob.device.setFiles({ css: 'input[type=file]' }, [{ name: 'notes.txt', mime: 'text/plain', bytes: new TextEncoder().encode(words) }]);
    await bob.device.click({ role: 'button', name: 'Send file', exact: true, within: { role: 'region', name: 'Send file', exact: true } });
    await alice.device.see({ role: 'button', name: 'Save notes.txt', exact: true, within: messages });
    await alice.device.click({ role: 'button', name: 'Open notes.txt', exact: true, within: messages });
    const textViewer: Target = { role: 'dialog', name: 'notes.txt', exact: true };
    await alice.device.see({ label: 'Text of notes.txt', exact: true, hasText: words, within: textViewer });
    await alice.device.click({ role: 'button', name: 'Close viewer', exact: true, within: textViewer });
    await alice.device.gone(textViewer);

    // History survives a reload of the engine under test.
    await alice.device.reload();
    await alice.device.see(inMessages(`Hello from ${engine}`));
    await alice.device.see(inMessages('Hello back from chromium'));

    // Bob signs in on the engine under test: the whole history is there, and it chats live.
    const bob2 = await logIn(await open(engine), bob.username, 'Bob');
    await bob2.device.click({ css: `[data-chat="${alice.username}"]` });
    await bob2.device.see(inMessages(`Hello from ${engine}`));
    await bob2.device.see(inMessages('Hello back from chromium'));
    await send(bob2.device, `Second device on ${engine}`);
    await alice.device.see(inMessages(`Second device on ${engine}`));
  });
}
