/**
 * Cloud-media limits over HTTP, on SQLite and PostgreSQL: the per-user quota (reserved before writing,
 * released on failure and deletion), streamed chunked storage, the per-user concurrent-upload limit and
 * the per-account device cap (issue #17).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHUNK_OVERHEAD, MEDIA_CHUNK } from '../../../src/lib/server/media-chunks';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { heldUpload as held, until } from './held-upload';
import { call, deviceKeys, login, signup, uuid, type Account } from './helpers';

const MAX = 256 * 1024;
const mediaHeaders = (from: Account, to: string) => ({
  authorization: `Bearer ${from.token}`,
  'content-type': 'application/octet-stream',
  'x-cinder-to-user': to,
  'x-cinder-mime': 'image/png',
  'x-cinder-name': 'p.png'
});
const upload = (ts: AnyServer, from: Account, to: string, bytes: Buffer) => call(ts, 'POST', '/api/cloud/media', { raw: bytes, headers: mediaHeaders(from, to) });
const files = (ts: AnyServer) => readdirSync(join(ts.dataDir, 'media'));

/** An upload whose body is sent only partly until `finish` (or cut by `abort`). */
const heldUpload = (ts: AnyServer, from: Account, to: string, total: number) => held(ts, '/api/cloud/media', mediaHeaders(from, to), total);

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`cloud media limits: ${backend.name}`, () => {
    let ts: AnyServer;
    afterEach(async () => {
      await ts.close();
    });

    it('streams a multi-chunk upload into chunked sealed storage and serves it back intact, also without a declared length', async () => {
      ts = await startOn(backend.name, { MAX_BLOB_BYTES: String(MAX) });
      const [alice, bob] = [await signup(ts), await signup(ts)];
      const plain = randomBytes(3 * MEDIA_CHUNK + 123);
      const up = await upload(ts, alice, bob.userId, plain);
      expect(up.status).toBe(201);
      expect(readFileSync(join(ts.dataDir, 'media', up.body.id)).length).toBe(plain.length + 4 * CHUNK_OVERHEAD);
      const r = await fetch(`${ts.url}/api/cloud/media/${up.body.id}`, { headers: { authorization: `Bearer ${alice.token}` } });
      expect(r.headers.get('content-length')).toBe(String(plain.length));
      expect(Buffer.from(await r.arrayBuffer()).equals(plain)).toBe(true);

      // Chunked transfer encoding: the reservation is MAX_BLOB_BYTES, settled to the real size.
      const stream = new ReadableStream({
        start(c) {
          c.enqueue(plain.subarray(0, 1000));
          c.enqueue(plain.subarray(1000));
          c.close();
        }
      });
      const chunked = await fetch(`${ts.url}/api/cloud/media`, { method: 'POST', headers: mediaHeaders(alice, bob.userId), body: stream, duplex: 'half' } as RequestInit);
      expect(chunked.status).toBe(201);
      const { id } = (await chunked.json()) as { id: string };
      expect((await ts.store.getCloudMedia(id))?.size).toBe(plain.length);
      expect(await ts.store.cloudMediaUsage(alice.userId)).toBe(2 * plain.length);
    });

    it('enforces the per-user quota with 413 quota_exceeded and a human message; a deleted message frees its bytes', async () => {
      ts = await startOn(backend.name, { MAX_BLOB_BYTES: String(MAX), CLOUD_MEDIA_QUOTA_BYTES: '10000' });
      const [alice, bob] = [await signup(ts), await signup(ts)];
      const first = await upload(ts, alice, bob.userId, randomBytes(6000));
      expect(first.status).toBe(201);
      const over = await upload(ts, alice, bob.userId, randomBytes(6000));
      expect(over.status).toBe(413);
      expect(over.body.error.code).toBe('quota_exceeded');
      expect(over.body.error.message).toMatch(/storage for photos and videos .* is full \(10 KB\)\. Delete some/);
      expect(files(ts)).toEqual([first.body.id]);
      // The quota is the user's, not the device's.
      const laptop = await login(ts, alice);
      expect((await upload(ts, laptop, bob.userId, randomBytes(6000))).status).toBe(413);
      // Bob's own quota is untouched.
      expect((await upload(ts, bob, alice.userId, randomBytes(6000))).status).toBe(201);

      const msgId = uuid();
      const sent = await call(ts, 'POST', '/api/cloud/messages', {
        token: alice.token,
        body: { id: msgId, toUserId: bob.userId, text: '', media: { id: first.body.id } }
      });
      expect(sent.status).toBe(200);
      const del = await call(ts, 'POST', `/api/cloud/chats/${bob.userId}/delete`, { token: alice.token, body: { ids: [msgId] } });
      expect(del.status).toBeLessThan(300);
      expect(await ts.store.cloudMediaUsage(alice.userId)).toBe(0);
      expect((await upload(ts, alice, bob.userId, randomBytes(6000))).status).toBe(201);
    });

    it('concurrent uploads racing for the last bytes: exactly as many as fit are stored, the rest leave nothing behind', async () => {
      ts = await startOn(backend.name, { MAX_BLOB_BYTES: String(MAX), CLOUD_MEDIA_QUOTA_BYTES: '10000', MAX_CONCURRENT_UPLOADS: '20' });
      const [alice, bob] = [await signup(ts), await signup(ts)];
      const results = await Promise.all(Array.from({ length: 8 }, () => upload(ts, alice, bob.userId, randomBytes(3000))));
      const ok = results.filter((r) => r.status === 201);
      expect(ok).toHaveLength(3);
      expect(results.filter((r) => r.status === 413).every((r) => r.body.error.code === 'quota_exceeded')).toBe(true);
      expect(files(ts).sort()).toEqual(ok.map((r) => r.body.id).sort());
      expect(await ts.store.cloudMediaUsage(alice.userId)).toBe(9000);
    });

    it('limits concurrent uploads per user with 429 and Retry-After; a cut upload releases its slot, its reservation and its temp file', async () => {
      ts = await startOn(backend.name, { MAX_BLOB_BYTES: String(MAX), CLOUD_MEDIA_QUOTA_BYTES: '100000', MAX_CONCURRENT_UPLOADS: '2' });
      const [alice, bob] = [await signup(ts), await signup(ts)];
      const phone = await login(ts, alice);
      const a = heldUpload(ts, alice, bob.userId, 40000);
      const b = heldUpload(ts, phone, bob.userId, 40000);
      await until(async () => (await ts.store.cloudMediaUsage(alice.userId)) === 80000);
      // Both slots of the user are taken, whichever device asks.
      const third = await upload(ts, alice, bob.userId, randomBytes(1000));
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(third.body.error.message).toMatch(/uploads can run at once/);
      // Another user is not affected.
      expect((await upload(ts, bob, alice.userId, randomBytes(1000))).status).toBe(201);

      a.finish();
      expect((await a.reply).status).toBe(201);
      b.abort();
      await until(async () => (await ts.store.cloudMediaUsage(alice.userId)) === 40000);
      await until(() => files(ts).filter((f) => f.startsWith('.')).length === 0);
      expect((await upload(ts, alice, bob.userId, randomBytes(1000))).status).toBe(201);
      expect(await ts.store.cloudMediaUsage(alice.userId)).toBe(41000);
    });

    it('an upload outliving its account is refused (410) and leaves no file behind', async () => {
      ts = await startOn(backend.name, { MAX_BLOB_BYTES: String(MAX) });
      const [alice, bob] = [await signup(ts), await signup(ts)];
      const held = heldUpload(ts, alice, bob.userId, 40000);
      await until(async () => (await ts.store.cloudMediaUsage(alice.userId)) === 40000);
      const del = await call(ts, 'POST', '/api/account/delete', { token: alice.token, body: { password: alice.password, confirm: alice.username } });
      expect(del.status).toBe(204);
      held.finish();
      const r = await held.reply;
      expect(r.status).toBe(410);
      expect(JSON.parse(r.body).error.code).toBe('gone');
      await until(() => files(ts).length === 0);
    });

    it('caps devices per account: a login beyond it is 409 asking to sign out another device', async () => {
      ts = await startOn(backend.name, { MAX_DEVICES_PER_ACCOUNT: '2' });
      const alice = await signup(ts);
      await login(ts, alice);
      const refused = await call(ts, 'POST', '/api/auth/login', { body: { username: alice.username, password: alice.password, device: deviceKeys('Third') } });
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/signed in on 2 devices.*Sign out on one of them/);
      expect(refused.headers.get('set-cookie')).toBeNull();
      // Signing out one frees a slot.
      expect((await call(ts, 'POST', '/api/auth/logout', { token: alice.token, body: {} })).status).toBe(204);
      expect((await login(ts, alice, 'Third')).deviceId).toBeTruthy();
    });
  });
}
