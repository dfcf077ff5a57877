import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, login, signup, useRelayWith, type Account } from './helpers';

const MAX = 64 * 1024;
const QUOTA = 160 * 1024;

const rig = useRelayWith(['alice', 'bob'], { env: { MAX_BLOB_BYTES: String(MAX), BLOB_QUOTA_BYTES: String(QUOTA) } });

const upload = (from: Account, toDeviceId: string, bytes: Buffer, headers: Record<string, string> = {}) =>
  call(rig.ts, 'POST', '/api/blobs', {
    token: from.token,
    raw: bytes,
    headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-device': toDeviceId, ...headers }
  });
const download = async (who: Account, id: string) => {
  const r = await fetch(`${rig.ts.url}/api/blobs/${id}`, { headers: { authorization: `Bearer ${who.token}` } });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
};
const blobFile = (id: string) => join(rig.ts.dataDir, 'blobs', id);
const files = () => readdirSync(join(rig.ts.dataDir, 'blobs'));

/** Streams `total` bytes in chunks without Content-Length; resolves with the answer. */
function streamUpload(from: Account, toDeviceId: string, total: number) {
  const { port } = new URL(rig.ts.url);
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
        // Answered: stop writing. The server closes after its answer, and a write that meets the
        // closed socket (EPIPE) would end this request before the answer is read.
        done = true;
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, sent }));
      }
    );
    req.on('error', (e) => (done ? undefined : reject(e)));
    const chunk = randomBytes(16 * 1024);
    // One chunk per turn of the event loop, so an answer that came in is seen before the next write.
    const pump = () => {
      if (done) return;
      if (sent >= total) return void req.end();
      sent += chunk.length;
      if (req.write(chunk)) setImmediate(pump);
      else req.once('drain', pump);
    };
    pump();
  });
}

