/**
 * A soak, not part of `npm test`: `CINDER_SOAK=<navigations> npx playwright test --project=engines soak`.
 * A WebKit device moves between the chat list, Settings and a secret chat (full page loads) while a
 * Chromium peer sends a message before each move — the flow that hangs WebKitGTK's IndexedDB
 * (docs/compatibility.md). It reports how many navigations passed before a hang, if any.
 * `CINDER_SOAK_DRAFT=1`: leaving the secret chat, the device first types in its composer, so the page
 * goes with a draft save on its way (a save starts with each change: src/lib/chat/draft.svelte.ts).
 */
import { ENGINES, TimeoutError, type Engine } from './driver';
import { test } from './fixtures';
import { inMessages, signUp, startSecretChat } from './flows';

const NAVS = Number(process.env.CINDER_SOAK ?? 0);
const SETTLE = Number(process.env.CINDER_SOAK_SETTLE ?? 0);
const engine = (process.env.CINDER_SOAK_ENGINE ?? 'webkit') as Engine;
const DRAFT = process.env.CINDER_SOAK_DRAFT === '1';

test.skip(!NAVS, 'a soak: set CINDER_SOAK to the number of navigations');
test.skip(!ENGINES.includes(engine), 'CINDER_SOAK_ENGINE names no engine');

test(`soak: ${engine} navigates ${NAVS} times while a peer writes`, async ({ open }) => {
  test.setTimeout(60_000 + NAVS * 40_000);
  const alice = await signUp(await open(engine), 'alice', 'Alice');
  const bob = await signUp(await open('chromium'), 'bob', 'Bob');
  const id = await startSecretChat(bob.device, alice.username);
  await bob.device.seeText('Alice joined your secret chat.', undefined, 60_000);
  const places = ['/settings', `/secret/${id}`, '/'];
  for (let i = 0; i < NAVS; i++) {
    const text = `soak ${i}`;
    await bob.device.fill({ label: 'Message', exact: true }, text);
    await bob.device.click({ role: 'button', name: 'Send', exact: true });
    const place = places[i % places.length];
    if (SETTLE) await new Promise((r) => setTimeout(r, SETTLE));
    // On the secret chat now (the place before this one): typed right before leaving it.
    if (DRAFT && places[(i + places.length - 1) % places.length].startsWith('/secret/') && i > 0)
      await alice.device.fill({ label: 'Message', exact: true }, `draft before leaving ${i}`);
    await alice.device.goto(place);
    try {
      if (place.startsWith('/secret/')) await alice.device.see(inMessages(text), 30_000);
      else await alice.device.see({ role: 'heading', name: place === '/' ? 'Chats' : 'Settings', exact: true }, 30_000);
      await alice.device.gone({ text: 'Opening Cinder…' }, 30_000);
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      console.log(`SOAK ${engine}: hung at navigation ${i + 1} (${place})`);
      throw e;
    }
  }
  console.log(`SOAK ${engine}: ${NAVS} navigations, no hang`);
});
