// What I write in a secret chat shows on this device in the order it was sealed (the order the peer
// gets it in), also when an action waited for the chat's lock or several went out in one millisecond.
// Before, a text was timed when it was asked for and a timer change once it held the lock: a text sent
// while the timer change waited behind a receive showed before the change, and the chat list's preview
// was "Self-destruct timer changed" instead of the text (the WebKit offline-start flake of device.spec.ts).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { secretChatList, secretMessages } from '$lib/worker/secret';
import { withLock } from '$lib/worker/locks';
import { deliver, secretPair, type SecretDevice } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established: pair } = secretPair('secret-send-order');
const WEEK = 7 * 24 * 3600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The chat as its screen shows it, oldest first: a text as itself, a notice as its kind. */
const shown = async (d: SecretDevice, chatId: string) =>
  (await secretMessages(d.db, d.vault, chatId, { limit: 50 })).messages.map((m) => (m.kind === 'service' ? `[${m.service}]` : m.text));

afterEach(() => vi.restoreAllMocks());

describe('secret chat: the order of what I send', () => {
  it('a text sent while my timer change waits for the chat lock shows after the change, here, in the list and on the peer', async () => {
    const { relay, alice, bob, chatId } = await pair();
    // Something else (a receive, an ACK) holds the chat while the timer is set and the text is sent.
    let release!: () => void;
    const holding = withLock(`cinder-secret-${chatId}`, () => new Promise<void>((r) => (release = r)));
    await sleep(0);
    const timer = alice.engine.setTimer(chatId, WEEK);
    await sleep(5);
    const text = alice.engine.sendText(chatId, 'after the timer', null);
    await sleep(5);
    release();
    await Promise.all([holding, timer, text]);

    expect((await shown(alice, chatId)).slice(-2)).toEqual(['[ttl]', 'after the timer']);
    const [listed] = await secretChatList(alice.db, alice.vault);
    expect(listed).toMatchObject({ preview: 'after the timer', previewMine: true });

    await alice.engine.flush();
    await deliver(relay, bob);
    expect((await shown(bob, chatId)).slice(-2)).toEqual(['[ttl]', 'after the timer']);
  });

  it('texts and a notice sent within one millisecond keep the order they were sent in', async () => {
    const { alice, chatId } = await pair();
    vi.spyOn(Date, 'now').mockReturnValue(Date.now());
    const sent = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];
    await Promise.all([
      alice.engine.sendText(chatId, 'zero', null),
      alice.engine.setTimer(chatId, WEEK),
      alice.engine.screenshot(chatId),
      ...sent.map((t) => alice.engine.sendText(chatId, t, null))
    ]);
    expect((await shown(alice, chatId)).slice(-11)).toEqual(['zero', '[ttl]', '[screenshot]', ...sent]);
    const [listed] = await secretChatList(alice.db, alice.vault);
    expect(listed.preview).toBe('eight');
  });
});
