/**
 * A fake Web Push service on 127.0.0.1 for the relay to POST to, and browser-side subscription keys
 * that can decrypt what arrives (RFC 8291 aes128gcm), so tests assert the exact plaintext payload.
 */
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify, type ECDH } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PushRecord {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface FakePushService {
  origin: string;
  records: PushRecord[];
  /** Answer status per path (default 201). */
  status: Map<string, number>;
  /** Records for one path. */
  to(path: string): PushRecord[];
  /** Resolves once `path` has received `n` pushes (rejects after `timeoutMs`). */
  waitFor(path: string, n?: number, timeoutMs?: number): Promise<PushRecord[]>;
  close(): Promise<void>;
}

export async function startFakePushService(): Promise<FakePushService> {
  const records: PushRecord[] = [];
  const status = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      records.push({ path, headers: req.headers, body: Buffer.concat(chunks), at: Date.now() });
      res.writeHead(status.get(path) ?? 201).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const to = (path: string) => records.filter((r) => r.path === path);
  return {
    origin: `http://127.0.0.1:${port}`,
    records,
    status,
    to,
    async waitFor(path, n = 1, timeoutMs = 3000) {
      const until = Date.now() + timeoutMs;
      while (to(path).length < n) {
        if (Date.now() > until) throw new Error(`expected ${n} push(es) to ${path} within ${timeoutMs}ms, got ${to(path).length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return to(path);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  };
}

export interface Subscriber {
  path: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** Decrypts an aes128gcm push body (RFC 8188 + RFC 8291) to its UTF-8 plaintext. */
  decrypt(body: Buffer): string;
}

/** What a browser's PushManager would create: a P-256 key pair and a 16-byte auth secret. */
export function newSubscriber(service: { origin: string }, name = 'device'): Subscriber {
  const ecdh: ECDH = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  const path = `/push/${name}-${randomBytes(6).toString('hex')}`;
  return {
    path,
    endpoint: service.origin + path,
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    decrypt(body) {
      // Header: salt(16) | rs(4) | idlen(1) | keyid = the sender's ephemeral public key.
      const salt = body.subarray(0, 16);
      const rs = body.readUInt32BE(16);
      const idlen = body[20];
      const asPublic = body.subarray(21, 21 + idlen);
      const record = body.subarray(21 + idlen);
      if (record.length > rs) throw new Error('expected a single record');
      const uaPublic = ecdh.getPublicKey();
      const secret = ecdh.computeSecret(asPublic);
      const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
      const ikm = Buffer.from(hkdfSync('sha256', secret, auth, keyInfo, 32));
      const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
      const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
      const d = createDecipheriv('aes-128-gcm', cek, nonce);
      d.setAuthTag(record.subarray(record.length - 16));
      const padded = Buffer.concat([d.update(record.subarray(0, record.length - 16)), d.final()]);
      // Last record: content, then the delimiter 0x02, then zero padding.
      let end = padded.length - 1;
      while (end >= 0 && padded[end] === 0) end--;
      if (padded[end] !== 2) throw new Error('bad padding delimiter');
      return padded.subarray(0, end).toString('utf8');
    }
  };
}

/**
 * Checks `Authorization: vapid t=<JWT>, k=<public key>` (RFC 8292): ES256 signature under `k`, audience
 * = the push service origin. Returns the key and the JWT claims.
 */
export function verifyVapid(header: string | undefined, audience: string): { k: string; claims: { aud: string; exp: number; sub: string } } {
  const m = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? '');
  if (!m) throw new Error(`not a vapid authorization: ${header}`);
  const [h, p, s] = m[1].split('.');
  const k = m[2];
  const point = Buffer.from(k, 'base64url');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') },
    format: 'jwk'
  });
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) {
    throw new Error('bad VAPID signature');
  }
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { aud: string; exp: number; sub: string };
  if (claims.aud !== audience) throw new Error(`VAPID audience ${claims.aud} is not ${audience}`);
  return { k, claims };
}
