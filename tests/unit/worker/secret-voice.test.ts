// Voice messages in secret chats: the duration and waveform travel inside the encrypted file
// reference (optional, so an older peer's plain file still parses), are validated like everything
// from the peer, and reach the receiver's views and chat list.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { toB64u } from '$lib/api/b64';
import { secretChatList, secretMessages } from '$lib/worker/secret';
import { decodePayload, encodePayload, type SecretPayload } from '$lib/worker/secret/payload';
import { deliver, secretPair } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established } = secretPair('secret-voice');
const VOICE = { duration: 3100, waveform: Array.from({ length: 48 }, (_, i) => (i * 11) % 256) };

const file = { blobId: 'blob_1', key: 'A'.repeat(43), name: 'voice.webm', mime: 'audio/webm', size: 1200 };
const textPayload = (f: object | null | undefined): unknown => ({
  k: 'text',
  id: crypto.randomUUID(),
  text: '',
  replyTo: null,
  ttl: 0,
  at: 1,
  ...(f === undefined ? {} : { file: f })
});
const decode = (p: unknown) => decodePayload(new TextEncoder().encode(JSON.stringify(p)));

describe('voice metadata in the secret payload', () => {
  it('parses a file with and without voice metadata, and a message without a file', () => {
    expect(decode(textPayload({ ...file, voice: VOICE }))).toMatchObject({ file: { voice: VOICE } });
    const plain = decode(textPayload(file)) as Extract<SecretPayload, { k: 'text' }>;
    expect(plain.file).toEqual(file);
    expect(plain.file && 'voice' in plain.file).toBe(false);
    expect(decode(textPayload(undefined))).not.toBeNull();
    expect(decode(textPayload(null))).not.toBeNull();
  });

  it('rejects malformed voice metadata from the peer', () => {
    for (const voice of [
      { duration: 0, waveform: [1] },
      { duration: -5, waveform: [1] },
      { duration: 1.5, waveform: [1] },
      { duration: 61 * 60_000, waveform: [1] },
      { duration: 1000, waveform: [] },
      { duration: 1000, waveform: [256] },
      { duration: 1000, waveform: [-1] },
      { duration: 1000, waveform: new Array(65).fill(3) },
      { duration: '1000', waveform: [1] },
      { waveform: [1] },
      'voice'
    ]) {
      expect(decode(textPayload({ ...file, voice }))).toBeNull();
    }
  });

  it('round-trips through encodePayload', () => {
    const p = textPayload({ ...file, voice: VOICE }) as SecretPayload;
    expect(decodePayload(encodePayload(p))).toEqual(p);
  });
});

describe('a voice message between two devices', () => {
  it('arrives with its duration and waveform, plays the same bytes, and is listed as a voice message', async () => {
    const { relay, alice, bob, chatId } = await established();

    const bytes = crypto.getRandomValues(new Uint8Array(2500));
    const id = await alice.engine.sendFile(chatId, 'voice-1.webm', 'audio/webm', bytes, '', { voice: VOICE });
    // The sender's own bubble shows the clip at once (before the upload finishes, too).
    const mine = (await secretMessages(alice.db, alice.vault, chatId, { limit: 10 })).messages.find((m) => m.id === id);
    expect(mine?.file).toEqual({ name: 'voice-1.webm', mime: 'audio/webm', size: 2500, voice: VOICE });
    await alice.engine.flush();
    await deliver(relay, bob);

    const got = (await secretMessages(bob.db, bob.vault, chatId, { limit: 10 })).messages.find((m) => m.id === id);
    expect(got?.file).toEqual({ name: 'voice-1.webm', mime: 'audio/webm', size: 2500, voice: VOICE });
    const media = await bob.engine.media(id);
    expect([media.mime, toB64u(media.bytes)]).toEqual(['audio/webm', toB64u(bytes)]);
    const [row] = await secretChatList(bob.db, bob.vault);
    expect(row.preview).toBe('Voice message');

    // A plain file has no voice field in its view.
    const other = await alice.engine.sendFile(chatId, 'song.ogg', 'audio/ogg', bytes, '');
    await alice.engine.flush();
    await deliver(relay, bob);
    const plain = (await secretMessages(bob.db, bob.vault, chatId, { limit: 10 })).messages.find((m) => m.id === other);
    expect(plain?.file).toEqual({ name: 'song.ogg', mime: 'audio/ogg', size: 2500 });
  });
});
