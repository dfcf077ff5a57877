import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COMPRESS_MIN_BYTES, pickEncoding } from '../../../src/lib/server/compress';
import { b64u, call, sendText, signup, useRelayWith, uuid, type TestServer } from './helpers';

describe('pickEncoding', () => {
  it.each([
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip;q=0.5', 'gzip'],
    ['BR', 'br'],
    ['*', 'br'],
    ['*;q=0', null],
    ['identity', null],
    ['', null],
    ['deflate', null],
    ['br;q=abc', null],
    ['gzip;q=0, *;q=1', 'br']
  ] as const)('%j → %s', (header, want) => {
    expect(pickEncoding(header)).toBe(want);
  });
  it('reads a missing or repeated header', () => {
    expect(pickEncoding(undefined)).toBeNull();
    expect(pickEncoding(['identity', 'gzip'])).toBe('gzip');
  });
});

/** A raw GET (fetch would decode the body and hide the encoding). */
function rawGet(ts: TestServer, path: string, token: string, acceptEncoding?: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (acceptEncoding !== undefined) headers['accept-encoding'] = acceptEncoding;
    request(`${ts.url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('compressed JSON answers', () => {
  const rig = useRelayWith(['alice', 'bob']);

  it('encodes a large envelope page as the client asks, and the decoded body is the identity one', async () => {
    for (let i = 0; i < 8; i++) {
      expect((await call(rig.ts, 'POST', '/api/envelopes', { token: rig.alice.token, body: { id: uuid(), toDeviceId: rig.bob.deviceId, body: b64u(600) } })).status).toBe(
        200
      );
    }
    const plain = await rawGet(rig.ts, '/api/envelopes', rig.bob.token);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept-Encoding');
    expect(plain.body.length).toBeGreaterThan(COMPRESS_MIN_BYTES);

    const br = await rawGet(rig.ts, '/api/envelopes', rig.bob.token, 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(plain.body.length);
    expect(JSON.parse(brotliDecompressSync(br.body).toString())).toEqual(JSON.parse(plain.body.toString()));

    const gz = await rawGet(rig.ts, '/api/envelopes', rig.bob.token, 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gz.body).toString())).toEqual(JSON.parse(plain.body.toString()));
  });

  it('leaves small answers identity-encoded (still varying on Accept-Encoding)', async () => {
    const r = await rawGet(rig.ts, '/api/envelopes', rig.bob.token, 'br');
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.headers['vary']).toBe('Accept-Encoding');
    expect(JSON.parse(r.body.toString())).toEqual({ envelopes: [] });
  });

  it('never compresses cloud-chat text, however large (BREACH: one sender could probe another’s words)', async () => {
    const carol = await signup(rig.ts, 'carol');
    for (let i = 0; i < 6; i++) {
      await sendText(rig.ts, rig.alice, rig.bob, `the secret word is swordfish ${i} `.repeat(20));
      await sendText(rig.ts, carol, rig.bob, `guess: swordfish ${i} `.repeat(20));
    }
    const sync = await rawGet(rig.ts, '/api/sync?after=0', rig.bob.token, 'gzip, deflate, br');
    expect(sync.status).toBe(200);
    expect(sync.body.length).toBeGreaterThan(COMPRESS_MIN_BYTES);
    expect(sync.headers['content-encoding']).toBeUndefined();
    const page = await rawGet(rig.ts, `/api/cloud/chats/${rig.alice.userId}/messages`, rig.bob.token, 'br');
    expect(page.headers['content-encoding']).toBeUndefined();
  });
});