describe('encrypted blobs', () => {
  it('stores the bytes for the uploader and the named recipient device only', async () => {
    const bytes = randomBytes(5000);
    const r = await upload(rig.alice, rig.bob.deviceId, bytes);
    expect(r.status).toBe(201);
    expect(r.body.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(existsSync(blobFile(r.body.id))).toBe(true);
    // No temp files left behind.
    expect(files()).toEqual([r.body.id]);

    for (const who of [rig.bob, rig.alice]) {
      const d = await download(who, r.body.id);
      expect(d.status).toBe(200);
      expect(d.headers.get('content-type')).toBe('application/octet-stream');
      expect(d.headers.get('content-length')).toBe('5000');
      expect(d.headers.get('cache-control')).toBe('no-store');
      expect(d.bytes.equals(bytes)).toBe(true);
    }
    const bob2 = await login(rig.ts, rig.bob);
    const carol = await signup(rig.ts, 'carol');
    for (const who of [bob2, carol]) {
      expect((await download(who, r.body.id)).status).toBe(404);
      expect((await call(rig.ts, 'DELETE', `/api/blobs/${r.body.id}`, { token: who.token })).status).toBe(404);
    }
    expect((await download(rig.bob, 'nosuchblob')).status).toBe(404);
    expect((await call(rig.ts, 'GET', `/api/blobs/${r.body.id}`)).status).toBe(401);
  });

  it('validates the recipient header and the content type', async () => {
    const bytes = randomBytes(10);
    expect((await upload(rig.alice, 'nosuchdevice', bytes)).status).toBe(404);
    const bad = await upload(rig.alice, '', bytes);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('x-cinder-to-device');
    const json = await call(rig.ts, 'POST', '/api/blobs', { token: rig.alice.token, body: { x: 1 }, headers: { 'x-cinder-to-device': rig.bob.deviceId } });
    expect(json.status).toBe(415);
    expect((await upload(rig.alice, rig.bob.deviceId, Buffer.alloc(0))).status).toBe(400);
    const bob2 = await login(rig.ts, rig.bob);
    await call(rig.ts, 'DELETE', `/api/devices/${bob2.deviceId}`, { token: rig.bob.token });
    expect((await upload(rig.alice, bob2.deviceId, bytes)).status).toBe(404);
    expect(files()).toEqual([]);
  });

  it('refuses a blob over MAX_BLOB_BYTES with 413 too_large, by declared length or while streaming', async () => {
    expect((await upload(rig.alice, rig.bob.deviceId, randomBytes(MAX))).status).toBe(201);
    const big = await upload(rig.alice, rig.bob.deviceId, randomBytes(MAX + 1));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('too_large');

    // Chunked, no Content-Length: cut as soon as the limit is passed, long before the whole stream is
    // sent. 64 MiB, because loopback socket buffers alone can take several MiB (tcp_rmem max is 32 MiB
    // on some kernels) before the server has read a byte, so a smaller stream proved nothing.
    const total = 64 * 1024 * 1024;
    const s = await streamUpload(rig.alice, rig.bob.deviceId, total);
    expect(s.status).toBe(413);
    expect(JSON.parse(s.body).error.code).toBe('too_large');
    expect(s.sent).toBeLessThan(total);
    // Only the first blob: the temp files are removed (just after the answer, once their streams closed).
    await expect.poll(files, { timeout: 2000 }).toHaveLength(1);
  });

  it('enforces the per-user quota over live blobs (413 quota_exceeded), freed by delete', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await upload(rig.alice, rig.bob.deviceId, randomBytes(MAX));
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    // 128 KiB used of 160: another 64 KiB doesn't fit, 32 KiB does. Other devices of the user share it.
    const alice2 = await login(rig.ts, rig.alice);
    const over = await upload(alice2, rig.bob.deviceId, randomBytes(MAX));
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe('quota_exceeded');
    // Streaming without a declared length is cut by the quota too.
    const s = await streamUpload(rig.alice, rig.bob.deviceId, 1024 * 1024);
    expect(s.status).toBe(413);
    expect(JSON.parse(s.body).error.code).toBe('quota_exceeded');
    // Other users have their own quota.
    expect((await upload(rig.bob, rig.alice.deviceId, randomBytes(MAX))).status).toBe(201);
    expect((await upload(rig.alice, rig.bob.deviceId, randomBytes(32 * 1024))).status).toBe(201);

    // The recipient may delete too; the space comes back.
    expect((await call(rig.ts, 'DELETE', `/api/blobs/${ids[0]}`, { token: rig.bob.token })).status).toBe(204);
    expect(existsSync(blobFile(ids[0]))).toBe(false);
    expect((await download(rig.bob, ids[0])).status).toBe(404);
    expect((await call(rig.ts, 'DELETE', `/api/blobs/${ids[0]}`, { token: rig.bob.token })).status).toBe(404);
    expect((await upload(rig.alice, rig.bob.deviceId, randomBytes(MAX))).status).toBe(201);
  });

  it('deletes by the uploader and removes the file', async () => {
    const r = await upload(rig.alice, rig.bob.deviceId, randomBytes(100));
    expect((await call(rig.ts, 'DELETE', `/api/blobs/${r.body.id}`, { token: rig.alice.token })).status).toBe(204);
    expect(existsSync(blobFile(r.body.id))).toBe(false);
    expect(rig.ts.store.db.prepare('SELECT count(*) AS n FROM blobs').get()).toEqual({ n: 0 });
  });

  it('expires blobs after ENVELOPE_TTL_DAYS: hidden, purged with the envelopes, file removed, quota freed', async () => {
    const t0 = Date.now();
    rig.ts.clock.now = t0;
    const old = await upload(rig.alice, rig.bob.deviceId, randomBytes(MAX));
    await upload(rig.alice, rig.bob.deviceId, randomBytes(MAX));
    rig.ts.clock.now = t0 + 6 * 86_400_000;
    const fresh = await upload(rig.alice, rig.bob.deviceId, randomBytes(1000));
    expect(fresh.status).toBe(201);

    rig.ts.clock.now = t0 + 7 * 86_400_000 + 1;
    expect((await download(rig.bob, old.body.id)).status).toBe(404);
    expect((await download(rig.bob, fresh.body.id)).status).toBe(200);
    // Expired blobs no longer count against the quota.
    expect((await upload(rig.alice, rig.bob.deviceId, randomBytes(MAX))).status).toBe(201);

    expect(await rig.ts.relay.purgeExpired()).toBe(2);
    expect(existsSync(blobFile(old.body.id))).toBe(false);
    expect(existsSync(blobFile(fresh.body.id))).toBe(true);
    expect(files()).toHaveLength(2);
    expect(await rig.ts.relay.purgeExpired()).toBe(0);
  });
});
