/**
 * Cloud-chat photos and videos: uploads sealed at rest, readable by the two chat members only, attached
 * to a message with an optional self-destruct timer that the recipient starts by opening; at the
 * deadline the relay deletes file, row and message for both users, exactly once even with two relays.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudMessage, SyncRes, Update } from '../../../src/lib/api/wire';
import { call, connect, login, signup, sleep, startServer, tempDir, uuid, type Account, type TestServer } from './helpers';

const MAX = 256 * 1024;
/** Recognisable plaintext (a PNG signature and a canary phrase). */
const photo = () => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(`cloud-media-canary-${randomBytes(6).toString('hex')}`), randomBytes(2000)]);

const upload = (ts: TestServer, from: Account, to: string, bytes: Buffer, headers: Record<string, string> = {}) =>
  call(ts, 'POST', '/api/cloud/media', {
    token: from.token,
    raw: bytes,
    headers: {
      'content-type': 'application/octet-stream',
      'x-cinder-to-user': to,
      'x-cinder-mime': 'image/png',
      'x-cinder-name': encodeURIComponent('flame 🔥.png'),
      ...headers
    }
  });

const download = async (ts: TestServer, who: Account, id: string) => {
  const r = await fetch(`${ts.url}/api/cloud/media/${id}`, { headers: { authorization: `Bearer ${who.token}` } });
  return { status: r.status, type: r.headers.get('content-type'), bytes: Buffer.from(await r.arrayBuffer()) };
};

const sendMedia = (ts: TestServer, from: Account, to: Account, mediaId: string, ttl?: number, text = '') =>
  call(ts, 'POST', '/api/cloud/messages', {
    token: from.token,
    body: { id: uuid(), toUserId: to.userId, text, media: { id: mediaId, ...(ttl === undefined ? {} : { ttl }) } }
  });

const opened = (ts: TestServer, who: Account, id: string) => call(ts, 'POST', `/api/cloud/media/${id}/opened`, { token: who.token, body: {} });
const sync = async (ts: TestServer, who: Account) => (await call<SyncRes>(ts, 'GET', '/api/sync?after=0', { token: who.token })).body.updates;
const history = async (ts: TestServer, who: Account, peer: Account) =>
  (await call<{ messages: CloudMessage[] }>(ts, 'GET', `/api/cloud/chats/${peer.userId}/messages`, { token: who.token })).body.messages;
