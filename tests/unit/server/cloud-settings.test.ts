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
    expect(pinned.body.settings).toEqual({ pinnedAt, mutedUntil: null, archived: false, markedUnread: false });
    const isSettings = (f: ServerFrame) => f.t === 'update' && f.update.kind === 'settings';
    const live = await laptopWs.next<Extract<ServerFrame, { t: 'update' }>>(isSettings);
    expect(live.update).toEqual({ kind: 'settings', cursor: live.update.cursor, peerId: bob.userId, pinnedAt, mutedUntil: null, archived: false, markedUnread: false });

    const until = Date.now() + 3600_000;
    expect((await put(alice, bob, { mutedUntil: until })).body.settings).toEqual({ pinnedAt, mutedUntil: until, archived: false, markedUnread: false });
    expect((await put(alice, bob, { mutedUntil: MUTED_FOREVER })).status).toBe(200);
    expect((await settingsUpdates(alice)).map((u) => [u.pinnedAt, u.mutedUntil])).toEqual([
      [pinnedAt, null],
      [pinnedAt, until],
      [pinnedAt, MUTED_FOREVER]
    ]);
    expect(await summary(alice, bob)).toMatchObject({ pinnedAt, mutedUntil: MUTED_FOREVER });

    // Bob's devices: no frame, no log entry, a plain summary.
    expect(await settingsUpdates(bob)).toEqual([]);
    expect(await summary(bob, alice)).toMatchObject({ pinnedAt: null, mutedUntil: null, archived: false });
    await sendText(rig.ts, alice, bob, 'ping');
    const next = await bobWs.next<Extract<ServerFrame, { t: 'update' }>>((f) => f.t === 'update');
    expect(next.update.kind).toBe('message');

    expect((await put(alice, bob, { pinned: false, mutedUntil: null })).body.settings).toEqual({
      pinnedAt: null,
      mutedUntil: null,
      archived: false,
      markedUnread: false
    });
    laptopWs.close();
    bobWs.close();
  });

  it("archive reaches my other devices; the peer's message, sent or forwarded, unarchives the chat unless muted", async () => {
    const { bob } = rig;
    const dana = await signup(rig.ts);
    const erin = await signup(rig.ts);
    await sendText(rig.ts, bob, dana, 'hi');
    await sendText(rig.ts, erin, bob, 'to forward');
    const phone = await login(rig.ts, dana, 'Phone');
    const phoneWs = await connect(rig.ts, phone.token);
    await phoneWs.next((f) => f.t === 'hello');
    const settingsFrame = (archived: boolean) => (f: ServerFrame) => f.t === 'update' && f.update.kind === 'settings' && f.update.archived === archived;

    expect((await put(dana, bob, { archived: true })).body.settings).toEqual({ pinnedAt: null, mutedUntil: null, archived: true, markedUnread: false });
    await phoneWs.next(settingsFrame(true));
    expect(await summary(dana, bob)).toMatchObject({ archived: true });
    expect(await summary(bob, dana)).toMatchObject({ archived: false });

    // Bob writes: the message, then the settings that take it out of the archive, on every device of Dana's.
    const m = await sendText(rig.ts, bob, dana, 'are you there?');
    const back = await phoneWs.next<Extract<ServerFrame, { t: 'update' }>>(settingsFrame(false));
    const message = phoneWs.frames.find((f) => f.t === 'update' && f.update.kind === 'message' && f.update.message.id === m.id) as Extract<ServerFrame, { t: 'update' }>;
    expect(back.prev).toBe(message.update.cursor);
    expect(await summary(dana, bob)).toMatchObject({ archived: false });
    expect((await settingsUpdates(dana)).map((u) => u.archived)).toEqual([true, false]);
    expect(await settingsUpdates(bob)).toEqual([]);

    // Archived and muted: Bob's message leaves it archived. A forward is a new message too.
    expect((await put(dana, bob, { archived: true, mutedUntil: MUTED_FOREVER })).status).toBe(200);
    await sendText(rig.ts, bob, dana, 'still there?');
    expect(await summary(dana, bob)).toMatchObject({ archived: true });
    expect((await put(dana, bob, { mutedUntil: null })).status).toBe(200);
    const original = (await call<{ messages: { id: string }[] }>(rig.ts, 'GET', `/api/cloud/chats/${erin.userId}/messages`, { token: bob.token })).body.messages[0];
    const fwd = await call(rig.ts, 'POST', '/api/cloud/forward', {
      token: bob.token,
      body: { toUserId: dana.userId, fromPeerId: erin.userId, ids: [original.id], newIds: [crypto.randomUUID()] }
    });
    expect(fwd.status).toBe(200);
    expect(await summary(dana, bob)).toMatchObject({ archived: false });
    phoneWs.close();
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
    expect((await put(carol, peers[5], { mutedUntil: MUTED_FOREVER })).body.settings).toEqual({
      pinnedAt: null,
      mutedUntil: MUTED_FOREVER,
      archived: false,
      markedUnread: false
    });
    expect((await put(carol, peers[0], { pinned: false })).status).toBe(200);
    expect((await put(carol, peers[5], { pinned: true })).status).toBe(200);
  });

  it('refuses a malformed body (400) and a chat I am not in (404)', async () => {
    const { alice, bob, carol } = rig;
    await sendText(rig.ts, alice, bob, 'hey');
    for (const body of [
      {},
      { pinned: 'yes' },
      { archived: 1 },
      { archived: null },
      { mutedUntil: -1 },
      { mutedUntil: 1.5 },
      { mutedUntil: MUTED_FOREVER + 2 },
      { mutedUntil: '1' },
      null,
      []
    ]) {
      const r = await put(alice, bob, body);
      expect([r.status, r.body.error.code]).toEqual([400, 'bad_request']);
    }
    expect((await put(alice, 'not-an-id!', { pinned: true })).status).toBe(400);
    const stranger = await put(carol, bob, { pinned: true });
    expect([stranger.status, stranger.body.error.code]).toEqual([404, 'not_found']);
    expect((await call(rig.ts, 'PUT', `/api/cloud/chats/${bob.userId}/settings`, { body: { pinned: true } })).status).toBe(401);
  });
});
