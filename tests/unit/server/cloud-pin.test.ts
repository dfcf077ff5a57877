// Pinning a cloud message (POST /api/cloud/chats/:peerId/pin): either member, a live message of their
// chat, up to LIMITS.pinnedMessagesMax; a 'pin' update with the chat's pins now in both users' logs
// (every device, live too); a deleted message takes its pin with it.
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../../src/lib/api/limits';
import type { ServerFrame, SyncRes, Update } from '../../../src/lib/api/wire';
import { call, connect, sendText, useRelayWith, uuid, type Account } from './helpers';

const rig = useRelayWith(['alice', 'bob', 'carol']);

const pin = (who: Account, peer: Account, id: unknown, pinned: unknown = true) =>
  call<{ error: { code: string; message: string } }>(rig.ts, 'POST', `/api/cloud/chats/${peer.userId}/pin`, { token: who.token, body: { id, pinned } });
const pinUpdates = async (who: Account) =>
  (await call<SyncRes>(rig.ts, 'GET', '/api/sync?after=0', { token: who.token })).body.updates.filter((u): u is Extract<Update, { kind: 'pin' }> => u.kind === 'pin');

describe('pinning a cloud message', () => {
  it("pins for both members: a pin update in both logs (live too), each with the chat's pins now; unpin clears them", async () => {
    const { alice, bob } = rig;
    const m1 = await sendText(rig.ts, bob, alice, 'the address');
    const m2 = await sendText(rig.ts, alice, bob, 'the time');
    const bobWs = await connect(rig.ts, bob.token);
    await bobWs.next((f) => f.t === 'hello');

    expect((await pin(alice, bob, m1.id)).status).toBe(204);
    const f = await bobWs.next<Extract<ServerFrame, { t: 'update' }>>((x) => x.t === 'update' && x.update.kind === 'pin');
    expect(f.update).toEqual({ kind: 'pin', cursor: f.update.cursor, peerId: alice.userId, pins: [{ id: m1.id, at: expect.any(Number) }] });
    bobWs.close();
    expect((await pin(bob, alice, m2.id)).status).toBe(204);
    // Each update is served with the pins as they are now, newest pin first.
    const now = (await pinUpdates(alice)).map((u) => u.pins.map((p) => p.id));
    expect(now).toEqual([
      [m2.id, m1.id],
      [m2.id, m1.id]
    ]);
    // Pinning again changes nothing; unpinning clears it for both.
    expect((await pin(bob, alice, m2.id)).status).toBe(204);
    expect((await pinUpdates(bob)).length).toBe(2);
    expect((await pin(bob, alice, m2.id, false)).status).toBe(204);
    expect((await pin(alice, bob, m1.id, false)).status).toBe(204);
    expect((await pinUpdates(bob)).at(-1)?.pins).toEqual([]);
    expect((await pinUpdates(alice)).length).toBe(4);
  });

  it('a stranger gets 404, and so does a message of another chat or none; bad bodies are 400', async () => {
    const { alice, bob, carol } = rig;
    const m = await sendText(rig.ts, alice, bob, 'just us');
    expect((await pin(carol, bob, m.id)).status).toBe(404);
    await sendText(rig.ts, carol, alice, 'hi alice');
    const r = await pin(carol, alice, m.id);
    expect([r.status, r.body.error.code]).toEqual([404, 'not_found']);
    expect((await pin(alice, bob, uuid())).status).toBe(404);
    for (const [id, pinned] of [
      ['not-a-uuid', true],
      [m.id, 'yes'],
      [m.id, null]
    ])
      expect((await pin(alice, bob, id, pinned)).status).toBe(400);
    expect((await call(rig.ts, 'POST', `/api/cloud/chats/${bob.userId}/pin`, { token: alice.token, body: { id: m.id } })).status).toBe(400);
    expect(await pinUpdates(bob)).toEqual([]);
  });

  it('refuses a deleted message (410); deleting a pinned message unpins it', async () => {
    const { alice, bob } = rig;
    const m = await sendText(rig.ts, alice, bob, 'soon gone');
    expect((await pin(bob, alice, m.id)).status).toBe(204);
    await call(rig.ts, 'POST', `/api/cloud/chats/${bob.userId}/delete`, { token: alice.token, body: { ids: [m.id] } });
    const r = await pin(bob, alice, m.id);
    expect([r.status, r.body.error.code]).toEqual([410, 'gone']);
    // A new device's replay: the pin update is served with the pins now (none).
    expect((await pinUpdates(bob)).map((u) => u.pins)).toEqual([[]]);
  });

  it(`allows up to ${LIMITS.pinnedMessagesMax} pins in a chat, then 409 too_many_pinned with a clear message`, async () => {
    const { alice, bob } = rig;
    const ids: string[] = [];
    for (let i = 0; i <= LIMITS.pinnedMessagesMax; i++) ids.push((await sendText(rig.ts, alice, bob, `m${i}`)).id);
    for (const id of ids.slice(0, LIMITS.pinnedMessagesMax)) expect((await pin(alice, bob, id)).status).toBe(204);
    const r = await pin(bob, alice, ids.at(-1));
    expect([r.status, r.body.error.code]).toEqual([409, 'too_many_pinned']);
    expect(r.body.error.message).toMatch(/up to 20/);
    expect((await pin(bob, alice, ids[0], false)).status).toBe(204);
    expect((await pin(bob, alice, ids.at(-1))).status).toBe(204);
  });
});