const mediaDir = (ts: TestServer) => join(ts.dataDir, 'media');
const mediaFiles = (ts: TestServer) => readdirSync(mediaDir(ts));

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 4000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('cloud media', () => {
  let ts: TestServer;
  let alice: Account;
  let bob: Account;
  let carol: Account;
  beforeEach(async () => {
    ts = await startServer({ env: { MAX_BLOB_BYTES: String(MAX) } });
    alice = await signup(ts, `alice_${randomBytes(2).toString('hex')}`);
    bob = await signup(ts, `bob_${randomBytes(2).toString('hex')}`);
    carol = await signup(ts, `carol_${randomBytes(2).toString('hex')}`);
  });
  afterEach(async () => {
    await ts.close();
  });

  it('validates uploads: content type, recipient, MIME type, name, size', async () => {
    const p = photo();
    expect((await upload(ts, alice, bob.userId, p, { 'content-type': 'application/json' })).status).toBe(415);
    expect((await upload(ts, alice, '', p)).body.error.message).toMatch(/^x-cinder-to-user/);
    expect((await upload(ts, alice, 'nobody_here', p)).status).toBe(404);
    expect((await upload(ts, alice, bob.userId, p, { 'x-cinder-mime': 'not a mime' })).body.error.message).toMatch(/^x-cinder-mime/);
    expect((await upload(ts, alice, bob.userId, p, { 'x-cinder-name': '' })).body.error.message).toMatch(/^x-cinder-name/);
    expect((await upload(ts, alice, bob.userId, p, { 'x-cinder-name': '%E0%A4%A' })).body.error.message).toMatch(/URL-encoded/);
    expect((await upload(ts, alice, bob.userId, p, { 'x-cinder-name': encodeURIComponent('../x.png') })).status).toBe(400);
    expect((await upload(ts, alice, bob.userId, Buffer.alloc(0))).status).toBe(400);
    const big = await upload(ts, alice, bob.userId, randomBytes(MAX + 1));
    expect(big.status).toBe(413);
    expect((await call(ts, 'POST', '/api/cloud/media', { raw: p, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(401);
    expect(mediaFiles(ts)).toEqual([]);
  });

  it('stores uploads sealed at rest and serves them to the two chat members only', async () => {
    const p = photo();
    const up = await upload(ts, alice, bob.userId, p);
    expect(up.status).toBe(201);
    const id = up.body.id;

    // On disk: one file, sealed (no plaintext, no name), no temp files; the name is not in the database either.
    expect(mediaFiles(ts)).toEqual([id]);
    const onDisk = readFileSync(join(mediaDir(ts), id));
    expect(onDisk.includes(p.subarray(8, 40))).toBe(false);
    expect(onDisk.includes(Buffer.from('89504e470d0a1a0a', 'hex'))).toBe(false);
    expect(onDisk.length).toBe(p.length + 1 + 12 + 16);
    ts.store.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(join(ts.dataDir, 'cinder.db')).includes(Buffer.from('flame'))).toBe(false);

    // The uploader's devices may read it at once; the recipient only once it is sent; others never.
    const aliceLaptop = await login(ts, alice, 'Laptop');
    expect(await download(ts, alice, id)).toMatchObject({ status: 200, type: 'application/octet-stream', bytes: p });
    expect((await download(ts, aliceLaptop, id)).status).toBe(200);
    expect((await download(ts, bob, id)).status).toBe(404);
    expect((await download(ts, carol, id)).status).toBe(404);

    const sent = await sendMedia(ts, alice, bob, id, 0, 'caption');
    expect(sent.status).toBe(200);
    expect(sent.body.message).toMatchObject({
      text: 'caption',
      media: { id, mime: 'image/png', name: 'flame 🔥.png', size: p.length, ttl: 0, openedAt: null, deadline: null }
    });
    const bobPhone = await login(ts, bob, 'Phone');
    expect(await download(ts, bob, id)).toMatchObject({ status: 200, bytes: p });
    expect((await download(ts, bobPhone, id)).status).toBe(200);
    expect((await download(ts, carol, id)).status).toBe(404);
    expect((await download(ts, carol, 'no-such-media')).status).toBe(404);
    expect((await call(ts, 'GET', `/api/cloud/media/${id}`)).status).toBe(401);

    // Both sides see the media in history and in the update log.
    expect((await history(ts, bob, alice))[0].media).toMatchObject({ id, name: 'flame 🔥.png' });
    const u = (await sync(ts, bob)).find((x): x is Extract<Update, { kind: 'message' }> => x.kind === 'message');
    expect(u?.message.media?.id).toBe(id);
  });

  it('attaches an upload once, only by its uploader, to the user it was uploaded for; validates ttl and empty text', async () => {
    const id = (await upload(ts, alice, bob.userId, photo())).body.id;
    expect((await sendMedia(ts, bob, alice, id)).status).toBe(404); // not Bob's upload
    expect((await sendMedia(ts, alice, carol, id)).status).toBe(404); // uploaded for Bob
    expect((await sendMedia(ts, alice, bob, 'unknown_media')).status).toBe(404);
    const badTtl = await sendMedia(ts, alice, bob, id, 17);
    expect(badTtl.status).toBe(400);
    expect(badTtl.body.error.message).toMatch(/^media\.ttl/);
    const empty = await call(ts, 'POST', '/api/cloud/messages', { token: alice.token, body: { id: uuid(), toUserId: bob.userId, text: '' } });
    expect(empty.body.error.message).toBe('text: message is empty');

    const first = await sendMedia(ts, alice, bob, id, 30);
    expect(first.status).toBe(200);
    expect(first.body.message.media).toMatchObject({ ttl: 30, openedAt: null, deadline: null });
    expect((await sendMedia(ts, alice, bob, id)).status).toBe(404); // already attached
    // An idempotent resend of the same message is fine.
    const again = await call(ts, 'POST', '/api/cloud/messages', {
      token: alice.token,
      body: { id: first.body.message.id, toUserId: bob.userId, text: '', media: { id, ttl: 30 } }
    });
    expect(again.status).toBe(200);
    expect(again.body.message.seq).toBe(first.body.message.seq);
  });

  it('only the recipient starts the timer (idempotent); both users learn the deadline; at the deadline file, row and message go for both', async () => {
    const p = photo();
    const id = (await upload(ts, alice, bob.userId, p)).body.id;
    const msg = (await sendMedia(ts, alice, bob, id, 1)).body.message;
    const aliceWs = await connect(ts, alice.token);
    const bobWs = await connect(ts, bob.token);

    expect((await opened(ts, alice, id)).status).toBe(403); // the sender cannot start it
    expect((await opened(ts, carol, id)).status).toBe(404);
    await sleep(1200);
    // Not opened: nothing expires.
    expect(await ts.relay.runMediaTimers()).toBe(0);
    expect(existsSync(join(mediaDir(ts), id))).toBe(true);

    const t0 = Date.now();
    const first = await opened(ts, bob, id);
    expect(first.status).toBe(200);
    const { openedAt, deadline } = first.body.media;
    expect(openedAt).toBeGreaterThanOrEqual(t0);
    expect(deadline).toBe(openedAt + 1000);
    const second = await opened(ts, bob, id);
    expect(second.body.media).toMatchObject({ openedAt, deadline });

    // Both users get the message again, now with its deadline.
    for (const ws of [aliceWs, bobWs]) {
      const f = await ws.next((x) => x.t === 'update' && x.update.kind === 'message' && x.update.message.media?.deadline === deadline);
      expect(f.t).toBe('update');
    }

    // At the deadline: a delete for both users, live and in the log; file and row gone; reads 404.
    for (const ws of [aliceWs, bobWs]) {
      const f = await ws.next((x) => x.t === 'update' && x.update.kind === 'delete', 4000);
      expect(f.t === 'update' && f.update.kind === 'delete' && f.update.ids).toEqual([msg.id]);
    }
    expect(Date.now()).toBeGreaterThanOrEqual(deadline);
    expect(Date.now() - deadline).toBeLessThan(1500);
    expect(existsSync(join(mediaDir(ts), id))).toBe(false);
    expect(await ts.store.getCloudMedia(id)).toBeNull();
    for (const who of [alice, bob]) {
      expect(await history(ts, who, who === alice ? bob : alice)).toEqual([]);
      const deletes = (await sync(ts, who)).filter((x) => x.kind === 'delete');
      expect(deletes).toHaveLength(1);
      expect(deletes[0]).toMatchObject({ ids: [msg.id] });
      expect((await download(ts, who, id)).status).toBe(404);
    }
    expect((await opened(ts, bob, id)).status).toBe(404);
    aliceWs.close();
    bobWs.close();
  });

  it('refuses downloads once the deadline passed, even before the timer ran', async () => {
    const id = (await upload(ts, alice, bob.userId, photo())).body.id;
    await sendMedia(ts, alice, bob, id, 5);
    await opened(ts, bob, id);
    ts.clock.now = Date.now() + 6000;
    expect((await download(ts, alice, id)).status).toBe(404);
    expect((await download(ts, bob, id)).status).toBe(404);
  });

  it('media without a timer lives like a message: opening sets no deadline; deleting the message deletes the file', async () => {
    const id = (await upload(ts, alice, bob.userId, photo())).body.id;
    const msg = (await sendMedia(ts, alice, bob, id)).body.message;
    const r = await opened(ts, bob, id);
    expect(r.body.media).toMatchObject({ ttl: 0, deadline: null });
    expect(r.body.media.openedAt).toEqual(expect.any(Number));
    expect(await ts.relay.runMediaTimers()).toBe(0);
    expect((await download(ts, bob, id)).status).toBe(200);

    expect((await call(ts, 'POST', `/api/cloud/chats/${alice.userId}/delete`, { token: bob.token, body: { ids: [msg.id] } })).status).toBe(204);
    expect(existsSync(join(mediaDir(ts), id))).toBe(false);
    expect(await ts.store.getCloudMedia(id)).toBeNull();
    expect((await download(ts, alice, id)).status).toBe(404);
  });

  it('purges uploads that were never sent after a day', async () => {
    const id = (await upload(ts, alice, bob.userId, photo())).body.id;
    const kept = (await upload(ts, alice, bob.userId, photo())).body.id;
    await sendMedia(ts, alice, bob, kept);
    ts.clock.now = Date.now() + 25 * 3600_000;
    await ts.relay.purgeExpired();
    expect(mediaFiles(ts)).toEqual([kept]);
    expect(await ts.store.getCloudMedia(id)).toBeNull();
  });
});

describe('cloud media timers with two relays on one DATA_DIR', () => {
  const servers: TestServer[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('deletes each expired media and its message exactly once', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const a = await startServer({ dataDir: dir });
    servers.push(a);
    const b = await startServer({ dataDir: dir });
    servers.push(b);
    const alice = await signup(a, `alice_${randomBytes(2).toString('hex')}`);
    const bob = await signup(a, `bob_${randomBytes(2).toString('hex')}`);

    // Uploaded, sent and opened through both relays alternately; all expire at about the same time.
    const N = 8;
    const ids: string[] = [];
    const messages: string[] = [];
    for (let i = 0; i < N; i++) {
      const via = i % 2 ? a : b;
      const id = (await upload(via, alice, bob.userId, photo())).body.id;
      messages.push((await sendMedia(via, alice, bob, id, 1)).body.message.id);
      ids.push(id);
    }
    await Promise.all(ids.map((id, i) => opened(i % 2 ? b : a, bob, id)));
    // Both relays' own timers fire; explicit concurrent runs race them.
    await sleep(1000);
    const counts = await Promise.all([a.relay.runMediaTimers(), b.relay.runMediaTimers(), a.relay.runMediaTimers(), b.relay.runMediaTimers()]);
    await until(() => readdirSync(join(dir, 'media')).length === 0, 8000);
    const left = () => (a.store.db.prepare('SELECT count(*) AS n FROM cloud_media').get() as { n: number }).n;
    await until(() => left() === 0, 8000);
    await sleep(300); // a second deletion, if there were one, would land now
    expect(counts.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(N);

    for (const who of [alice, bob]) {
      const deleted = (await sync(a, who)).filter((x) => x.kind === 'delete').flatMap((x) => (x.kind === 'delete' ? x.ids : []));
      expect(deleted.sort()).toEqual([...messages].sort());
    }
    const rows = a.store.db.prepare("SELECT user_id, count(*) AS n FROM user_updates WHERE kind = 'delete' GROUP BY user_id").all() as { n: number }[];
    expect(rows.map((r) => r.n)).toEqual([N, N]);
  });
});
