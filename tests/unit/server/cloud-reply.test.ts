// A cloud reply's quote: made by the relay from the stored original (never the sender's words), sealed
// at rest with the message, given back to both users with it; a quote without replyTo or malformed is
// refused; a message without one has no quote field.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SPOILER_MASK } from '../../../src/lib/api/rich-text';
import type { CloudMessage } from '../../../src/lib/api/wire';
import { call, sendText, signup, useRelayWith, uuid, type Account } from './helpers';

const rig = useRelayWith(['alice', 'bob']);

const send = (body: Record<string, unknown>) =>
  call(rig.ts, 'POST', '/api/cloud/messages', { token: rig.alice.token, body: { id: uuid(), toUserId: rig.bob.userId, text: 'yes', ...body } });
const history = async (who: Account, peer: Account) =>
  (await call<{ messages: CloudMessage[] }>(rig.ts, 'GET', `/api/cloud/chats/${peer.userId}/messages`, { token: who.token })).body.messages;

describe('cloud reply quotes', () => {
  it('stores the quote with the reply and gives it to both users; a plain message has none', async () => {
    const original = await sendText(rig.ts, rig.bob, rig.alice, 'lunch?');
    const r = await send({ replyTo: original.id, quote: { snippet: 'lunch?', from: 'recipient' } });
    expect(r.status).toBe(200);
    expect(r.body.message.quote).toEqual({ snippet: 'lunch?', from: 'recipient' });
    const onBob = await history(rig.bob, rig.alice);
    expect(onBob.map((m) => m.quote ?? null)).toEqual([null, { snippet: 'lunch?', from: 'recipient' }]);
    expect('quote' in onBob[0]).toBe(false);
    expect(onBob[1].replyTo).toBe(original.id);
  });

  it('refuses a quote without replyTo, a multi-line or too long snippet', async () => {
    const original = await sendText(rig.ts, rig.bob, rig.alice, 'lunch?');
    expect((await send({ quote: { snippet: 'x', from: 'sender' } })).status).toBe(400);
    expect((await send({ replyTo: original.id, quote: { snippet: 'a\nb', from: 'sender' } })).status).toBe(400);
    expect((await send({ replyTo: original.id, quote: { snippet: 'x'.repeat(200), from: 'sender' } })).status).toBe(400);
    expect((await send({ replyTo: original.id, quote: { snippet: 'x', from: 'bob' } })).status).toBe(400);
    expect(await history(rig.bob, rig.alice)).toHaveLength(1);
  });

  it('quotes the original as stored, whatever the reply claims: its words, its author, its first line', async () => {
    const original = await sendText(rig.ts, rig.bob, rig.alice, '\n  Meet at noon  \nnot this line');
    // Alice's client claims Bob wrote something else, and that she wrote it.
    const forged = await send({ replyTo: original.id, quote: { snippet: 'I owe Alice 100 euros', from: 'sender' } });
    expect(forged.status).toBe(200);
    expect(forged.body.message.quote).toEqual({ snippet: 'Meet at noon', from: 'recipient' });
    expect((await history(rig.bob, rig.alice)).at(-1)!.quote).toEqual({ snippet: 'Meet at noon', from: 'recipient' });
    // No quote sent (an older client): the relay still makes it; quoting herself is 'sender'.
    const mine = await sendText(rig.ts, rig.alice, rig.bob, 'x'.repeat(150));
    const r = await send({ replyTo: mine.id });
    expect(r.body.message.quote).toEqual({ snippet: 'x'.repeat(119) + '…', from: 'sender' });
  });

  it('quotes a formatted original as it is shown: no markers, its spoiler masked', async () => {
    const original = await sendText(rig.ts, rig.bob, rig.alice, '**Door** code: ||4521||, ask _Ann_');
    const r = await send({ replyTo: original.id });
    expect(r.body.message.quote).toEqual({ snippet: `Door code: ${SPOILER_MASK}, ask Ann`, from: 'recipient' });
  });

  it('carries no quote of a message that is not a live one of this chat', async () => {
    const carol = await signup(rig.ts, 'carol');
    const elsewhere = await sendText(rig.ts, carol, rig.alice, 'a secret between Carol and Alice');
    const r = await send({ replyTo: elsewhere.id, quote: { snippet: 'a secret between Carol and Alice', from: 'recipient' } });
    expect(r.status).toBe(200);
    expect('quote' in r.body.message).toBe(false);
    const gone = await sendText(rig.ts, rig.bob, rig.alice, 'deleted soon');
    expect((await call(rig.ts, 'POST', `/api/cloud/chats/${rig.alice.userId}/delete`, { token: rig.bob.token, body: { ids: [gone.id] } })).status).toBe(204);
    const late = await send({ replyTo: gone.id, quote: { snippet: 'deleted soon', from: 'recipient' } });
    expect('quote' in late.body.message).toBe(false);
    expect(late.body.message.replyTo).toBe(gone.id);
  });

  it('quotes an attachment by its kind, a caption by its words, a self-destructing one by its kind only', async () => {
    const upload = async () => {
      const r = await call<{ id: string }>(rig.ts, 'POST', '/api/cloud/media', {
        token: rig.bob.token,
        raw: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(500)]),
        headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-user': rig.alice.userId, 'x-cinder-mime': 'image/png', 'x-cinder-name': 'me.png' }
      });
      expect(r.status).toBe(201);
      return r.body.id;
    };
    const photo = async (text: string, ttl?: number) => {
      const r = await call<{ message: CloudMessage }>(rig.ts, 'POST', '/api/cloud/messages', {
        token: rig.bob.token,
        body: { id: uuid(), toUserId: rig.alice.userId, text, media: { id: await upload(), ...(ttl ? { ttl } : {}) } }
      });
      expect(r.status).toBe(200);
      return r.body.message;
    };
    const quoteOf = async (m: CloudMessage) => (await send({ replyTo: m.id, quote: { snippet: 'made up', from: 'recipient' } })).body.message.quote;
    expect(await quoteOf(await photo(''))).toEqual({ snippet: 'Photo', from: 'recipient' });
    expect(await quoteOf(await photo('sunset at the lake'))).toEqual({ snippet: 'sunset at the lake', from: 'recipient' });
    expect(await quoteOf(await photo('do not keep this', 10))).toEqual({ snippet: 'Photo', from: 'recipient' });
  });
});
