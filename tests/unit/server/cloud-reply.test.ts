// A cloud reply's quote: sealed at rest with the message, given back to both users with it; refused
// without the message it quotes or when malformed; a message without one has no quote field.
import { describe, expect, it } from 'vitest';
import type { CloudMessage } from '../../../src/lib/api/wire';
import { call, sendText, useRelayWith, uuid, type Account } from './helpers';

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
});
