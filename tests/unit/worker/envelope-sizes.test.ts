// How many envelope sizes a relay sees for typical short texts (issue #20 §4), measured on the real
// send path (payload JSON, frame, Padmé, ratchet envelope), and what a larger padding floor would buy.
// The numbers are quoted in docs/protocol.md (padding); the assertions pin them.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { fromB64u } from '$lib/api/b64';
import { HEADER_LEN } from '$lib/crypto/envelope';
import { FRAME_HEADER_LEN } from '$lib/crypto/frame';
import { MIN_PADDED, paddedLength } from '$lib/crypto/padding';
import { secretPair } from '../support/secret-pair';

const TAG = 16;

/** 23 short texts of an everyday chat: replies, plans, a link, emoji, Cyrillic, a few longer ones. */
export const TEXTS = [
  'ok',
  'yes!',
  'Thanks 🙏',
  'lol',
  'On my way',
  'see you at 7?',
  'Running 10 minutes late, sorry!',
  'Did you get the tickets?',
  'Привет! Как дела?',
  'Can you call me when you have a minute?',
  'Happy birthday!! 🎉🎂 Have a great day',
  'https://example.org/articles/2026/12/why-metadata-matters?ref=share',
  'I left the keys with the neighbour, flat 4B. She is home after six.',
  'Sounds good. Let me check with Sam and I will get back to you tonight 👍',
  'The meeting moved to Thursday 10:30, same room. Bring the printed draft, the projector is broken again.',
  'Не забудь купить хлеб и молоко по дороге домой, пожалуйста. И позвони маме.',
  'Honestly I think we should just go with the second option, it is cheaper and the reviews were better. What do you think?',
  'Landed! The flight was fine, a bit bumpy at the end. Waiting for the bags now, then taking the train into town. Will text when I am at the hotel.',
  'Here is the address: 221B Baker Street, London NW1 6XE. Ring twice, the bell is broken. Second floor, door on the left. Park behind the building if you drive.',
  'Quick summary of today: fixed the login bug, reviewed two pull requests, and spent way too long on the flaky test. Tomorrow I am out in the morning (dentist), back after lunch.',
  'I read the contract again. Clause 7 still says they can end it with two weeks notice, but we agreed on two months. Can you ask them to fix that before we sign? Otherwise it looks fine to me.',
  'Okay so the plan: Friday we drive up after work, stop for dinner halfway. Saturday hike if the weather holds, otherwise the museum. Sunday back by four so the kids can sleep early. Sound alright?',
  'Sorry for the long message. I have been thinking about what you said yesterday and you are right, I should have told you earlier. It was not fair to leave you to find out from someone else. Can we talk tonight?'
];

/** The envelope size for a frame payload of `len` bytes under a padding rule. */
const envelopeSize = (len: number, pad: (n: number) => number) => HEADER_LEN + pad(FRAME_HEADER_LEN + len) + TAG;
const floor = (min: number) => (n: number) => Math.max(min, paddedLength(n));

describe('envelope sizes of short texts', () => {
  it('measures the distinct sizes the relay sees, and what a 512- or 1024-byte floor would cost', async () => {
    expect(TEXTS).toHaveLength(23);
    const { relay, alice, chatId } = await secretPair('env-sizes').established();
    const sizes: number[] = [];
    for (const t of TEXTS) {
      await alice.engine.sendText(chatId, t, null);
      await alice.engine.flush();
      const [env] = relay.take('d-bob');
      sizes.push(fromB64u(env!.body).length);
    }
    // The payload each text travelled in: the envelope minus header, frame header, tag — before padding.
    const utf8 = (t: string) => new TextEncoder().encode(t).length;
    const payloads = TEXTS.map((t) => utf8(JSON.stringify({ k: 'text', id: crypto.randomUUID(), text: t, replyTo: null, ttl: 0, at: Date.now(), file: null })));
    // The formula is the real send path (checked against what the relay received).
    expect(payloads.map((p) => envelopeSize(p, floor(MIN_PADDED)))).toEqual(sizes);
    const rows = [256, 512, 1024].map((min) => {
      const s = payloads.map((p) => envelopeSize(p, floor(min)));
      return {
        min,
        distinct: new Set(s).size,
        inFloor: s.filter((x) => x === envelopeSize(0, floor(min))).length,
        ack: envelopeSize(0, floor(min)),
        mean: Math.round(s.reduce((a, b) => a + b, 0) / s.length)
      };
    });
    // docs/protocol.md §6 quotes these.
    expect(rows).toEqual([
      { min: 256, distinct: 7, inFloor: 16, ack: 331, mean: 349 },
      { min: 512, distinct: 1, inFloor: 23, ack: 587, mean: 587 },
      { min: 1024, distinct: 1, inFloor: 23, ack: 1099, mean: 1099 }
    ]);
    // The longest text that still travels in the floor size (ASCII), for each floor.
    const overhead = payloads[0]! - utf8(TEXTS[0]!);
    expect([256, 512].map((min) => min - FRAME_HEADER_LEN - overhead)).toEqual([123, 379]);
  });
});
