import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, login, signup, startServer, type Account, type TestServer } from './helpers';

const MAX = 64 * 1024;
const QUOTA = 160 * 1024;

let ts: TestServer;
let alice: Account;
let bob: Account;
beforeEach(async () => {
  ts = await startServer({ env: { MAX_BLOB_BYTES: String(MAX), BLOB_QUOTA_BYTES: String(QUOTA) } });
  alice = await signup(ts, 'alice');
  bob = await signup(ts, 'bob');
});
afterEach(async () => {
  await ts.close();
});

const upload = (from: Account, toDeviceId: string, bytes: Buffer, headers: Record<string, string> = {}) =>
  call(ts, 'POST', '/api/blobs', {
    token: from.token,
    raw: bytes,
    headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-device': toDeviceId, ...headers }
  });
const download = async (who: Account, id: string) => {
  const r = await fetch(`${ts.url}/api/blobs/${id}`, { headers: { authorization: `Bearer ${who.token}` } });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
};
const blobFile = (id: string) => join(ts.dataDir, 'blobs', id);
const files = () => readdirSync(join(ts.dataDir, 'blobs'));

/** Streams `total` bytes in chunks without Content-Length; resolves with the answer. */
function streamUpload(from: Account, toDeviceId: string, total: number) {
  const { port } = new URL(ts.url);
  return new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
    let sent = 0;
    let done = false;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/blobs',
        headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-device': toDeviceId, authorization: `Bearer ${from.token}` }
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          done = true;
          resolve({ status: res.statusCode!, body, sent });
        });
      }
    );
    req.on('error', (e) => (done ? undefined : reject(e)));
    const chunk = randomBytes(16 * 1024);
    const pump = () => {
      while (!done && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!done) req.end();
    };
    pump();
  });
}

