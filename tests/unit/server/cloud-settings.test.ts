// My own settings of a cloud chat (PUT /api/cloud/chats/:peerId/settings): pin and mute, synced to every
// device of mine (live and by /api/sync, and on the chat summaries), never to the peer; at most
// LIMITS.pinnedMax pinned (409 too_many_pinned); a malformed body or a chat I am not in refused clearly.
import { describe, expect, it } from 'vitest';
import { MUTED_FOREVER } from '../../../src/lib/api/limits';
import type { ChatSummary, ServerFrame, SyncRes, Update } from '../../../src/lib/api/wire';
import { call, connect, login, sendText, signup, useRelayWith, type Account } from './helpers';

const rig = useRelayWith(['alice', 'bob', 'carol']);

const put = (who: Account, peer: Account | string, body: unknown) =>
  call(rig.ts, 'PUT', `/api/cloud/chats/${typeof peer === 'string' ? peer : peer.userId}/settings`, { token: who.token, body });
const settingsUpdates = async (who: Account) =>
  (await call<SyncRes>(rig.ts, 'GET', '/api/sync?after=0', { token: who.token })).body.updates.filter(
    (u): u is Extract<Update, { kind: 'settings' }> => u.kind === 'settings'
  );
const summary = async (who: Account, peer: Account) =>
  (await call<{ chats: ChatSummary[] }>(rig.ts, 'GET', '/api/cloud/chats', { token: who.token })).body.chats.find((c) => c.peer.id === peer.userId);

describe("a cloud chat's own settings", () => {
  it('pin and mute reach my other devices live and by sync, and the summaries; the peer learns nothing', async () => {
    const { alice, bob } = rig;
    await sendText(rig.ts, bob, alice, 'hi');
    const laptop = await login(rig.ts, { username: 'alice', password: 'correct horse battery' }, 'Laptop');
    const laptopWs = await connect(rig.ts, laptop.token);
    const bobWs = await connect(rig.ts, bob.token);
    await laptopWs.next((f) => f.t === 'hello');
    await bobWs.next((f) => f.t === 'hello');

    const pinned = await put(alice, bob, { pinned: true });
    expect(pinned.status).toBe(200);
    const pinnedAt = pinned.body.settings.pinnedAt as number;
    expect(pinned.body.settings).toEqual({ pinnedAt, mutedUntil: null });
    const isSettings = (f: ServerFrame) => f.t === 'update' && f.update.kind === 'settings';
    const live = await laptopWs.next<Extract<ServerFrame, { t: 'update' }>>(isSettings);
    expect(live.update).toEqual({ kind: 'settings', cursor: live.update.cursor, peerId: bob.userId, pinnedAt, mutedUntil: null });

    const until = Date.now() + 3600_000;
    expect((await put(alice, bob, { mutedUntil: until })).body.settings).toEqual({ pinnedAt, mutedUntil: until });
    expect((await put(alice, bob, { mutedUntil: MUTED_FOREVER })).status).toBe(200);
    expect((await settingsUpdates(alice)).map((u) => [u.pinnedAt, u.mutedUntil])).toEqual([
      [pinnedAt, null],
      [pinnedAt, until],
      [pinnedAt, MUTED_FOREVER]
    ]);
    expect(await summary(alice, bob)).toMatchObject({ pinnedAt, mutedUntil: MUTED_FOREVER });

    // Bob's devices: no frame, no log entry, a plain summary.
    expect(await settingsUpdates(bob)).toEqual([]);
    expect(await summary(bob, alice)).toMatchObject({ pinnedAt: null, mutedUntil: null });
    await sendText(rig.ts, alice, bob, 'ping');
    const next = await bobWs.next<Extract<ServerFrame, { t: 'update' }>>((f) => f.t === 'update');
    expect(next.update.kind).toBe('message');

    expect((await put(alice, bob, { pinned: false, mutedUntil: null })).body.settings).toEqual({ pinnedAt: null, mutedUntil: null });
    laptopWs.close();
    bobWs.close();
  });

  it('refuses a sixth pinned chat with 409 too_many_pinned, and pins again once one is unpinned', async () => {
    const { carol } = rig;
    const peers: Account[] = [];
    for (let i = 0; i < 6; i++) {
      const p = await signup(rig.ts);
      await sendText(rig.ts, p, carol, `hello ${i}`);
      peers.push(p);
    }
    for (const p of peers.slice(0, 5)) expect((await put(carol, p, { pinned: true })).status).toBe(200);
    const refused = await put(carol, peers[5], { pinned: true });
    expect([refused.status, refused.body.error.code, refused.body.error.message]).toEqual([409, 'too_many_pinned', 'Unpin a chat first: up to 5']);
    // Muting is not limited; the refused pin stored nothing.
    expect((await put(carol, peers[5], { mutedUntil: MUTED_FOREVER })).body.settings).toEqual({ pinnedAt: null, mutedUntil: MUTED_FOREVER });
    expect((await put(carol, peers[0], { pinned: false })).status).toBe(200);
    expect((await put(carol, peers[5], { pinned: true })).status).toBe(200);
  });

  it('refuses a malformed body (400) and a chat I am not in (404)', async () => {
    const { alice, bob, carol } = rig;
    await sendText(rig.ts, alice, bob, 'hey');
    for (const body of [{}, { pinned: 'yes' }, { mutedUntil: -1 }, { mutedUntil: 1.5 }, { mutedUntil: MUTED_FOREVER + 2 }, { mutedUntil: '1' }, null, []]) {
      const r = await put(alice, bob, body);
      expect([r.status, r.body.error.code]).toEqual([400, 'bad_request']);
    }
    expect((await put(alice, 'not-an-id!', { pinned: true })).status).toBe(400);
    const stranger = await put(carol, bob, { pinned: true });
    expect([stranger.status, stranger.body.error.code]).toEqual([404, 'not_found']);
    expect((await call(rig.ts, 'PUT', `/api/cloud/chats/${bob.userId}/settings`, { body: { pinned: true } })).status).toBe(401);
  });
});
