/** One device on each engine: passcode lock, and starting from the service worker with the relay gone. */
import { removeDir, startServer } from '../support/server';
import { ENGINES } from './driver';
import { test } from './fixtures';
import { controlledBySW, inMessages, openChatWith, send, setTimer, signUp, startSecretChat } from './flows';

for (const engine of ENGINES) {
  test(`${engine}: the passcode lock hides everything until the passcode is entered; a secret message sent meanwhile arrives after unlock`, async ({ open }) => {
    const alice = await signUp(await open(engine), 'alice', 'Alice');
    const bob = await signUp(await open('chromium'), 'bob', 'Bob');
    const id = await startSecretChat(bob.device, alice.username);
    await bob.device.seeText('Alice joined your secret chat.');
    await bob.device.fill({ label: 'Message', exact: true }, 'before the lock');
    await bob.device.click({ role: 'button', name: 'Send', exact: true });
    await alice.device.goto(`/secret/${id}`);
    await alice.device.see(inMessages('before the lock'));

    await alice.device.goto('/settings');
    await alice.device.fill({ label: 'Passcode', exact: true }, '2468');
    await alice.device.fill({ label: 'Repeat the passcode', exact: true }, '2468');
    await alice.device.click({ role: 'button', name: 'Set passcode', exact: true });
    await alice.device.seeText('Passcode set.', undefined, 60_000);

    await alice.device.reload();
    await alice.device.see({ role: 'heading', name: 'Cinder is locked', exact: true });
    await bob.device.fill({ label: 'Message', exact: true }, 'sent while Alice is locked');
    await bob.device.click({ role: 'button', name: 'Send', exact: true });
    await bob.device.see({ css: '[data-ticks="sent"]', within: { css: 'li', hasText: 'sent while Alice is locked' } });
    if ((await alice.device.count({ text: 'before the lock' })) !== 0) throw new Error('locked screen shows a message');
    await alice.device.fill({ label: 'Passcode', exact: true }, '1357');
    await alice.device.click({ role: 'button', name: 'Unlock', exact: true });
    await alice.device.see({ role: 'alert', hasText: 'Wrong passcode' });
    // A fresh load of the chat starts locked too; the passcode opens it in place.
    await alice.device.goto(`/secret/${id}`);
    await alice.device.see({ role: 'heading', name: 'Cinder is locked', exact: true });
    await alice.device.fill({ label: 'Passcode', exact: true }, '2468');
    await alice.device.click({ role: 'button', name: 'Unlock', exact: true });
    await alice.device.see(inMessages('sent while Alice is locked'));
    await alice.device.see(inMessages('before the lock'));
  });

  test(`${engine}: with the relay down the app starts from the service worker with chats and previews; what is written offline goes out when the relay is back`, async ({
    open
  }) => {
    const relay = await startServer();
    try {
      const alice = await signUp(await open(engine, relay), 'alice', 'Alice');
      const bob = await signUp(await open('chromium', relay), 'bob', 'Bob');
      await openChatWith(alice.device, bob.username);
      await send(alice.device, 'cloud before going offline');
      const id = await startSecretChat(alice.device, bob.username);
      await alice.device.seeText('Bob joined your secret chat.');
      await setTimer(alice.device, '1 week');
      await alice.device.fill({ label: 'Message', exact: true }, 'secret before going offline');
      await alice.device.click({ role: 'button', name: 'Send', exact: true });
      await bob.device.goto(`/secret/${id}`);
      await bob.device.see(inMessages('secret before going offline'));
      await controlledBySW(alice.device);

      await relay.stop('SIGKILL');
      await alice.device.goto('/');
      await alice.device.see({ role: 'heading', name: 'Chats', exact: true });
      await alice.device.see({ css: `[data-chat="${bob.username}"]`, hasText: 'cloud before going offline' });
      await alice.device.see({ css: `[data-secret-chat="${bob.username}"]`, hasText: 'secret before going offline' });
      await alice.device.click({ css: `[data-chat="${bob.username}"]` });
      await alice.device.see(inMessages('cloud before going offline'));
      await alice.device.fill({ label: 'Message', exact: true }, 'written while the relay was down');
      await alice.device.click({ role: 'button', name: 'Send', exact: true });
      await alice.device.see(inMessages('written while the relay was down'));

      await relay.restart();
      await bob.device.goto('/');
      await bob.device.see({ css: `[data-chat="${alice.username}"]`, hasText: 'written while the relay was down' });
    } finally {
      await relay.stop('SIGKILL');
      removeDir(relay.dataDir);
    }
  });
}
