/**
 * Scheduled messages with a file, on SQLite and PostgreSQL: my upload (`POST /api/cloud/media`) is held
 * for the scheduled message (my list shows its name, type and size with the caption), kept through the
 * unattached-upload purge, and attached at its time exactly as an immediate send would (the peer gets a
 * normal file message and can read the bytes). Deleting it deletes the upload; someone else's upload,
 * one to another user, one already held or sent, and a self-destruct timer are refused; an edit changes
 * the caption (which may be emptied) and the time, never the file. Deleting my account takes both.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudMessage } from '../../../src/lib/api/wire';
import { ScheduledMessage } from '../../../src/lib/api/wire-scheduled';
import { UNATTACHED_MEDIA_MS } from '../../../src/lib/server/cloud-media';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { call, signup, uuid, type Account } from './helpers';

const SEC = 1000;

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`scheduled files: ${backend.name}`, () => {
    let ts: AnyServer;
    let alice: Account;
    let bob: Account;
    let t0: number;

    beforeEach(async () => {
      ts = await startOn(backend.name);
      [alice, bob] = [await signup(ts), await signup(ts)];
      t0 = Date.now();
      ts.clock.now = t0;
    });
    afterEach(async () => {
      await ts.close();
    });

    const at = (ms: number) => {
      ts.clock.now = t0 + ms;
    };
    const upload = async (from: Account, to: Account, bytes: Buffer, name = 'beach.png', mime = 'image/png', dims?: string) => {
      const r = await call<{ id: string }>(ts, 'POST', '/api/cloud/media', {
        token: from.token,
        raw: bytes,
        headers: {
          'content-type': 'application/octet-stream',
          'x-cinder-to-user': to.userId,
          'x-cinder-mime': mime,
          'x-cinder-name': encodeURIComponent(name),
          ...(dims ? { 'x-cinder-dims': dims } : {})
        }
      });
      expect(r.status).toBe(201);
      return r.body.id;
    };
    const schedule = (who: Account, peer: Account, text: string, when: number, media?: { id: string; ttl?: number }) =>
      call<{ scheduled: ScheduledMessage; error: { code: string; message: string } }>(ts, 'POST', '/api/cloud/scheduled', {
        token: who.token,
        body: { id: uuid(), peerId: peer.userId, text, at: when, ...(media ? { media } : {}) }
      });
    const list = async (who: Account, peer: Account) =>
      (await call<{ scheduled: ScheduledMessage[] }>(ts, 'GET', `/api/cloud/chats/${peer.userId}/scheduled`, { token: who.token })).body.scheduled;
    const history = async (who: Account, peer: Account) =>
      (await call<{ messages: CloudMessage[] }>(ts, 'GET', `/api/cloud/chats/${peer.userId}/messages`, { token: who.token })).body.messages;
    const mediaFiles = () => readdirSync(join(ts.dataDir, 'media'), { recursive: true }).map(String);

    it('is held, listed with its caption, and sent at its time as a normal file message the peer can read', async () => {
      const bytes = randomBytes(3000);
      const mediaId = await upload(alice, bob, bytes, 'beach.png', 'image/png', '640x480');
      const made = await schedule(alice, bob, 'the **beach**', t0 + 60 * SEC, { id: mediaId });
      expect(made.status).toBe(200);
      const item = ScheduledMessage.parse(made.body.scheduled);
      expect(item).toMatchObject({ text: 'the **beach**', media: { id: mediaId, name: 'beach.png', mime: 'image/png', size: 3000, width: 640, height: 480 } });
      expect(await list(alice, bob)).toEqual([made.body.scheduled]);
      // Not Bob's to read before it is sent, nor anyone else's to send.
      expect((await call(ts, 'GET', `/api/cloud/media/${mediaId}`, { token: bob.token })).status).toBe(404);
      const early = await call(ts, 'POST', '/api/cloud/messages', { token: alice.token, body: { id: uuid(), toUserId: bob.userId, text: '', media: { id: mediaId } } });
      expect(early.status).toBe(404);
      expect(await history(bob, alice)).toEqual([]);

      at(60 * SEC);
      await ts.relay.runScheduled();
      const [m] = await history(bob, alice);
      expect(m).toMatchObject({ id: item.id, senderId: alice.userId, text: 'the **beach**', createdAt: t0 + 60 * SEC });
      expect(m.media).toMatchObject({ id: mediaId, name: 'beach.png', mime: 'image/png', size: 3000, ttl: 0, width: 640, height: 480 });
      const got = await fetch(`${ts.url}/api/cloud/media/${mediaId}`, { headers: { authorization: `Bearer ${bob.token}` } });
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
      expect(await list(alice, bob)).toEqual([]);
    });

    it('delete removes the upload and its file', async () => {
      const mediaId = await upload(alice, bob, randomBytes(500), 'notes.pdf', 'application/pdf');
      const s = (await schedule(alice, bob, '', t0 + 60 * SEC, { id: mediaId })).body.scheduled;
      expect(mediaFiles().some((f) => f.includes(mediaId))).toBe(true);
      expect((await call(ts, 'DELETE', `/api/cloud/scheduled/${s.id}`, { token: alice.token })).status).toBe(204);
      expect(await ts.store.getCloudMedia(mediaId)).toBeNull();
      expect(mediaFiles().some((f) => f.includes(mediaId))).toBe(false);
      expect((await call(ts, 'GET', `/api/cloud/media/${mediaId}`, { token: alice.token })).status).toBe(404);
      at(60 * SEC);
      await ts.relay.runScheduled();
      expect(await history(bob, alice)).toEqual([]);
    });

    it("refuses someone else's upload, one to another user, one held or sent already, and a timer", async () => {
      const carol = await signup(ts);
      const bobs = await upload(bob, alice, randomBytes(100));
      const toCarol = await upload(alice, carol, randomBytes(100));
      for (const id of [bobs, toCarol, 'no-such-upload']) {
        const r = await schedule(alice, bob, 'x', t0 + 60 * SEC, { id });
        expect([r.status, r.body.error.code], id).toEqual([404, 'not_found']);
      }
      const mine = await upload(alice, bob, randomBytes(100));
      const timed = await schedule(alice, bob, 'x', t0 + 60 * SEC, { id: mine, ttl: 10 });
      expect([timed.status, timed.body.error.message]).toEqual([400, 'media.ttl: A scheduled file cannot have a self-destruct timer.']);
      expect(await list(alice, bob)).toEqual([]);
      expect((await schedule(alice, bob, '', t0 + 60 * SEC, { id: mine })).status).toBe(200);
      expect((await schedule(alice, bob, '', t0 + 90 * SEC, { id: mine })).status).toBe(404);
      const sent = await upload(alice, bob, randomBytes(100));
      const now = await call(ts, 'POST', '/api/cloud/messages', { token: alice.token, body: { id: uuid(), toUserId: bob.userId, text: '', media: { id: sent } } });
      expect(now.status).toBe(200);
      expect((await schedule(alice, bob, '', t0 + 90 * SEC, { id: sent })).status).toBe(404);
      expect(await list(alice, bob)).toHaveLength(1);
    });

    it('an edit changes the caption (even to empty) and the time, keeping the file; a text may not be emptied', async () => {
      const mediaId = await upload(alice, bob, randomBytes(100));
      const s = (await schedule(alice, bob, 'caption', t0 + 60 * SEC, { id: mediaId })).body.scheduled;
      const edited = await call(ts, 'PATCH', `/api/cloud/scheduled/${s.id}`, { token: alice.token, body: { text: '', at: t0 + 30 * SEC } });
      expect(edited.status).toBe(200);
      expect(edited.body.scheduled).toMatchObject({ text: '', at: t0 + 30 * SEC, media: { id: mediaId } });
      const text = (await schedule(alice, bob, 'words', t0 + 60 * SEC)).body.scheduled;
      const emptied = await call(ts, 'PATCH', `/api/cloud/scheduled/${text.id}`, { token: alice.token, body: { text: '  ' } });
      expect([emptied.status, emptied.body.error.message]).toEqual([400, 'text: message is empty']);
      at(30 * SEC);
      await ts.relay.runScheduled();
      const [m] = await history(bob, alice);
      expect(m).toMatchObject({ id: s.id, text: '', media: { id: mediaId } });
    });

    it('refused at its time (the peer blocked me): the row keeps its upload, held, until I delete it; then both go', async () => {
      const mediaId = await upload(alice, bob, randomBytes(400));
      const s = (await schedule(alice, bob, 'for you', t0 + 60 * SEC, { id: mediaId })).body.scheduled;
      expect((await call(ts, 'PUT', `/api/blocks/${alice.userId}`, { token: bob.token })).status).toBe(200);
      at(60 * SEC);
      await ts.relay.runScheduled();
      expect(await list(alice, bob)).toMatchObject([{ id: s.id, failed: 'this user blocked you', media: { id: mediaId } }]);
      expect(await history(bob, alice)).toEqual([]);
      // Held through the unattached-upload purge (Send now may still send it once unblocked).
      at(UNATTACHED_MEDIA_MS + 120 * SEC);
      await ts.relay.purgeExpired();
      expect(await ts.store.getCloudMedia(mediaId)).not.toBeNull();
      expect((await call(ts, 'GET', `/api/cloud/media/${mediaId}`, { token: bob.token })).status).toBe(404);
      expect((await call(ts, 'DELETE', `/api/cloud/scheduled/${s.id}`, { token: alice.token })).status).toBe(204);
      expect(await list(alice, bob)).toEqual([]);
      expect(await ts.store.getCloudMedia(mediaId)).toBeNull();
      expect(mediaFiles().some((f) => f.includes(mediaId))).toBe(false);
    });

    it('account deletion takes the scheduled message and its upload with it', async () => {
      const mediaId = await upload(alice, bob, randomBytes(100));
      expect((await schedule(alice, bob, 'later', t0 + 60 * SEC, { id: mediaId })).body.scheduled.media).toMatchObject({ id: mediaId });
      const del = await call(ts, 'POST', '/api/account/delete', { token: alice.token, body: { password: alice.password, confirm: alice.username } });
      expect(del.status).toBe(204);
      expect(await ts.store.getCloudMedia(mediaId)).toBeNull();
      expect(mediaFiles().some((f) => f.includes(mediaId))).toBe(false);
      at(60 * SEC);
      await ts.relay.runScheduled();
      expect(await history(bob, alice)).toEqual([]);
    });

    it('survives the unattached-upload purge while scheduled, and is sent after it', async () => {
      const held = await upload(alice, bob, randomBytes(100));
      const loose = await upload(alice, bob, randomBytes(100));
      const s = (await schedule(alice, bob, 'two days later', t0 + 2 * UNATTACHED_MEDIA_MS, { id: held })).body.scheduled;
      at(UNATTACHED_MEDIA_MS + 60 * SEC);
      await ts.relay.purgeExpired();
      // The purge ran (the loose upload went) and kept the held one.
      expect(await ts.store.getCloudMedia(loose)).toBeNull();
      expect(await ts.store.getCloudMedia(held)).not.toBeNull();
      expect(mediaFiles().some((f) => f.includes(held))).toBe(true);
      at(2 * UNATTACHED_MEDIA_MS);
      await ts.relay.runScheduled();
      const [m] = await history(bob, alice);
      expect(m).toMatchObject({ id: s.id, media: { id: held } });
      const got = await call(ts, 'GET', `/api/cloud/media/${held}`, { token: bob.token });
      expect(got.status).toBe(200);
    });
  });
}
