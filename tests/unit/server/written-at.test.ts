import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../../src/lib/api/limits';
import type { CloudMessage } from '../../../src/lib/api/wire';
import { messageTime } from '../../../src/lib/server/cloud';
import { call, useRelayWith, uuid } from './helpers';

const rig = useRelayWith(['alice', 'bob']);

const send = async (extra: Record<string, unknown>) => {
  const r = await call<{ message: CloudMessage }>(rig.ts, 'POST', '/api/cloud/messages', {
    token: rig.alice.token,
    body: { id: uuid(), toUserId: rig.bob.userId, text: 'hi', ...extra }
  });
  return r;
};

/** Issue 16 §6: a message written offline keeps the time it was written, for both sides. */
describe('cloud message time', () => {
  it('keeps the sender’s written time from an outbox, within limits; without it the relay’s clock', async () => {
    const now = 1_800_000_000_000;
    rig.ts.clock.now = now;
    const written = now - 90_000;
    const kept = await send({ writtenAt: written });
    expect(kept.status).toBe(200);
    expect(kept.body.message.createdAt).toBe(written);
    const hist = await call<{ messages: CloudMessage[] }>(rig.ts, 'GET', `/api/cloud/chats/${rig.alice.userId}/messages`, { token: rig.bob.token });
    expect(hist.body.messages.map((m) => m.createdAt)).toEqual([written]);

    // An old client sends none; a clock in the future or far in the past is not believed.
    expect((await send({})).body.message.createdAt).toBe(now);
    expect((await send({ writtenAt: now + 60_000 })).body.message.createdAt).toBe(now);
    expect((await send({ writtenAt: now - LIMITS.writtenAtMaxAgeMs - 1 })).body.message.createdAt).toBe(now);
    // Not a number: refused clearly.
    const bad = await send({ writtenAt: 'yesterday' });
    expect(bad.status).toBe(400);
  });

  it('messageTime bounds', () => {
    expect(messageTime(undefined, 100)).toBe(100);
    expect(messageTime(40, 100)).toBe(40);
    expect(messageTime(101, 100)).toBe(100);
    expect(messageTime(0, LIMITS.writtenAtMaxAgeMs)).toBe(0);
    expect(messageTime(0, LIMITS.writtenAtMaxAgeMs + 1)).toBe(LIMITS.writtenAtMaxAgeMs + 1);
  });
});
