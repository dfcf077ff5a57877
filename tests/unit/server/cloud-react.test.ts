// Reacting to a cloud message (POST /api/cloud/chats/:peerId/react): either member, one reaction per
// message and user (replaced, removed), not a deleted message; a 'react' update with the message's
// reactions in both users' logs (every device, live too), and the reactions on the message itself
// for history pages and a new device's full sync.
import { describe, expect, it } from 'vitest';
import type { CloudMessage, ServerFrame, SyncRes, Update } from '../../../src/lib/api/wire';
import { call, connect, login, sendText, useRelayWith, uuid, type Account } from './helpers';

const rig = useRelayWith(['alice', 'bob', 'carol']);

const react = (who: Account, peer: Account, id: string, emoji: unknown) =>
  call(rig.ts, 'POST', `/api/cloud/chats/${peer.userId}/react`, { token: who.token, body: { id, emoji } });
const history = async (who: Account, peer: Account) =>
  (await call<{ messages: CloudMessage[] }>(rig.ts, 'GET', `/api/cloud/chats/${peer.userId}/messages`, { token: who.token })).body.messages;
const sync = async (who: Account) => (await call<SyncRes>(rig.ts, 'GET', '/api/sync?after=0', { token: who.token })).body.updates;
const reacts = async (who: Account) => (await sync(who)).filter((u): u is Extract<Update, { kind: 'react' }> => u.kind === 'react');

describe('reacting to a cloud message', () => {
  it("the peer's and the author's reactions: on the message, in both users' logs (every device), live too", async () => {
    const { alice, bob } = rig;
    const m = await sendText(rig.ts, bob, alice, 'dinner at 8?');
    const laptop = await login(rig.ts, { username: 'bob', password: 'correct horse battery' }, 'Laptop');
    const bobWs = await connect(rig.ts, bob.token);
    const laptopWs = await connect(rig.ts, laptop.token);
    await bobWs.next((f) => f.t === 'hello');
    await laptopWs.next((f) => f.t === 'hello');

    expect((await react(alice, bob, m.id, '👍')).status).toBe(204);
    const isReact = (f: ServerFrame) => f.t === 'update' && f.update.kind === 'react';
    for (const ws of [bobWs, laptopWs]) {
      const f = await ws.next<Extract<ServerFrame, { t: 'update' }>>(isReact);
      expect(f.update).toEqual({ kind: 'react', cursor: f.update.cursor, peerId: alice.userId, id: m.id, reactions: [{ userId: alice.userId, emoji: '👍' }] });
    }
    bobWs.close();
    laptopWs.close();
    // The author too, the same emoji.
    expect((await react(bob, alice, m.id, '👍')).status).toBe(204);
    const both = [
      { userId: alice.userId, emoji: '👍' },
      { userId: bob.userId, emoji: '👍' }
    ];
    expect((await history(alice, bob))[0].reactions).toEqual(both);
    // A new device's full sync: the message carries them; each react update serves the reactions now.
    const full = await sync(bob);
    expect(full.find((u) => u.kind === 'message')).toMatchObject({ message: { id: m.id, reactions: both } });
    expect((await reacts(bob)).map((u) => u.reactions)).toEqual([both, both]);

    // Replaced, then removed ('' and null alike).
    expect((await react(alice, bob, m.id, '❤️')).status).toBe(204);
    expect((await history(bob, alice))[0].reactions).toEqual([
      { userId: bob.userId, emoji: '👍' },
      { userId: alice.userId, emoji: '❤️' }
    ]);
    expect((await react(alice, bob, m.id, '')).status).toBe(204);
    expect((await react(bob, alice, m.id, null)).status).toBe(204);
    expect((await history(bob, alice))[0].reactions).toBeUndefined();
    expect((await reacts(alice)).at(-1)?.reactions).toEqual([]);
  });

  it('a stranger gets 404, and so does a message of another chat or none', async () => {
    const { alice, bob, carol } = rig;
    const m = await sendText(rig.ts, alice, bob, 'just us');
    // Carol has no chat with Bob, and Alice's message is not in Carol's chat with Alice.
    expect((await react(carol, bob, m.id, '😮')).status).toBe(404);
    await sendText(rig.ts, carol, alice, 'hi alice');
    const r = await react(carol, alice, m.id, '😮');
    expect([r.status, r.body.error.code]).toEqual([404, 'not_found']);
    expect((await react(alice, bob, uuid(), '😮')).status).toBe(404);
    expect((await history(bob, alice))[0].reactions).toBeUndefined();
    expect(await reacts(bob)).toEqual([]);
  });

  it('refuses a deleted message (410), and a reaction that is not one of the quick ones (400)', async () => {
    const { alice, bob } = rig;
    const m = await sendText(rig.ts, alice, bob, 'hello');
    for (const emoji of ['🍕', '👍👍', 'like', 42, undefined]) expect((await react(bob, alice, m.id, emoji)).status).toBe(400);
    expect((await react(bob, alice, 'not-a-uuid', '👍')).status).toBe(400);
    expect((await react(bob, alice, m.id, '🙏')).status).toBe(204);
    await call(rig.ts, 'POST', `/api/cloud/chats/${bob.userId}/delete`, { token: alice.token, body: { ids: [m.id] } });
    const r = await react(bob, alice, m.id, '👍');
    expect([r.status, r.body.error.code]).toEqual([410, 'gone']);
    // Its react update is served no more (the message went).
    expect(await reacts(bob)).toEqual([]);
  });
});
