/**
 * SecretEngines over a REAL relay (tests/unit/server/helpers.ts startServer): each device signs up or
 * logs in with its own identity keys and talks to the relay over HTTP as the production httpRelay does
 * (same paths and bodies), with its session token as a Bearer header instead of the browser's cookie.
 * Anonymous calls (sealed posts, sealed blob uploads) carry no token at all.
 */
import { z } from '$lib/api/zod';
import { toB64u } from '$lib/api/b64';
import {
  ApiError,
  BLOB_MAILBOX_HEADER,
  BLOB_TO_DEVICE_HEADER,
  BLOB_TOKEN_HEADER,
  BlobCreated,
  EnvelopePage,
  PublicDevice,
  PublicUser,
  Session,
  type RegisterMailboxesRes
} from '$lib/api/wire';
import { generateIdentity, nobleBackend, type Identity } from '$lib/crypto';
import { NetError } from '$lib/worker/net';
import { SecretEngine, type SecretContext, type SecretRelay } from '$lib/worker/secret';
import { tokenFrom, type Served } from '../server/helpers';
import { unlockedStore } from './store';

const backend = nobleBackend();

async function http<T>(ts: Served, token: string | null, method: string, path: string, body?: unknown, schema?: z.ZodMiniType<T>, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload: BodyInit | undefined;
  if (body instanceof Uint8Array) payload = body as Uint8Array<ArrayBuffer>;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(ts.url + path, { method, headers: h, body: payload });
  } catch {
    throw new NetError('offline', 'relay unreachable');
  }
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = ApiError.safeParse(json);
    throw err.success ? new NetError(err.data.error.code, err.data.error.message, res.status) : new NetError('bad_response', `${res.status}`, res.status);
  }
  return { res, value: schema ? schema.parse(json) : (json as T) };
}

/** What one device sees of the relay; `protocol1` makes it an old device that never tells it speaks protocol 2. */
export function relayClient(ts: Served, token: string, opts: { protocol1?: boolean } = {}): SecretRelay & { calls: string[]; protocol1: boolean } {
  const calls: string[] = [];
  const call = <T>(method: string, path: string, body?: unknown, schema?: z.ZodMiniType<T>) => {
    calls.push(`${method} ${path}`);
    return http(ts, token, method, path, body, schema).then((r) => r.value);
  };
  const done = async (p: Promise<unknown>) => void (await p);
  const download = async (path: string) => {
    const r = await fetch(ts.url + path, { headers: { authorization: `Bearer ${token}` } });
    if (r.status === 404) throw new NetError('not_found', 'gone', 404);
    if (!r.ok) throw new NetError('bad_response', `${r.status}`, r.status);
    return new Uint8Array(await r.arrayBuffer());
  };
  const client: SecretRelay & { calls: string[]; protocol1: boolean } = {
    calls,
    protocol1: !!opts.protocol1,
    user: async (id) => (await call('GET', `/api/users/${id}`, undefined, z.object({ user: PublicUser }))).user,
    devices: async (id) => (await call('GET', `/api/users/${id}/devices`, undefined, z.object({ devices: z.array(PublicDevice) }))).devices,
    send: (e) => done(call('POST', '/api/envelopes', e)),
    sendSealed: async (p) => {
      calls.push('POST /api/sealed');
      await http(ts, null, 'POST', '/api/sealed', p);
    },
    // null: a 204, as httpRelay reads it.
    registerMailboxes: async (mailboxes) => (await call<RegisterMailboxesRes | null>('POST', '/api/mailboxes', { mailboxes }))?.conflicts ?? [],
    dropMailboxes: (ids) => done(call('POST', '/api/mailboxes/drop', { ids })),
    setProtocol: async (protocol) => {
      if (client.protocol1) return;
      await done(call('POST', '/api/devices/protocol', { protocol }));
    },
    pull: (after, limit) => call('GET', `/api/envelopes?after=${after}&limit=${limit}`, undefined, EnvelopePage),
    ack: (upTo) => done(call('POST', '/api/envelopes/ack', { upTo })),
    claim: (requestId) => done(call('POST', '/api/secret/claim', { requestId })),
    withdraw: (requestId) => done(call('POST', '/api/secret/withdraw', { requestId })),
    wakeAt: (at) => done(call('POST', '/api/wakeups', { at })),
    uploadBlob: async (blob, toDeviceId, onProgress) => {
      calls.push('POST /api/blobs');
      const { value } = await http(ts, token, 'POST', '/api/blobs', blob, BlobCreated, {
        'content-type': 'application/octet-stream',
        [BLOB_TO_DEVICE_HEADER]: toDeviceId
      });
      onProgress(blob.length, blob.length);
      return value.id;
    },
    uploadSealedBlob: async (blob, mailbox, blobToken, onProgress) => {
      calls.push('POST /api/blobs (sealed)');
      const headers = { 'content-type': 'application/octet-stream', [BLOB_MAILBOX_HEADER]: mailbox, [BLOB_TOKEN_HEADER]: blobToken };
      const { value } = await http(ts, null, 'POST', '/api/blobs', blob, BlobCreated, headers);
      onProgress(blob.length, blob.length);
      return value.id;
    },
    downloadBlob: async (blobId, _size, onProgress) => {
      const bytes = await download(`/api/blobs/${encodeURIComponent(blobId)}`);
      onProgress(bytes.length, bytes.length);
      return bytes;
    },
    deleteBlob: (blobId) => done(call('DELETE', `/api/blobs/${encodeURIComponent(blobId)}`))
  };
  return client;
}

export type RealDevice = Awaited<ReturnType<typeof realDevice>>;

let dbs = 0;

/**
 * A device on the real relay with a SecretEngine: signs up `username` (or logs in to it when `login`),
 * with fresh identity keys, and a fresh local database.
 */
export async function realDevice(ts: Served, username: string, opts: { login?: boolean; protocol1?: boolean; extra?: Partial<SecretContext> } = {}) {
  const identity: Identity = await generateIdentity(backend);
  const device = { name: `${username} device`, signPub: toB64u(identity.sign.pub), dhPub: toB64u(identity.dh.pub) };
  const path = opts.login ? '/api/auth/login' : '/api/auth/signup';
  const res = await fetch(ts.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse battery', device })
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} failed: ${res.status} ${text}`);
  const session = Session.parse(JSON.parse(text));
  const token = tokenFrom({ status: res.status, body: session, text, headers: res.headers });
  const relay = relayClient(ts, token, { protocol1: opts.protocol1 });
  const { db, vault } = await unlockedStore(`real-${username}-${++dbs}-${Math.random().toString(36).slice(2)}`);
  const ids = { userId: session.user.id, deviceId: session.device.id };
  const engine = new SecretEngine({
    db,
    vault,
    backend: async () => backend,
    identity: async () => identity,
    me: () => ids,
    emit: () => undefined,
    relay,
    ...opts.extra
  });
  return { db, vault, engine, relay, token, identity, ...ids };
}

/** One round for a device: pull (and acknowledge) what the relay holds, then send what that produced. */
export async function sync(d: RealDevice): Promise<void> {
  await d.engine.pull();
  await d.engine.flush();
}

/** Starts a secret chat from `a` to `b`'s user and runs the handshake to the end (request, accept, key confirmation). */
export async function handshake(a: RealDevice, b: RealDevice): Promise<string> {
  const chatId = await a.engine.start(b.userId);
  await a.engine.flush();
  await sync(b);
  await sync(a);
  await sync(b);
  return chatId;
}
