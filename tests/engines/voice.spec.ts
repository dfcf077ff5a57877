/**
 * Voice messages across engines (issue #16 item 2): a clip recorded in Firefox or WebKit (each in the
 * format its MediaRecorder has: Opus in WebM or Ogg, else MP4) travels encrypted through a secret chat
 * and plays in Chromium; one recorded in Chromium plays in the other engine. The microphone is an
 * oscillator stream (tests/support/fake-mic.ts), installed after the devices' last navigation.
 */
import { installFakeMicrophone } from '../support/fake-mic';
import { test } from './fixtures';
import { messages, signUp, startSecretChat, type User } from './flows';
import type { Engine } from './driver';

const voiceBubble = { css: '[data-voice]', within: messages };

/** Taps the microphone, waits until the recorder's clock shows `seconds`, sends. */
async function recordAndSend(user: User, seconds: number) {
  await user.device.eval(installFakeMicrophone, 'ok');
  await user.device.click({ role: 'button', name: 'Record a voice message', exact: true });
  await user.device.see({ css: '[data-voice-recorder]' });
  await user.device.until(`${seconds} s recorded`, async () => {
    const t = await user.device.text({ css: '[data-voice-elapsed]' });
    const [m, s] = t.split(':').map(Number);
    return m * 60 + s >= seconds;
  });
  await user.device.click({ role: 'button', name: 'Send voice message', exact: true });
  await user.device.gone({ css: '[data-voice-recorder]' });
}

/** The peer's bubble shows a duration and its audio plays (the clock advances or it ends). */
async function receiveAndPlay(user: User, count: number) {
  await user.device.until(`${count} voice message(s)`, async () => (await user.device.count(voiceBubble)) >= count);
  const duration = await user.device.eval((n: number) => Number(document.querySelectorAll('[data-voice]')[n]?.getAttribute('data-voice-duration') ?? 0), count - 1);
  if (!(duration >= 1000)) throw new Error(`${user.device.engine}: voice message duration ${duration} ms`);
  // The peer's clip (one's own is "Play your voice message").
  await user.device.click({ role: 'button', name: 'Play voice message', exact: true, within: messages });
  await user.device.until(`the voice message to play in ${user.device.engine}`, () =>
    user.device.eval((n: number) => {
      const a = document.querySelectorAll<HTMLAudioElement>('[data-voice-audio]')[n];
      return !!a && (a.currentTime > 0 || a.ended);
    }, count - 1)
  );
}

for (const engine of ['firefox', 'webkit'] satisfies Engine[]) {
  test(`voice messages in a secret chat: recorded on ${engine}, played on chromium, and back`, async ({ open }) => {
    const alice = await signUp(await open(engine), 'alice', 'Alice');
    const bob = await signUp(await open('chromium'), 'bob', 'Bob');
    const id = await startSecretChat(alice.device, bob.username);
    await alice.device.seeText('Bob joined your secret chat.');
    await bob.device.goto(`/secret/${id}`);
    await bob.device.seeText("You joined Alice's secret chat.");

    await recordAndSend(alice, 2);
    await receiveAndPlay(bob, 1);
    await recordAndSend(bob, 2);
    await receiveAndPlay(alice, 2);
  });
}
