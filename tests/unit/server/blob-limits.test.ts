/**
 * Secret-chat blob uploads under load, on SQLite and PostgreSQL: the quota is reserved before a byte is
 * written (so parallel uploads can't stream more than the quota to disk), uploads per user (per
 * recipient device when sealed) are capped, and every failure releases its reservation and temp file.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BLOB_MAILBOX_HEADER, BLOB_TOKEN_HEADER } from '../../../src/lib/api/wire';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { heldUpload as held, until } from './held-upload';
import { call, login, signup, type Account } from './helpers';

const MAX = 64 * 1024;
const QUOTA = 160 * 1024;
const files = (ts: AnyServer) => readdirSync(join(ts.dataDir, 'blobs'));
const temps = (ts: AnyServer) => files(ts).filter((f) => f.startsWith('.'));

const blobUpload = (ts: AnyServer, headers: Record<string, string>, total?: number) =>
  held(ts, '/api/blobs', { 'content-type': 'application/octet-stream', ...headers }, total);
const toDevice = (from: Account, to: Account) => ({ authorization: `Bearer ${from.token}`, 'x-cinder-to-device': to.deviceId });

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`blob upload limits: ${backend.name}`, () => {
    let ts: AnyServer;
    afterEach(async () => {
      await ts.close();
    });
    const start = async (env: Record<string, string> = {}) => {
      ts = await startOn(backend.name, { MAX_BLOB_BYTES: String(MAX), BLOB_QUOTA_BYTES: String(QUOTA), ...env });
      return { alice: await signup(ts), bob: await signup(ts) };
    };
    const usage = (a: Account) => ts.store.blobUsage(a.userId, Date.now());

    it('reserves the quota before writing: uploads in flight count, so parallel ones cannot overshoot it', async () => {
      const { alice, bob } = await start({ MAX_CONCURRENT_UPLOADS: '20' });
      const a = blobUpload(ts, toDevice(alice, bob), MAX);
      const b = blobUpload(ts, toDevice(alice, bob), MAX);
      await until(async () => (await usage(alice)) === 2 * MAX);
      // 128 KiB reserved of 160: a third 64 KiB is refused before its body is read.
      const third = await call(ts, 'POST', '/api/blobs', { raw: randomBytes(MAX), headers: { 'content-type': 'application/octet-stream', ...toDevice(alice, bob) } });
      expect([third.status, third.body.error.code]).toEqual([413, 'quota_exceeded']);
      // Chunked (no declared length): reserves what is left (32 KiB) and is cut there.
      const chunked = blobUpload(ts, toDevice(alice, bob));
      await until(async () => (await usage(alice)) === QUOTA);
      const fourth = blobUpload(ts, toDevice(alice, bob));
      expect(JSON.parse((await fourth.reply).body).error.code).toBe('quota_exceeded');
      chunked.finish();
      expect((await chunked.reply).status).toBe(201);
      a.finish();
      b.finish();
      expect([(await a.reply).status, (await b.reply).status]).toEqual([201, 201]);
      // Settled to the real sizes.
      expect(await usage(alice)).toBe(2 * MAX + 1000);
      expect(files(ts)).toHaveLength(3);
    });

    it('caps concurrent uploads per user with 429 and Retry-After; a cut upload releases its slot, reservation and temp file', async () => {
      const { alice, bob } = await start({ MAX_CONCURRENT_UPLOADS: '2' });
      const phone = await login(ts, alice);
      const a = blobUpload(ts, toDevice(alice, bob), 1000);
      const b = blobUpload(ts, toDevice(phone, bob), 40_000);
      await until(async () => (await usage(alice)) === 41_000);
      const third = await call(ts, 'POST', '/api/blobs', { raw: randomBytes(10), headers: { 'content-type': 'application/octet-stream', ...toDevice(alice, bob) } });
      expect([third.status, third.body.error.code]).toEqual([429, 'rate_limited']);
      expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
      // Another user is not affected.
      expect(
        (await call(ts, 'POST', '/api/blobs', { raw: randomBytes(10), headers: { 'content-type': 'application/octet-stream', ...toDevice(bob, alice) } })).status
      ).toBe(201);

      b.abort();
      await until(async () => (await usage(alice)) === 1000);
      a.finish();
      expect((await a.reply).status).toBe(201);
      await until(() => temps(ts).length === 0);
      expect(
        (await call(ts, 'POST', '/api/blobs', { raw: randomBytes(10), headers: { 'content-type': 'application/octet-stream', ...toDevice(alice, bob) } })).status
      ).toBe(201);
      expect(await usage(alice)).toBe(1010);
      expect(files(ts)).toHaveLength(3);
    });

    it('sealed uploads reserve the recipient device’s inbound quota and share its slots', async () => {
      const { bob } = await start({ MAX_CONCURRENT_UPLOADS: '3' });
      const mailbox = randomBytes(16).toString('base64url');
      const cap = randomBytes(32);
      const reg = await call(ts, 'POST', '/api/mailboxes', {
        token: bob.token,
        body: { mailboxes: [{ id: mailbox, cap: cap.toString('base64url'), expiresAt: Date.now() + 86_400_000 }] }
      });
      expect(reg.status).toBe(200);
      expect(reg.body).toEqual({ conflicts: [] });
      const sealed = { [BLOB_MAILBOX_HEADER]: mailbox, [BLOB_TOKEN_HEADER]: createHmac('sha256', cap).update('Cinder/v2/blob').digest('base64url') };
      const inbound = () => ts.store.sealedBlobUsage(bob.deviceId, Date.now());
      const post = (n: number) => call(ts, 'POST', '/api/blobs', { raw: randomBytes(n), headers: { 'content-type': 'application/octet-stream', ...sealed } });
      const a = blobUpload(ts, sealed, MAX);
      const b = blobUpload(ts, sealed, MAX);
      await until(async () => (await inbound()) === 2 * MAX);
      const over = await post(MAX);
      expect([over.status, over.body.error.code]).toEqual([413, 'quota_exceeded']);
      const c = blobUpload(ts, sealed, 1000);
      await until(async () => (await inbound()) === 2 * MAX + 1000);
      expect((await post(10)).status).toBe(429);
      a.abort();
      await until(async () => (await inbound()) === MAX + 1000);
      b.finish();
      c.finish();
      expect([(await b.reply).status, (await c.reply).status]).toEqual([201, 201]);
      expect(await inbound()).toBe(MAX + 1000);
      await until(() => temps(ts).length === 0);
      expect(files(ts)).toHaveLength(2);
    });

    it('an upload outliving its account is refused (410) and leaves no file behind', async () => {
      const { alice, bob } = await start();
      const held = blobUpload(ts, toDevice(alice, bob), 40_000);
      await until(async () => (await usage(alice)) === 40_000);
      const del = await call(ts, 'POST', '/api/account/delete', { token: alice.token, body: { password: alice.password, confirm: alice.username } });
      expect(del.status).toBe(204);
      held.finish();
      expect((await held.reply).status).toBe(410);
      await until(() => files(ts).length === 0);
    });
  });
}