describe('encrypted blobs', () => {
  it('stores the bytes for the uploader and the named recipient device only', async () => {
    const bytes = randomBytes(5000);
    const r = await upload(alice, bob.deviceId, bytes);
    expect(r.status).toBe(201);
    expect(r.body.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(existsSync(blobFile(r.body.id))).toBe(true);
    // No temp files left behind.
    expect(files()).toEqual([r.body.id]);

    for (const who of [bob, alice]) {
      const d = await download(who, r.body.id);
      expect(d.status).toBe(200);
      expect(d.headers.get('content-type')).toBe('application/octet-stream');
      expect(d.headers.get('content-length')).toBe('5000');
      expect(d.headers.get('cache-control')).toBe('no-store');
      expect(d.bytes.equals(bytes)).toBe(true);
    }
    const bob2 = await login(ts, bob);
    const carol = await signup(ts, 'carol');
    for (const who of [bob2, carol]) {
      expect((await download(who, r.body.id)).status).toBe(404);
      expect((await call(ts, 'DELETE', `/api/blobs/${r.body.id}`, { token: who.token })).status).toBe(404);
    }
    expect((await download(bob, 'nosuchblob')).status).toBe(404);
    expect((await call(ts, 'GET', `/api/blobs/${r.body.id}`)).status).toBe(401);
  });

  it('validates the recipient header and the content type', async () => {
    const bytes = randomBytes(10);
    expect((await upload(alice, 'nosuchdevice', bytes)).status).toBe(404);
    const bad = await upload(alice, '', bytes);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('x-cinder-to-device');
    const json = await call(ts, 'POST', '/api/blobs', { token: alice.token, body: { x: 1 }, headers: { 'x-cinder-to-device': bob.deviceId } });
    expect(json.status).toBe(415);
    expect((await upload(alice, bob.deviceId, Buffer.alloc(0))).status).toBe(400);
    const bob2 = await login(ts, bob);
    await call(ts, 'DELETE', `/api/devices/${bob2.deviceId}`, { token: bob.token });
    expect((await upload(alice, bob2.deviceId, bytes)).status).toBe(404);
    expect(files()).toEqual([]);
  });

  it('refuses a blob over MAX_BLOB_BYTES with 413 too_large, by declared length or while streaming', async () => {
    expect((await upload(alice, bob.deviceId, randomBytes(MAX))).status).toBe(201);
    const big = await upload(alice, bob.deviceId, randomBytes(MAX + 1));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('too_large');

    // Chunked, no Content-Length: cut as soon as the limit is passed, long before the 4 MiB are sent.
    const s = await streamUpload(alice, bob.deviceId, 4 * 1024 * 1024);
    expect(s.status).toBe(413);
    expect(JSON.parse(s.body).error.code).toBe('too_large');
    expect(s.sent).toBeLessThan(4 * 1024 * 1024);
    // Only the first blob: the temp files are removed (just after the answer, once their streams closed).
    await expect.poll(files, { timeout: 2000 }).toHaveLength(1);
  });

  it('enforces the per-user quota over live blobs (413 quota_exceeded), freed by delete', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await upload(alice, bob.deviceId, randomBytes(MAX));
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    // 128 KiB used of 160: another 64 KiB doesn't fit, 32 KiB does. Other devices of the user share it.
    const alice2 = await login(ts, alice);
    const over = await upload(alice2, bob.deviceId, randomBytes(MAX));
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe('quota_exceeded');
    // Streaming without a declared length is cut by the quota too.
    const s = await streamUpload(alice, bob.deviceId, 1024 * 1024);
    expect(s.status).toBe(413);
    expect(JSON.parse(s.body).error.code).toBe('quota_exceeded');
    // Other users have their own quota.
    expect((await upload(bob, alice.deviceId, randomBytes(MAX))).status).toBe(201);
    expect((await upload(alice, bob.deviceId, randomBytes(32 * 1024))).status).toBe(201);

    // The recipient may delete too; the space comes back.
    expect((await call(ts, 'DELETE', `/api/blobs/${ids[0]}`, { token: bob.token })).status).toBe(204);
    expect(existsSync(blobFile(ids[0]))).toBe(false);
    expect((await download(bob, ids[0])).status).toBe(404);
    expect((await call(ts, 'DELETE', `/api/blobs/${ids[0]}`, { token: bob.token })).status).toBe(404);
    expect((await upload(alice, bob.deviceId, randomBytes(MAX))).status).toBe(201);
  });

  it('deletes by the uploader and removes the file', async () => {
    const r = await upload(alice, bob.deviceId, randomBytes(100));
    expect((await call(ts, 'DELETE', `/api/blobs/${r.body.id}`, { token: alice.token })).status).toBe(204);
    expect(existsSync(blobFile(r.body.id))).toBe(false);
    expect(ts.store.db.prepare('SELECT count(*) AS n FROM blobs').get()).toEqual({ n: 0 });
  });

  it('expires blobs after ENVELOPE_TTL_DAYS: hidden, purged with the envelopes, file removed, quota freed', async () => {
    const t0 = Date.now();
    ts.clock.now = t0;
    const old = await upload(alice, bob.deviceId, randomBytes(MAX));
    await upload(alice, bob.deviceId, randomBytes(MAX));
    ts.clock.now = t0 + 6 * 86_400_000;
    const fresh = await upload(alice, bob.deviceId, randomBytes(1000));
    expect(fresh.status).toBe(201);

    ts.clock.now = t0 + 7 * 86_400_000 + 1;
    expect((await download(bob, old.body.id)).status).toBe(404);
    expect((await download(bob, fresh.body.id)).status).toBe(200);
    // Expired blobs no longer count against the quota.
    expect((await upload(alice, bob.deviceId, randomBytes(MAX))).status).toBe(201);

    expect(await ts.relay.purgeExpired()).toBe(2);
    expect(existsSync(blobFile(old.body.id))).toBe(false);
    expect(existsSync(blobFile(fresh.body.id))).toBe(true);
    expect(files()).toHaveLength(2);
    expect(await ts.relay.purgeExpired()).toBe(0);
  });
});
