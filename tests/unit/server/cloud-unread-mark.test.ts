/**
 * "Mark as unread" of a cloud chat (PUT /api/cloud/chats/:peerId/settings `markedUnread`), on SQLite and
 * PostgreSQL: set and cleared, on my other devices live (the `settings` update) and by sync, on my chat
 * summary; the peer learns nothing. Never in Saved Messages. "Mark as read" moves my read marker through
 * POST /read, which gives the peer their ticks and starts no self-destruct timer of a timed file (those
 * start only when the file is opened, POST /api/cloud/media/:id/opened).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChatSummary, CloudMessage, ServerFrame, SyncRes, Update } from '../../../src/lib/api/wire';
import { BACKENDS, useRelayOn, type AnyServer } from './backends';
import { call, connect, login, sendText, uuid, type Account } from './helpers';

type SettingsUpdate = Extract<Update, { kind: 'settings' }>;

const put = (ts: AnyServer, who: Account, peer: Account, body: unknown) => call(ts, 'PUT', `/api/cloud/chats/${peer.userId}/settings`, { token: who.token, body });
const summary = async (ts: AnyServer, who: Account, peer: Account) =>
  (await call<{ chats: ChatSummary[] }>(ts, 'GET', '/api/cloud/chats', { token: who.token })).body.chats.find((c) => c.peer.id === peer.userId);
const settingsLog = async (ts: AnyServer, who: Account) =>
  (await call<SyncRes>(ts, 'GET', '/api/sync?after=0&limit=500', { token: who.token })).body.updates.filter((u): u is SettingsUpdate => u.kind === 'settings');

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`a cloud chat marked as unread: ${backend.name}`, () => {
    const rig = useRelayOn(backend.name, ['alice', 'bob']);

    it('is set and cleared on all my devices (live and by sync) and on my summary; the peer learns nothing', async () => {
      const { ts, alice, bob } = rig;
      await sendText(ts, bob, alice, 'hi');
      const phone = await login(ts, { username: alice.username, password: alice.password }, 'Phone');
      const phoneWs = await connect(ts, phone.token);
      const bobWs = await connect(ts, bob.token);
      await phoneWs.next((f) => f.t === 'hello');
      await bobWs.next((f) => f.t === 'hello');
      const settingsFrame = (marked: boolean) => (f: ServerFrame) => f.t === 'update' && f.update.kind === 'settings' && f.update.markedUnread === marked;

      const marked = await put(ts, alice, bob, { markedUnread: true });
      expect([marked.status, marked.body.settings]).toEqual([200, { pinnedAt: null, mutedUntil: null, archived: false, markedUnread: true }]);
      const live = await phoneWs.next<Extract<ServerFrame, { t: 'update' }>>(settingsFrame(true));
      expect(live.update).toEqual({
        kind: 'settings',
        cursor: live.update.cursor,
        peerId: bob.userId,
        pinnedAt: null,
        mutedUntil: null,
        archived: false,
        markedUnread: true
      });
      expect(await summary(ts, phone, bob)).toMatchObject({ markedUnread: true, unread: 1 });

      // Merged with an archive in one change (as a device's offline queue sends them), and kept by a mute.
      expect((await put(ts, alice, bob, { archived: true, markedUnread: true })).body.settings).toMatchObject({ archived: true, markedUnread: true });
      expect((await put(ts, alice, bob, { mutedUntil: Date.now() + 3600_000 })).body.settings).toMatchObject({ archived: true, markedUnread: true });

      // Opened on the phone: cleared everywhere.
      expect((await put(ts, phone, bob, { markedUnread: false })).body.settings).toMatchObject({ archived: true, markedUnread: false });
      await phoneWs.next(settingsFrame(false));
      expect(await summary(ts, alice, bob)).toMatchObject({ markedUnread: false });
      expect((await settingsLog(ts, alice)).map((u) => u.markedUnread)).toEqual([true, true, true, false]);

      // Bob: no settings frame, no log entry, a plain summary.
      expect(await settingsLog(ts, bob)).toEqual([]);
      expect(await summary(ts, bob, alice)).toMatchObject({ markedUnread: false });
      await sendText(ts, alice, bob, 'ping');
      const next = await bobWs.next<Extract<ServerFrame, { t: 'update' }>>((f) => f.t === 'update');
      expect(next.update.kind).toBe('message');
      expect(bobWs.frames.some((f) => f.t === 'update' && f.update.kind === 'settings')).toBe(false);
      phoneWs.close();
      bobWs.close();
    });

    it('is refused for Saved Messages (400) and for a malformed body; clearing it there is harmless', async () => {
      const { ts, alice, bob } = rig;
      await sendText(ts, alice, alice, 'a note');
      const self = await put(ts, alice, alice, { markedUnread: true });
      expect([self.status, self.body.error.code]).toEqual([400, 'bad_request']);
      expect(await summary(ts, alice, alice)).toMatchObject({ markedUnread: false });
      expect((await put(ts, alice, alice, { markedUnread: false })).status).toBe(200);
      await sendText(ts, bob, alice, 'hi');
      for (const body of [{ markedUnread: 'yes' }, { markedUnread: null }, { markedUnread: 1 }]) {
        const r = await put(ts, alice, bob, body);
        expect([r.status, r.body.error.code]).toEqual([400, 'bad_request']);
      }
    });

    it('moving my read marker takes my mark off in the same step (live to my devices, by sync); a read that moves nothing, or of an unmarked chat, tells nothing', async () => {
      const { ts, alice, bob } = rig;
      await sendText(ts, bob, alice, 'one');
      const phone = await login(ts, { username: alice.username, password: alice.password }, 'Phone');
      const phoneWs = await connect(ts, phone.token);
      await phoneWs.next((f) => f.t === 'hello');
      const read = (who: Account, seq: number) => call(ts, 'POST', `/api/cloud/chats/${bob.userId}/read`, { token: who.token, body: { seq } });

      const until = Date.now() + 3600_000;
      expect((await put(ts, alice, bob, { markedUnread: true, mutedUntil: until })).status).toBe(200);
      const two = await sendText(ts, bob, alice, 'two');
      // Read on the phone: the relay clears the mark itself (nobody sent settings), the rest kept.
      expect((await read(phone, two.seq)).status).toBe(204);
      const live = await phoneWs.next<Extract<ServerFrame, { t: 'update' }>>((f) => f.t === 'update' && f.update.kind === 'settings' && !f.update.markedUnread);
      expect(live.update).toMatchObject({ kind: 'settings', peerId: bob.userId, mutedUntil: until, markedUnread: false });
      expect(await summary(ts, alice, bob)).toMatchObject({ markedUnread: false, mutedUntil: until, unread: 0, myReadSeq: two.seq });
      expect((await settingsLog(ts, alice)).map((u) => u.markedUnread)).toEqual([true, false]);
      // After the read update, in my log only.
      const log = (await call<SyncRes>(ts, 'GET', '/api/sync?after=0&limit=500', { token: alice.token })).body.updates.map((u) => u.kind);
      expect(log.slice(-2)).toEqual(['read', 'settings']);
      expect(await settingsLog(ts, bob)).toEqual([]);

      // Nothing more: the marker did not move, then it moved with no mark set.
      expect((await read(alice, two.seq)).status).toBe(204);
      const three = await sendText(ts, bob, alice, 'three');
      expect((await read(alice, three.seq)).status).toBe(204);
      expect((await settingsLog(ts, alice)).length).toBe(2);

      // Marked again and a read that does not move the marker: the mark stays.
      expect((await put(ts, alice, bob, { markedUnread: true })).status).toBe(200);
      await phoneWs.next((f) => f.t === 'update' && f.update.kind === 'settings' && f.update.markedUnread === true && f.update.cursor > live.update.cursor);
      expect((await read(alice, three.seq)).status).toBe(204);
      expect(await summary(ts, alice, bob)).toMatchObject({ markedUnread: true });
      // Live, my phone heard of the mark exactly as set: on, off by the read, on again (no frame in between).
      const marks = phoneWs.frames.flatMap((f) => (f.t === 'update' && f.update.kind === 'settings' ? [f.update.markedUnread] : []));
      expect(marks).toEqual([true, false, true]);
      phoneWs.close();
    });

    it("Mark as read moves my read marker (Bob's ticks) and starts no timer of a timed file", async () => {
      const { ts, alice, bob } = rig;
      const up = await call<{ id: string }>(ts, 'POST', '/api/cloud/media', {
        token: bob.token,
        raw: randomBytes(300),
        headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-user': alice.userId, 'x-cinder-mime': 'image/png', 'x-cinder-name': 'p.png' }
      });
      expect(up.status).toBe(201);
      const sent = await call<{ message: CloudMessage }>(ts, 'POST', '/api/cloud/messages', {
        token: bob.token,
        body: { id: uuid(), toUserId: alice.userId, text: '', media: { id: up.body.id, ttl: 10 } }
      });
      expect(sent.status).toBe(200);
      const last = await sendText(ts, bob, alice, 'look');
      expect(await summary(ts, alice, bob)).toMatchObject({ unread: 2 });

      expect((await call(ts, 'POST', `/api/cloud/chats/${bob.userId}/read`, { token: alice.token, body: { seq: last.seq } })).status).toBe(204);
      expect(await summary(ts, alice, bob)).toMatchObject({ unread: 0, myReadSeq: last.seq });
      expect(await summary(ts, bob, alice)).toMatchObject({ peerReadSeq: last.seq });
      // The file is read, not opened: no timer started, and it stays downloadable.
      const media = (await ts.store.getCloudMedia(up.body.id))!;
      expect([media.openedAt, media.deadline]).toEqual([null, null]);
      const page = (await call<{ messages: CloudMessage[] }>(ts, 'GET', `/api/cloud/chats/${bob.userId}/messages`, { token: alice.token })).body.messages;
      expect(page.find((m) => m.id === sent.body.message.id)?.media).toMatchObject({ ttl: 10, openedAt: null, deadline: null });
    });
  });
}
