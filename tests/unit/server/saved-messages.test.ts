/**
 * Saved Messages (a cloud chat with oneself), on SQLite and PostgreSQL: the chat's only member gets one
 * copy of every change in their log (a note, a forward into it, an edit, a reaction, a pin, a delete),
 * each device of theirs live too; nothing counts as unread; my block list never refuses writing to
 * myself; a file there cannot have a self-destruct timer (no other reader would ever open it).
 */
import { describe, expect, it } from 'vitest';
import type { ChatSummary, SyncRes, Update } from '../../../src/lib/api/wire';
import { BACKENDS, useRelayOn, type AnyServer } from './backends';
import { call, connect, login, sendText, uuid, type Account } from './helpers';

const log = async (ts: AnyServer, who: Account, after = 0): Promise<Update[]> =>
  (await call<SyncRes>(ts, 'GET', `/api/sync?after=${after}`, { token: who.token })).body.updates;
const cursorOf = async (ts: AnyServer, who: Account) => (await call<SyncRes>(ts, 'GET', '/api/sync?after=0&limit=500', { token: who.token })).body.cursor;
const chats = async (ts: AnyServer, who: Account) => (await call<{ chats: ChatSummary[] }>(ts, 'GET', '/api/cloud/chats', { token: who.token })).body.chats;

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`Saved Messages: ${backend.name}`, () => {
    const rig = useRelayOn(backend.name, ['alice', 'bob']);

    it('notes, a forward into it, an edit, a reaction, a pin and a delete: one update each, to every device of mine, live', async () => {
      const { ts, alice, bob } = rig;
      const laptop = await login(ts, { username: alice.username, password: alice.password }, 'Laptop');
      const ws = await connect(ts, laptop.token);
      await ws.next((f) => f.t === 'hello');
      const fromBob = await sendText(ts, bob, alice, 'the door code is 4521');
      const start = await cursorOf(ts, alice);

      const note = await sendText(ts, alice, alice, 'buy milk');
      expect(note).toMatchObject({ peerId: alice.userId, senderId: alice.userId, seq: 1 });
      const fwd = await call(ts, 'POST', '/api/cloud/forward', {
        token: alice.token,
        body: { toUserId: alice.userId, fromPeerId: bob.userId, ids: [fromBob.id], newIds: [uuid()] }
      });
      expect(fwd.status).toBe(200);
      expect(fwd.body.messages[0]).toMatchObject({ peerId: alice.userId, text: 'the door code is 4521', forwardedFrom: { userId: bob.userId } });
      const me = `/api/cloud/chats/${alice.userId}`;
      expect((await call(ts, 'POST', `${me}/edit`, { token: alice.token, body: { id: note.id, text: 'buy oat milk' } })).status).toBe(204);
      expect((await call(ts, 'POST', `${me}/react`, { token: alice.token, body: { id: note.id, emoji: '👍' } })).status).toBe(204);
      expect((await call(ts, 'POST', `${me}/pin`, { token: alice.token, body: { id: note.id, pinned: true } })).status).toBe(204);

      // One copy of each in my log (not two: I am the chat's only member).
      const updates = await log(ts, alice, start);
      expect(updates.map((u) => u.kind)).toEqual(['message', 'message', 'edit', 'react', 'pin']);
      expect(updates.every((u) => (u.kind === 'message' ? u.message.peerId : 'peerId' in u ? u.peerId : null) === alice.userId)).toBe(true);
      const react = updates.find((u) => u.kind === 'react');
      expect(react?.kind === 'react' && react.reactions).toEqual([{ userId: alice.userId, emoji: '👍' }]);
      const afterPin = await cursorOf(ts, alice);
      expect((await call(ts, 'POST', `${me}/delete`, { token: alice.token, body: { ids: [fwd.body.messages[0].id] } })).status).toBe(204);
      expect((await log(ts, alice, afterPin)).map((u) => u.kind)).toEqual(['delete']);
      // The laptop got them live, each once.
      for (const kind of ['edit', 'react', 'pin', 'delete']) await ws.next((f) => f.t === 'update' && f.update.kind === kind);
      const live = ws.frames.flatMap((f) => (f.t === 'update' && f.update.kind === 'message' && f.update.message.peerId === alice.userId ? [f.update.message.id] : []));
      expect(live).toEqual([note.id, fwd.body.messages[0].id]);
      // Bob's log knows nothing of it.
      expect((await log(ts, bob)).map((u) => u.kind)).toEqual(['message']);

      // The chat list: my own chat, nothing unread; the history holds the edited note.
      const mine = (await chats(ts, alice)).find((c) => c.peer.id === alice.userId);
      expect(mine).toMatchObject({ unread: 0, lastMessage: { id: note.id, text: 'buy oat milk' } });
      const history = await call(ts, 'GET', `${me}/messages`, { token: alice.token });
      expect(history.body.messages.map((m: { text: string }) => m.text)).toEqual(['buy oat milk']);
      ws.close();
    });

    it('my block list never refuses writing to myself', async () => {
      const { ts, alice, bob } = rig;
      expect((await call(ts, 'PUT', `/api/blocks/${bob.userId}`, { token: alice.token })).status).toBe(200);
      const note = await sendText(ts, alice, alice, 'still mine');
      expect(note.peerId).toBe(alice.userId);
      const r = await call(ts, 'POST', `/api/cloud/chats/${alice.userId}/react`, { token: alice.token, body: { id: note.id, emoji: '❤️' } });
      expect(r.status).toBe(204);
    });

    it('refuses a self-destruct timer on a file there (no other reader would open it); one without a timer goes', async () => {
      const { ts, alice } = rig;
      const upload = async () => {
        const r = await call<{ id: string }>(ts, 'POST', '/api/cloud/media', {
          token: alice.token,
          raw: Buffer.from('%PDF-1.4 saved'),
          headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-user': alice.userId, 'x-cinder-mime': 'application/pdf', 'x-cinder-name': 'plan.pdf' }
        });
        expect(r.status).toBe(201);
        return r.body.id;
      };
      const media = await upload();
      const timed = await call(ts, 'POST', '/api/cloud/messages', {
        token: alice.token,
        body: { id: uuid(), toUserId: alice.userId, text: '', media: { id: media, ttl: 30 } }
      });
      expect(timed.status).toBe(400);
      expect(timed.body.error.message).toBe('A file in Saved Messages cannot have a self-destruct timer.');
      const kept = await call(ts, 'POST', '/api/cloud/messages', {
        token: alice.token,
        body: { id: uuid(), toUserId: alice.userId, text: 'the plan', media: { id: media, ttl: 0 } }
      });
      expect(kept.status).toBe(200);
      expect(kept.body.message.media).toMatchObject({ name: 'plan.pdf', ttl: 0 });
    });
  });
}
