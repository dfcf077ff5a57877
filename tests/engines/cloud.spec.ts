/** Cloud chats across engines: sign-up, login, real-time both ways, history after reload. */
import { test } from './fixtures';
import { inMessages, logIn, openChatWith, send, signUp } from './flows';
import type { Engine } from './driver';

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
