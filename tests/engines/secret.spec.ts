/**
 * Secret chats across engines: started from either side and accepted by either engine, messages
 * both ways, timers firing on both devices, delete for both, photos, and the key screen with a scan.
 */
import { readFileSync } from 'node:fs';
import { test } from './fixtures';
import { camera } from './camera';
import { inMessages, messages, setTimer, signUp, startSecretChat, type User } from './flows';
import type { Engine, Target } from './driver';

const PHOTO = new Uint8Array(readFileSync('static/icons/icon-512.png'));

/** `starter` starts a secret chat with `accepter`, whose device is online and accepts it. */
async function secretChat(starter: User, accepter: User): Promise<string> {
  const id = await startSecretChat(starter.device, accepter.username);
  await starter.device.seeText(`${accepter.name} joined your secret chat.`);
  await accepter.device.goto(`/secret/${id}`);
  await accepter.device.seeText(`You joined ${starter.name}'s secret chat.`);
  return id;
}

async function sendSecret(user: User, text: string) {
  await user.device.fill({ label: 'Message', exact: true }, text);
  await user.device.click({ role: 'button', name: 'Send', exact: true });
  await user.device.see(inMessages(text));
}

const pairs: [Engine, Engine][] = [
  ['firefox', 'chromium'],
  ['webkit', 'chromium'],
  ['chromium', 'firefox'],
  ['chromium', 'webkit'],
  ['webkit', 'firefox'],
  ['firefox', 'webkit']
];

for (const [a, b] of pairs) {
  test(`secret chat started on ${a}, accepted on ${b}: both ways, a 5 s timer burns on both, delete for both`, async ({ open }) => {
    const alice = await signUp(await open(a), 'alice', 'Alice');
    const bob = await signUp(await open(b), 'bob', 'Bob');
    await secretChat(alice, bob);

    await sendSecret(alice, `secret from ${a}`);
    await bob.device.see(inMessages(`secret from ${a}`));
    await alice.device.see({ css: '[data-ticks="read"]', within: messages });
    await sendSecret(bob, `secret from ${b}`);
    await alice.device.see(inMessages(`secret from ${b}`));
    await sendSecret(alice, 'to delete for both');
    await bob.device.see(inMessages('to delete for both'));

    // Delete for both, from the accepting side.
    await bob.device.click({ role: 'button', name: 'Select message', within: { css: 'li', hasText: 'to delete for both', within: messages } });
    await bob.device.click({ role: 'button', name: 'Delete', exact: true });
    await bob.device.click({ role: 'button', name: 'Delete for both', exact: true, within: { role: 'alertdialog' } });
    await bob.device.gone(inMessages('to delete for both'));
    await alice.device.gone(inMessages('to delete for both'));

    // A timer applies to messages sent after it was set, and burns them on both devices.
    await setTimer(alice.device, '5 seconds');
    await bob.device.seeText('Alice set the self-destruct timer to 5 seconds');
    await sendSecret(alice, 'burn after reading');
    await bob.device.see(inMessages('burn after reading'));
    await bob.device.see({ css: '[data-countdown]', within: messages });
    await alice.device.see({ css: '[data-countdown]', within: messages });
    await bob.device.gone(inMessages('burn after reading'));
    await alice.device.gone(inMessages('burn after reading'));

    // Earlier messages are untouched, also after a reload (nothing else was purged).
    for (const u of [alice, bob]) {
      await u.device.reload();
      await u.device.see(inMessages(`secret from ${a}`));
      await u.device.see(inMessages(`secret from ${b}`));
    }

    // The chat list's search opens the sealed rows in each engine's worker: both texts are found, the
    // deleted and the burned ones are not, and a result opens the chat at the message.
    const results: Target = { role: 'list', name: 'Message search results', exact: true };
    for (const u of [alice, bob]) {
      await u.device.goto('/');
      await u.device.fill({ label: 'Search chats and people' }, 'FROM');
      await u.device.see({ role: 'link', hasText: `secret from ${a}`, within: results });
      await u.device.see({ role: 'link', hasText: `secret from ${b}`, within: results });
      if ((await u.device.count({ role: 'link', within: results })) !== 2) throw new Error(`${u.device.engine}: not exactly the two messages found`);
      await u.device.fill({ label: 'Search chats and people' }, 'burn');
      await u.device.seeText('No messages found.');
      await u.device.fill({ label: 'Search chats and people' }, 'delete for both');
      await u.device.seeText('No messages found.');
    }
    await alice.device.fill({ label: 'Search chats and people' }, 'from');
    await alice.device.click({ role: 'link', hasText: `secret from ${b}`, within: results });
    await alice.device.waitForURL(/\/secret\/[^/?]+\?m=/);
    await alice.device.see(inMessages(`secret from ${b}`));
  });
}

