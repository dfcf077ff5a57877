/**
 * Forwarding cloud messages (POST /api/cloud/forward), on SQLite and PostgreSQL: the relay copies the
 * originals from the forwarder's own chat (text, a new copy of the attachment, no reply, quote or
 * reactions) and names their first origin itself; it refuses what is not in that chat, deleted
 * messages and self-destructing media, changing nothing; a repeated request makes no second copy; the
 * copies reach every device of both users through the log and live; a copy costs what a send does.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CloudMessage, type ServerFrame, type SyncRes } from '../../../src/lib/api/wire';
import { BACKENDS, startOn, useRelayOn, type AnyServer } from './backends';
import { call, connect, login, sendText, signup, uuid, type Account } from './helpers';

type Wire = import('../../../src/lib/api/wire').CloudMessage;

const forward = (ts: AnyServer, who: Account, body: Record<string, unknown>) =>
  call<{ messages: Wire[]; error: { code: string; message: string } }>(ts, 'POST', '/api/cloud/forward', { token: who.token, body });
const history = async (ts: AnyServer, who: Account, peer: Account) =>
  (await call<{ messages: Wire[] }>(ts, 'GET', `/api/cloud/chats/${peer.userId}/messages`, { token: who.token })).body.messages ?? [];
const syncMessages = async (ts: AnyServer, who: Account) =>
  (await call<SyncRes>(ts, 'GET', '/api/sync?after=0', { token: who.token })).body.updates.flatMap((u) => (u.kind === 'message' ? [u.message] : []));
const upload = async (ts: AnyServer, from: Account, to: Account, bytes: Buffer) => {
  const r = await call<{ id: string }>(ts, 'POST', '/api/cloud/media', {
    token: from.token,
    raw: bytes,
    headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-user': to.userId, 'x-cinder-mime': 'application/pdf', 'x-cinder-name': 'plan.pdf' }
  });
  expect(r.status).toBe(201);
  return r.body.id;
};
const sendFile = async (ts: AnyServer, from: Account, to: Account, bytes: Buffer, ttl = 0) => {
  const media = await upload(ts, from, to, bytes);
  const r = await call<{ message: Wire }>(ts, 'POST', '/api/cloud/messages', {
    token: from.token,
    body: { id: uuid(), toUserId: to.userId, text: 'the plan', media: { id: media, ttl } }
  });
  expect(r.status).toBe(200);
  return r.body.message;
};

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`forwarding cloud messages: ${backend.name}`, () => {
    const rig = useRelayOn(backend.name, ['alice', 'bob', 'carol']);

    it('copies the originals in order, naming their author and time, to every device of both users (log and live)', async () => {
      const { ts, alice, bob, carol } = rig;
      const first = await sendText(ts, bob, alice, 'the meeting moved to 3');
      // A reply with a reaction: the copy carries neither.
      const reply = await call<{ message: Wire }>(ts, 'POST', '/api/cloud/messages', {
        token: alice.token,
        body: { id: uuid(), toUserId: bob.userId, text: 'noted', replyTo: first.id, quote: { snippet: 'the meeting moved to 3', from: 'recipient' } }
      });
      await call(ts, 'POST', `/api/cloud/chats/${alice.userId}/react`, { token: bob.token, body: { id: reply.body.message.id, emoji: '👍' } });
      const carolWs = await connect(ts, carol.token);
      await carolWs.next((f) => f.t === 'hello');
      const laptop = await login(ts, { username: alice.username, password: alice.password }, 'Laptop');

      const newIds = [uuid(), uuid()];
      const r = await forward(ts, alice, { toUserId: carol.userId, fromPeerId: bob.userId, ids: [first.id, reply.body.message.id], newIds });
      expect(r.status).toBe(200);
      const copies = r.body.messages.map((m) => CloudMessage.parse(m));
      expect(copies.map((m) => [m.id, m.peerId, m.senderId, m.text, m.replyTo, m.quote, m.reactions])).toEqual([
        [newIds[0], carol.userId, alice.userId, 'the meeting moved to 3', null, undefined, undefined],
        [newIds[1], carol.userId, alice.userId, 'noted', null, undefined, undefined]
      ]);
      expect(copies[0].forwardedFrom).toEqual({
        userId: bob.userId,
        createdAt: first.createdAt,
        user: { id: bob.userId, username: bob.username, displayName: bob.username }
      });
      expect(copies[1].forwardedFrom).toMatchObject({ userId: alice.userId, createdAt: reply.body.message.createdAt });
      expect(copies[1].seq).toBe(copies[0].seq + 1);

      // Carol: live, in her log and her history; Alice's other device: in her log.
      const live = await carolWs.next<Extract<ServerFrame, { t: 'update' }>>((f) => f.t === 'update' && f.update.kind === 'message');
      expect(live.update).toMatchObject({ kind: 'message', message: { id: newIds[0], peerId: alice.userId, forwardedFrom: { userId: bob.userId } } });
      carolWs.close();
      expect((await syncMessages(ts, carol)).map((m) => [m.id, m.forwardedFrom?.userId])).toEqual([
        [newIds[0], bob.userId],
        [newIds[1], alice.userId]
      ]);
      expect((await history(ts, carol, alice)).map((m) => m.forwardedFrom?.createdAt)).toEqual([first.createdAt, reply.body.message.createdAt]);
      expect((await syncMessages(ts, laptop)).filter((m) => m.forwardedFrom).map((m) => m.id)).toEqual(newIds);
      // The originals are untouched.
      expect((await history(ts, bob, alice)).map((m) => [m.text, m.forwardedFrom])).toEqual([
        ['the meeting moved to 3', undefined],
        ['noted', undefined]
      ]);
    });

    it('a copy of a copy keeps the first origin; a copy cannot be edited; a deleted author shows as a deleted account', async () => {
      const { ts, alice, bob, carol } = rig;
      const m = await sendText(ts, bob, alice, 'original words');
      const [copy] = (await forward(ts, alice, { toUserId: carol.userId, fromPeerId: bob.userId, ids: [m.id], newIds: [uuid()] })).body.messages;
      const again = await forward(ts, carol, { toUserId: bob.userId, fromPeerId: alice.userId, ids: [copy.id], newIds: [uuid()] });
      expect(again.status).toBe(200);
      expect(again.body.messages[0]).toMatchObject({ senderId: carol.userId, text: 'original words', forwardedFrom: { userId: bob.userId, createdAt: m.createdAt } });
      // Its words are its author's: the forwarder cannot edit them.
      const edit = await call(ts, 'POST', `/api/cloud/chats/${carol.userId}/edit`, { token: alice.token, body: { id: copy.id, text: 'other words' } });
      expect([edit.status, edit.body.error.code]).toEqual([403, 'not_editable']);

      expect((await call(ts, 'POST', '/api/account/delete', { token: bob.token, body: { password: bob.password, confirm: bob.username } })).status).toBe(204);
      const [seen] = await history(ts, carol, alice);
      expect(seen.forwardedFrom).toEqual({
        userId: bob.userId,
        createdAt: m.createdAt,
        user: { id: bob.userId, username: '', displayName: 'Deleted account', deleted: true }
      });
    });

    it('refuses ids not in that chat, deleted messages, timed media and a gone recipient, storing nothing', async () => {
      const { ts, alice, bob, carol } = rig;
      const ok = await sendText(ts, bob, alice, 'fine to forward');
      const elsewhere = await sendText(ts, carol, bob, 'between carol and bob');
      const deleted = await sendText(ts, bob, alice, 'regretted');
      await call(ts, 'POST', `/api/cloud/chats/${alice.userId}/delete`, { token: bob.token, body: { ids: [deleted.id] } });
      const timed = await sendFile(ts, bob, alice, randomBytes(2000), 10);
      const to = (ids: string[], toUserId = carol.userId) => forward(ts, alice, { toUserId, fromPeerId: bob.userId, ids, newIds: ids.map(() => uuid()) });

      const cases: [string[], number, string, RegExp][] = [
        [[ok.id, elsewhere.id], 404, 'not_found', new RegExp(`no such message in this chat: ${elsewhere.id}`)],
        [[ok.id, uuid()], 404, 'not_found', /no such message in this chat/],
        [[ok.id, deleted.id], 410, 'gone', /was deleted/],
        [[ok.id, timed.id], 403, 'not_forwardable', /self-destructing attachment/]
      ];
      for (const [ids, status, code, message] of cases) {
        const r = await to(ids);
        expect([r.status, r.body.error.code], code).toEqual([status, code]);
        expect(r.body.error.message).toMatch(message);
      }
      // Out of a chat Alice does not have, and to nobody.
      expect((await forward(ts, alice, { toUserId: bob.userId, fromPeerId: carol.userId, ids: [elsewhere.id], newIds: [uuid()] })).status).toBe(404);
      expect((await to([ok.id], 'nobody')).status).toBe(404);
      expect(await history(ts, carol, alice)).toEqual([]);

      // Malformed requests: a clear 400.
      const bad = [
        { toUserId: carol.userId, fromPeerId: bob.userId, ids: [ok.id], newIds: [] },
        { toUserId: carol.userId, fromPeerId: bob.userId, ids: [ok.id, ok.id], newIds: [uuid(), uuid()] },
        { toUserId: carol.userId, fromPeerId: bob.userId, ids: [ok.id], newIds: [ok.id] },
        { toUserId: carol.userId, fromPeerId: bob.userId, ids: [], newIds: [] },
        { toUserId: carol.userId, fromPeerId: bob.userId, ids: Array.from({ length: 101 }, uuid), newIds: Array.from({ length: 101 }, uuid) }
      ];
      for (const body of bad) expect((await forward(ts, alice, body)).status, JSON.stringify(body).slice(0, 80)).toBe(400);

      // A recipient whose account was deleted.
      expect((await call(ts, 'POST', '/api/account/delete', { token: carol.token, body: { password: carol.password, confirm: carol.username } })).status).toBe(204);
      const gone = await to([ok.id]);
      expect([gone.status, gone.body.error.code]).toEqual([410, 'gone']);
    });

    it('the same request again makes no second copy; a new id another message holds is a conflict', async () => {
      const { ts, alice, bob, carol } = rig;
      const m = await sendText(ts, bob, alice, 'once only');
      const body = { toUserId: carol.userId, fromPeerId: bob.userId, ids: [m.id], newIds: [uuid()] };
      const a = await forward(ts, alice, body);
      const b = await forward(ts, alice, body);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(b.body.messages).toEqual(a.body.messages);
      expect((await history(ts, carol, alice)).map((x) => x.id)).toEqual(body.newIds);
      // Part done before: only the missing copy is made, in place.
      const m2 = await sendText(ts, bob, alice, 'twice');
      const more = await forward(ts, alice, { ...body, ids: [m.id, m2.id], newIds: [body.newIds[0], uuid()] });
      expect(more.body.messages.map((x) => x.text)).toEqual(['once only', 'twice']);
      expect((await history(ts, carol, alice)).map((x) => x.text)).toEqual(['once only', 'twice']);
      // An id of another message (Bob's), or of my copy in another chat.
      const taken = await forward(ts, alice, { ...body, newIds: [m.id === body.newIds[0] ? uuid() : m2.id] });
      expect([taken.status, taken.body.error.code]).toEqual([409, 'conflict']);
      const otherChat = await forward(ts, alice, { toUserId: bob.userId, fromPeerId: bob.userId, ids: [m.id], newIds: body.newIds });
      expect(otherChat.status).toBe(409);
    });

    it('a forward that waited offline keeps the time it was made (writtenAt, as a send does); a clock far off does not', async () => {
      const { ts, alice, bob, carol } = rig;
      const m = await sendText(ts, bob, alice, 'made in a tunnel');
      const before = Date.now();
      const writtenAt = before - 60_000;
      const r = await forward(ts, alice, { toUserId: carol.userId, fromPeerId: bob.userId, ids: [m.id], newIds: [uuid()], writtenAt });
      expect(r.status).toBe(200);
      expect(r.body.messages[0].createdAt).toBe(writtenAt);
      expect((await history(ts, carol, alice))[0].createdAt).toBe(writtenAt);
      // In the future, or older than the limit: the relay's time.
      for (const far of [before + 3_600_000, before - 30 * 24 * 3600_000]) {
        const c = await forward(ts, alice, { toUserId: carol.userId, fromPeerId: bob.userId, ids: [m.id], newIds: [uuid()], writtenAt: far });
        expect(c.body.messages[0].createdAt).toBeGreaterThanOrEqual(before);
      }
      const bad = await forward(ts, alice, { toUserId: carol.userId, fromPeerId: bob.userId, ids: [m.id], newIds: [uuid()], writtenAt: -1 });
      expect(bad.status).toBe(400);
    });

    it("copies the attachment for the new recipient: the same bytes under a new id, the forwarder's quota, independent of the original", async () => {
      const { ts, alice, bob, carol } = rig;
      const bytes = randomBytes(150_000);
      const original = await sendFile(ts, bob, alice, bytes);
      const r = await forward(ts, alice, { toUserId: carol.userId, fromPeerId: bob.userId, ids: [original.id], newIds: [uuid()] });
      expect(r.status).toBe(200);
      const copy = CloudMessage.parse(r.body.messages[0]);
      expect(copy.media).toMatchObject({ mime: 'application/pdf', name: 'plan.pdf', size: bytes.length, ttl: 0 });
      expect(copy.media!.id).not.toBe(original.media!.id);
      expect(copy.text).toBe('the plan');
      expect(await ts.store.cloudMediaUsage(alice.userId)).toBe(bytes.length);

      // The original goes; Carol still downloads her copy whole.
      await call(ts, 'POST', `/api/cloud/chats/${alice.userId}/delete`, { token: bob.token, body: { ids: [original.id] } });
      const got = await fetch(`${ts.url}/api/cloud/media/${copy.media!.id}`, { headers: { authorization: `Bearer ${carol.token}` } });
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
      // Bob, who is no member of that chat, does not.
      expect((await call(ts, 'GET', `/api/cloud/media/${copy.media!.id}`, { token: bob.token })).status).toBe(404);
    });

    it('a copy counts as a sent message against the rate limit', async () => {
      // A relay of its own, with a low limit (closed after the test in its place).
      await rig.ts.close();
      const ts = (rig.ts = await startOn(backend.name, { SEND_RATE_BURST: '3', SEND_RATE_PER_SEC: '1' }));
      const [alice, bob, carol] = [await signup(ts), await signup(ts), await signup(ts)];
      const ids = [];
      for (const t of ['a', 'b', 'c']) ids.push((await sendText(ts, bob, alice, t)).id);
      expect((await forward(ts, alice, { toUserId: carol.userId, fromPeerId: bob.userId, ids, newIds: ids.map(() => uuid()) })).status).toBe(200);
      const r = await call(ts, 'POST', '/api/cloud/messages', { token: alice.token, body: { id: uuid(), toUserId: carol.userId, text: 'one more' } });
      expect(r.status).toBe(429);
    });
  });
}
