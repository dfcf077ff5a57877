/**
 * Clear history / delete chat (POST /api/cloud/chats/:peerId/clear), on SQLite and PostgreSQL: for me
 * only (a 'clear' update in my log; my history pages, chat list, sync replay, pins and files leave out
 * what I cleared, the peer keeps all of it; later messages show), delete chat (out of my list until a
 * later message), and for both (every message deleted in one transaction: one 'delete' update per
 * member, files removed, pins gone, unread 0). Bad bodies are 400, a stranger's chat 404.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChatSummary, CloudMessage, ServerFrame, SyncRes, Update } from '../../../src/lib/api/wire';
import { BACKENDS, useRelayOn, type AnyServer } from './backends';
import { call, connect, login, sendText, uuid, type Account } from './helpers';

const clear = (ts: AnyServer, who: Account, peer: Account, body: Record<string, unknown>) =>
  call<{ error: { code: string } }>(ts, 'POST', `/api/cloud/chats/${peer.userId}/clear`, { token: who.token, body });
const history = async (ts: AnyServer, who: Account, peer: Account, before?: number) =>
  (await call<{ messages: CloudMessage[] }>(ts, 'GET', `/api/cloud/chats/${peer.userId}/messages${before ? `?before=${before}` : ''}`, { token: who.token })).body
    .messages;
const chats = async (ts: AnyServer, who: Account) => (await call<{ chats: ChatSummary[] }>(ts, 'GET', '/api/cloud/chats', { token: who.token })).body.chats;
const updates = async (ts: AnyServer, who: Account) => (await call<SyncRes>(ts, 'GET', '/api/sync?after=0&limit=500', { token: who.token })).body.updates;
const texts = (ms: CloudMessage[]) => ms.map((m) => m.text);
const sendFile = async (ts: AnyServer, from: Account, to: Account) => {
  const up = await call<{ id: string }>(ts, 'POST', '/api/cloud/media', {
    token: from.token,
    raw: randomBytes(300),
    headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-user': to.userId, 'x-cinder-mime': 'application/pdf', 'x-cinder-name': 'plan.pdf' }
  });
  expect(up.status).toBe(201);
  const r = await call<{ message: CloudMessage }>(ts, 'POST', '/api/cloud/messages', {
    token: from.token,
    body: { id: uuid(), toUserId: to.userId, text: 'the plan', media: { id: up.body.id, ttl: 0 } }
  });
  expect(r.status).toBe(200);
  return r.body.message;
};
const getMedia = (ts: AnyServer, who: Account, id: string) => fetch(`${ts.url}/api/cloud/media/${id}`, { headers: { authorization: `Bearer ${who.token}` } });
const pin = (ts: AnyServer, who: Account, peer: Account, id: string) =>
  call(ts, 'POST', `/api/cloud/chats/${peer.userId}/pin`, { token: who.token, body: { id, pinned: true } });

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`clearing a cloud chat: ${backend.name}`, () => {
    const rig = useRelayOn(backend.name, ['alice', 'bob', 'carol']);

    it('for me only: gone from my history, list, sync, pins and files on all my devices; the peer keeps it all; later messages show', async () => {
      const { ts, alice, bob, carol } = rig;
      const m1 = await sendText(ts, bob, alice, 'one');
      const file = await sendFile(ts, alice, bob);
      const m3 = await sendText(ts, alice, bob, 'three');
      expect((await pin(ts, bob, alice, m1.id)).status).toBe(204);
      const phone = await login(ts, { username: alice.username, password: alice.password });
      const ws = await connect(ts, phone.token);
      await ws.next((f) => f.t === 'hello');

      expect((await clear(ts, alice, bob, { upTo: m3.seq, forBoth: false, removeChat: false })).status).toBe(204);
      const live = await ws.next<Extract<ServerFrame, { t: 'update' }>>((f) => f.t === 'update' && f.update.kind === 'clear');
      expect(live.update).toEqual({ kind: 'clear', cursor: live.update.cursor, peerId: bob.userId, upTo: m3.seq, removed: false });
      ws.close();

      expect(await history(ts, phone, bob)).toEqual([]);
      expect(await history(ts, alice, bob, m3.seq + 1)).toEqual([]);
      const mine = (await chats(ts, alice)).find((c) => c.peer.id === bob.userId)!;
      expect(mine).toMatchObject({ lastMessage: null, unread: 0, clearedSeq: m3.seq });
      // A new device replaying my log sees none of the cleared messages, nor their pin.
      const log = await updates(ts, phone);
      expect(log.filter((u) => u.kind === 'message')).toEqual([]);
      expect(log.filter((u): u is Extract<Update, { kind: 'pin' }> => u.kind === 'pin').map((u) => u.pins)).toEqual([[]]);
      expect(log.at(-1)).toMatchObject({ kind: 'clear', upTo: m3.seq });
      expect((await getMedia(ts, alice, file.media!.id)).status).toBe(404);
      const forward = await call(ts, 'POST', '/api/cloud/forward', {
        token: alice.token,
        body: { toUserId: carol.userId, fromPeerId: bob.userId, ids: [m1.id], newIds: [uuid()] }
      });
      expect(forward.status).toBe(404);

      // Bob keeps everything, pin and file included.
      expect(texts(await history(ts, bob, alice))).toEqual(['one', 'the plan', 'three']);
      expect((await getMedia(ts, bob, file.media!.id)).status).toBe(200);
      expect((await updates(ts, bob)).filter((u) => u.kind === 'pin').map((u) => (u as Extract<Update, { kind: 'pin' }>).pins.map((p) => p.id))).toEqual([[m1.id]]);

      // A later message shows as usual, and counts as unread.
      await sendText(ts, bob, alice, 'four');
      expect(texts(await history(ts, alice, bob))).toEqual(['four']);
      expect((await chats(ts, alice)).find((c) => c.peer.id === bob.userId)).toMatchObject({ lastMessage: { text: 'four' }, unread: 1 });
      // Clearing again at an older seq lowers nothing and writes nothing.
      const before = (await updates(ts, alice)).length;
      expect((await clear(ts, alice, bob, { upTo: 1, forBoth: false, removeChat: false })).status).toBe(204);
      expect((await updates(ts, alice)).length).toBe(before);
      expect(texts(await history(ts, alice, bob))).toEqual(['four']);
    });

    it('delete chat for me: out of my list until a later message; the peer keeps the chat', async () => {
      const { ts, alice, bob } = rig;
      const m = await sendText(ts, bob, alice, 'hello');
      expect((await clear(ts, alice, bob, { upTo: m.seq, forBoth: false, removeChat: true })).status).toBe(204);
      expect((await chats(ts, alice)).map((c) => c.peer.id)).toEqual([]);
      expect((await chats(ts, bob)).map((c) => c.lastMessage?.text)).toEqual(['hello']);
      await sendText(ts, bob, alice, 'are you there?');
      expect((await chats(ts, alice)).map((c) => [c.peer.id, c.lastMessage?.text])).toEqual([[bob.userId, 'are you there?']]);
    });

    it('for both: every message deleted for both in one delete update each (live too), files removed, pins gone, unread 0', async () => {
      const { ts, alice, bob } = rig;
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push((await sendText(ts, i % 2 ? alice : bob, i % 2 ? bob : alice, `m${i}`)).id);
      const file = await sendFile(ts, bob, alice);
      ids.push(file.id);
      expect((await pin(ts, bob, alice, ids[3])).status).toBe(204);
      const bobWs = await connect(ts, bob.token);
      await bobWs.next((f) => f.t === 'hello');

      expect((await clear(ts, alice, bob, { upTo: file.seq, forBoth: true, removeChat: false })).status).toBe(204);
      const f = await bobWs.next<Extract<ServerFrame, { t: 'update' }>>((x) => x.t === 'update' && x.update.kind === 'delete');
      expect(f.update).toMatchObject({ kind: 'delete', peerId: alice.userId, ids });
      bobWs.close();
      for (const who of [alice, bob]) {
        const peer = who === alice ? bob : alice;
        expect(await history(ts, who, peer)).toEqual([]);
        expect((await chats(ts, who)).find((c) => c.peer.id === peer.userId)).toMatchObject({ lastMessage: null, unread: 0 });
        expect((await updates(ts, who)).filter((u) => u.kind === 'delete')).toHaveLength(1);
        expect((await getMedia(ts, who, file.media!.id)).status).toBe(404);
      }
      expect(await ts.store.listPins((await ts.store.getChat(alice.userId, bob.userId))!.id)).toEqual([]);
      // Bob's chat stays in his list (nothing of his own was cleared), and a new message shows for both.
      await sendText(ts, bob, alice, 'after');
      expect(texts(await history(ts, alice, bob))).toEqual(['after']);
      expect(texts(await history(ts, bob, alice))).toEqual(['after']);
    });

    it('Saved Messages: cleared for real on all my devices; a blocked pair may still clear', async () => {
      const { ts, alice, bob } = rig;
      await sendText(ts, alice, alice, 'note');
      expect((await clear(ts, alice, alice, { upTo: 1, forBoth: false, removeChat: false })).status).toBe(204);
      expect(await history(ts, alice, alice)).toEqual([]);
      expect((await updates(ts, alice)).filter((u) => u.kind === 'delete')).toHaveLength(1);

      const m = await sendText(ts, bob, alice, 'before the block');
      expect((await call(ts, 'PUT', `/api/blocks/${bob.userId}`, { token: alice.token })).status).toBeLessThan(300);
      expect((await clear(ts, bob, alice, { upTo: m.seq, forBoth: true, removeChat: true })).status).toBe(204);
      expect(await history(ts, alice, bob)).toEqual([]);
    });

    it('a message sent live costs no read of the cleared seq (a new message is newer than any clear); an edit still checks', async () => {
      const { ts, alice, bob } = rig;
      await sendText(ts, bob, alice, 'before');
      expect((await clear(ts, alice, bob, { upTo: 1, forBoth: false, removeChat: false })).status).toBe(204);
      const ws = await connect(ts, alice.token);
      await ws.next((f) => f.t === 'hello');
      const read = ts.store.getClearedSeq.bind(ts.store);
      let reads = 0;
      ts.store.getClearedSeq = (chatId, userId) => (reads++, read(chatId, userId));
      const m = await sendText(ts, bob, alice, 'after');
      const live = await ws.next<Extract<ServerFrame, { t: 'update' }>>((f) => f.t === 'update' && f.update.kind === 'message');
      expect(live.update).toMatchObject({ kind: 'message', message: { id: m.id, text: 'after' } });
      expect(reads).toBe(0);
      const edited = await call(ts, 'POST', `/api/cloud/chats/${alice.userId}/edit`, { token: bob.token, body: { id: m.id, text: 'after, edited' } });
      expect(edited.status).toBe(204);
      await ws.next((f) => f.t === 'update' && f.update.kind === 'edit');
      expect(reads).toBeGreaterThan(0);
      ws.close();
    });

    it('with no upTo: up to the newest seq of the chat on the relay (what my device has not synced yet too), for me and for both', async () => {
      const { ts, alice, bob } = rig;
      await sendText(ts, alice, bob, 'seen');
      await sendText(ts, bob, alice, 'not synced yet');
      const newest = await sendText(ts, bob, alice, 'nor this');
      expect((await clear(ts, alice, bob, { forBoth: false, removeChat: false })).status).toBe(204);
      expect(await history(ts, alice, bob)).toEqual([]);
      expect((await chats(ts, alice)).find((c) => c.peer.id === bob.userId)).toMatchObject({ lastMessage: null, unread: 0, clearedSeq: newest.seq });
      expect((await updates(ts, alice)).at(-1)).toMatchObject({ kind: 'clear', upTo: newest.seq, removed: false });
      expect(texts(await history(ts, bob, alice))).toEqual(['seen', 'not synced yet', 'nor this']);

      const last = await sendText(ts, bob, alice, 'one more');
      expect((await clear(ts, alice, bob, { forBoth: true, removeChat: true })).status).toBe(204);
      expect(await history(ts, bob, alice)).toEqual([]);
      expect((await updates(ts, alice)).at(-1)).toMatchObject({ kind: 'clear', upTo: last.seq, removed: true });
      expect((await chats(ts, alice)).map((c) => c.peer.id)).toEqual([]);
    });

    it('an edit, a reaction or a pin of a message I cleared is refused as a missing one (404, same body); the peer still may', async () => {
      const { ts, alice, bob } = rig;
      const mine = await sendText(ts, alice, bob, 'mine');
      const theirs = await sendText(ts, bob, alice, 'theirs');
      expect((await clear(ts, alice, bob, { upTo: theirs.seq, forBoth: false, removeChat: false })).status).toBe(204);
      const missing = await call(ts, 'POST', `/api/cloud/chats/${bob.userId}/edit`, { token: alice.token, body: { id: uuid(), text: 'x' } });
      expect(missing.status).toBe(404);
      const attempts = [
        call(ts, 'POST', `/api/cloud/chats/${bob.userId}/edit`, { token: alice.token, body: { id: mine.id, text: 'mine, edited' } }),
        call(ts, 'POST', `/api/cloud/chats/${bob.userId}/react`, { token: alice.token, body: { id: theirs.id, emoji: '👍' } }),
        call(ts, 'POST', `/api/cloud/chats/${bob.userId}/react`, { token: alice.token, body: { id: mine.id, emoji: null } }),
        pin(ts, alice, bob, theirs.id)
      ];
      for (const r of await Promise.all(attempts)) expect([r.status, r.body]).toEqual([404, missing.body]);
      // Nothing changed for Bob, who cleared nothing: he still reacts to and pins them.
      expect(texts(await history(ts, bob, alice))).toEqual(['mine', 'theirs']);
      expect((await call(ts, 'POST', `/api/cloud/chats/${alice.userId}/react`, { token: bob.token, body: { id: mine.id, emoji: '👍' } })).status).toBe(204);
      expect((await pin(ts, bob, alice, mine.id)).status).toBe(204);
      // A later message of mine is mine to edit.
      const later = await sendText(ts, alice, bob, 'later');
      expect((await call(ts, 'POST', `/api/cloud/chats/${bob.userId}/edit`, { token: alice.token, body: { id: later.id, text: 'later, edited' } })).status).toBe(204);
    });

    it('refuses bad bodies (400) and a chat that is not mine (404), changing nothing', async () => {
      const { ts, alice, bob, carol } = rig;
      const m = await sendText(ts, alice, bob, 'just us');
      for (const body of [
        {},
        { upTo: -1, forBoth: false, removeChat: false },
        { upTo: 1.5, forBoth: false, removeChat: false },
        { upTo: 1, forBoth: 'yes', removeChat: false },
        { upTo: 1, forBoth: false }
      ])
        expect((await clear(ts, alice, bob, body)).status, JSON.stringify(body)).toBe(400);
      const r = await clear(ts, carol, bob, { upTo: m.seq, forBoth: true, removeChat: false });
      expect([r.status, r.body.error.code]).toEqual([404, 'not_found']);
      expect((await call(ts, 'POST', '/api/cloud/chats/not%20an%20id/clear', { token: alice.token, body: { upTo: 1, forBoth: true, removeChat: false } })).status).toBe(
        400
      );
      expect(texts(await history(ts, bob, alice))).toEqual(['just us']);
    });
  });
}