for (const [a, b] of pairs.filter(([, x]) => x !== 'chromium')) {
  test(`secret chat started on ${a}, accepted on ${b}: photos both ways, the same key on both screens, and a camera scan verifies`, async ({ open }) => {
    const alice = await signUp(await open(a), 'alice', 'Alice');
    const bob = await signUp(await open(b), 'bob', 'Bob');
    const id = await secretChat(alice, bob);

    await alice.device.setFiles({ css: 'input[type=file]' }, [{ name: 'flame.png', mime: 'image/png', bytes: PHOTO }]);
    await alice.device.click({ role: 'button', name: 'Send photo', exact: true, within: { role: 'region', name: 'Send photo', exact: true } });
    await bob.device.see({ css: 'img[alt="flame.png"]', within: messages });
    // Shown first, decoded a moment later: wait for the decode rather than read it at once.
    const width = await bob.device.until('the photo decoded', () =>
      bob.device.eval(() => (document.querySelector('img[alt="flame.png"]') as HTMLImageElement | null)?.naturalWidth ?? 0)
    );
    if (width !== 512) throw new Error(`${b} decoded the photo as ${width} px wide`);
    await bob.device.setFiles({ css: 'input[type=file]' }, [{ name: 'back.png', mime: 'image/png', bytes: PHOTO }]);
    await bob.device.click({ role: 'button', name: 'Send photo', exact: true, within: { role: 'region', name: 'Send photo', exact: true } });
    await alice.device.see({ css: 'img[alt="back.png"]', within: messages });

    // The key screen shows the same key on both devices.
    await alice.device.goto(`/secret/${id}/key`);
    await bob.device.goto(`/secret/${id}/key`);
    const hexA = await alice.device.text({ label: 'Key in hexadecimal', exact: true });
    const hexB = await bob.device.text({ label: 'Key in hexadecimal', exact: true });
    if (!hexA || hexA !== hexB) throw new Error(`keys differ: ${hexA} vs ${hexB}`);
    await bob.device.see({ role: 'img', name: /Key picture/ });
    if ((await bob.device.count({ role: 'listitem', within: { role: 'list', name: 'Key emoji', exact: true } })) !== 16) throw new Error('16 emoji expected');

    // Bob points his camera at Alice's screen.
    await camera.showQrOf(alice.device, bob.device);
    await bob.device.click({ role: 'button', name: "Scan Alice's code", exact: true });
    // Any other end (a mismatch, a scanner error) fails at once and says what the screen showed.
    const scanned = await bob.device
      .until(
        'a scan result',
        () =>
          bob.device.eval(() => {
            const result = document.querySelector('[data-scan-result]')?.getAttribute('data-scan-result');
            // The scanner's own error, or the page's once the scanner closed on one.
            const error = document.querySelector('.scanner .error, p.error[role=alert]')?.textContent;
            return result ?? (error ? `scanner error: ${error}` : null);
          }),
        60_000
      )
      .catch(async (e) => {
        const seen = await bob.device.eval(() => {
          const v = document.querySelector('.scanner video') as HTMLVideoElement | null;
          return `status "${document.querySelector('.scanner .status')?.textContent?.trim()}", video readyState ${v?.readyState} ${v?.videoWidth}x${v?.videoHeight} paused ${v?.paused}`;
        });
        throw new Error(`${String(e)}; the scanner showed: ${seen}`);
      });
    if (scanned !== 'match') throw new Error(`${b} scanned ${a}'s code: ${scanned}`);
    await bob.device.see({ css: '[data-verified-by-me="true"]' });
    // Bob's "verified you" shows on Alice's screen once she verified Bob too (before, a MITM could claim it).
    await alice.device.reload();
    await alice.device.see({ css: '[data-verified-by-peer="unknown"]' });
    await alice.device.click({ role: 'button', name: 'Mark as verified', exact: true });
    await alice.device.see({ css: '[data-verified-by-me="true"]' });
    await alice.device.see({ css: '[data-verified-by-peer="true"]' });
  });
}
