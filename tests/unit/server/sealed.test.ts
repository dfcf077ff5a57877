/**
 * Sealed addressing over HTTP (protocol version 2), on SQLite and PostgreSQL: the device protocol field,
 * mailbox registration, the anonymous `POST /api/sealed` (capability MAC, no sender recorded even when a
 * session is sent, idempotency, rate limits), sealed blob uploads, and account deletion with sealed rows.
 * The MAC is computed here independently of the relay's code, from the formula in the spec.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { BLOB_MAILBOX_HEADER, BLOB_TOKEN_HEADER, Envelope, LIMITS, MAILBOX_LIMITS, PublicDevice, type ServerFrame } from '../../../src/lib/api/wire';
import { COOKIE } from '../../../src/lib/server/auth';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { b64u, call, connect, login, signup, uuid, type Account } from './helpers';

const DAY = 86_400_000;
const T = 1_900_000_000_000;

interface Mailbox {
  id: string;
  cap: Buffer;
}
const newMailbox = (): Mailbox => ({ id: randomBytes(16).toString('base64url'), cap: randomBytes(32) });
const mac = (cap: Buffer, id: string, body: Buffer) =>
  createHmac('sha256', cap)
    .update(Buffer.concat([Buffer.from('Cinder/v2/post'), Buffer.from(id), Buffer.from([0]), body]))
    .digest('base64url');
const blobToken = (cap: Buffer) => createHmac('sha256', cap).update('Cinder/v2/blob').digest('base64url');

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`sealed addressing (${backend.name})`, () => {
    let ts: AnyServer;
    afterEach(async () => {
      await ts?.close();
    });

    const register = (who: Account, boxes: Mailbox[], expiresAt = T + DAY) =>
      call(ts, 'POST', '/api/mailboxes', { token: who.token, body: { mailboxes: boxes.map((m) => ({ id: m.id, cap: m.cap.toString('base64url'), expiresAt })) } });
    const drop = (who: Account, ids: string[]) => call(ts, 'POST', '/api/mailboxes/drop', { token: who.token, body: { ids } });
    /** An anonymous post; `headers` may add a session to show it is ignored. */
    const post = (m: Mailbox, body: Buffer = randomBytes(48), id: string = uuid(), headers: Record<string, string> = {}, macOf: Buffer = body) =>
      call(ts, 'POST', '/api/sealed', { body: { id, mailbox: m.id, body: body.toString('base64url'), mac: mac(m.cap, id, macOf) }, headers });
    const envelopes = async (who: Account) => {
      const r = await call<{ envelopes: Envelope[] }>(ts, 'GET', '/api/envelopes', { token: who.token });
      expect(r.status).toBe(200);
      return r.body.envelopes.map((e) => Envelope.parse(e));
    };
    const start = async (env: Record<string, string> = {}) => {
      ts = await startOn(backend.name, env);
      ts.clock.now = T;
      return { alice: await signup(ts), bob: await signup(ts) };
    };

    it('records and lists each device protocol version (1 until the device says 2)', async () => {
      const { alice } = await start();
      const phone = await login(ts, alice, 'Phone');
      const devices = async () => {
        const r = await call(ts, 'GET', `/api/users/${alice.userId}/devices`, { token: alice.token });
        return Object.fromEntries((r.body.devices as unknown[]).map((d) => PublicDevice.parse(d)).map((d) => [d.id, d.protocol]));
      };
      expect(await devices()).toEqual({ [alice.deviceId]: 1, [phone.deviceId]: 1 });
      expect((await call(ts, 'POST', '/api/devices/protocol', { token: phone.token, body: { protocol: 2 } })).status).toBe(204);
      expect(await devices()).toEqual({ [alice.deviceId]: 1, [phone.deviceId]: 2 });
      expect((await call(ts, 'POST', '/api/devices/protocol', { token: phone.token, body: { protocol: 3 } })).status).toBe(400);
      expect((await call(ts, 'POST', '/api/devices/protocol', { body: { protocol: 2 } })).status).toBe(401);
      expect((await call(ts, 'POST', '/api/devices/protocol', { token: phone.token, body: { protocol: 1 } })).status).toBe(204);
      expect(await devices()).toEqual({ [alice.deviceId]: 1, [phone.deviceId]: 1 });
      // An older relay's answer (no field) reads as 1.
      expect(PublicDevice.parse({ id: 'x', signPub: b64u(32), dhPub: b64u(32) }).protocol).toBe(1);
    });

    it('registers mailboxes idempotently, leaves out and names conflicting ids, clamps and expires them, drops only the caller’s own', async () => {
      const { alice, bob } = await start();
      const [m1, m2, m3, m4] = [newMailbox(), newMailbox(), newMailbox(), newMailbox()];
      expect([(await register(bob, [m1, m2])).status, (await register(bob, [m1, m2])).body]).toEqual([200, { conflicts: [] }]);
      // Same device, same key: fine, and the expiry may move.
      expect((await register(bob, [m1], T + 2 * DAY)).status).toBe(200);
      expect((await ts.store.getMailbox(m1.id, T))!.expiresAt).toBe(T + 2 * DAY);
      // Another device, or another key: that id is named and left as it was; the call's others are registered.
      const other = await register(alice, [m3, m1]);
      expect([other.status, other.body]).toEqual([200, { conflicts: [m1.id] }]);
      expect((await ts.store.getMailbox(m3.id, T))!.deviceId).toBe(alice.deviceId);
      expect((await ts.store.getMailbox(m1.id, T))!.deviceId).toBe(bob.deviceId);
      expect((await register(bob, [m4, { id: m2.id, cap: randomBytes(32) }])).body).toEqual({ conflicts: [m2.id] });
      expect((await post(m2)).status).toBe(200); // still under its first key
      expect((await post(m3)).status).toBe(200);
      // A past expiry is refused; a far one is clamped to 4 days.
      expect((await register(bob, [m4], T - 1)).status).toBe(400);
      expect((await register(bob, [m4], T + 30 * DAY)).status).toBe(200);
      expect((await ts.store.getMailbox(m4.id, T))!.expiresAt).toBe(T + 4 * DAY);
      // Malformed: ids listed twice, wrong sizes, empty or oversize lists, no session.
      expect((await register(bob, [m1, m1])).status).toBe(400);
      expect((await register(bob, [{ id: b64u(15), cap: m1.cap }])).status).toBe(400);
      expect((await register(bob, [{ id: m1.id, cap: randomBytes(31) }])).status).toBe(400);
      expect((await register(bob, [])).status).toBe(400);
      expect((await register(bob, Array.from({ length: 257 }, newMailbox))).status).toBe(400);
      expect((await call(ts, 'POST', '/api/mailboxes', { body: { mailboxes: [] } })).status).toBe(401);

      // Dropping someone else's mailbox does nothing; one's own is gone.
      expect((await drop(alice, [m1.id])).status).toBe(204);
      expect((await post(m1)).status).toBe(200);
      expect((await drop(bob, [m1.id, newMailbox().id])).status).toBe(204);
      expect((await post(m1)).status).toBe(404);
      // Expired: unknown to posts, and purged with the other expired rows.
      expect((await post(m2)).status).toBe(200);
      ts.clock.now = T + DAY;
      expect((await post(m2)).status).toBe(404);
      await ts.relay.purgeExpired();
      expect(await ts.store.getMailbox(m2.id, 0)).toBeNull();
      expect(await ts.store.getMailbox(m4.id, 0)).not.toBeNull();
      // An expired id may be registered afresh, even by another device.
      expect((await register(alice, [m2], T + 2 * DAY)).body).toEqual({ conflicts: [] });
      expect((await ts.store.getMailbox(m2.id, T + DAY))!.deviceId).toBe(alice.deviceId);
    });

    it('a chat peer that takes one of a device’s future mailbox ids keeps only that one out, not the device’s others', async () => {
      const { alice, bob } = await start();
      const carol = await signup(ts);
      // Bob derives Alice's receive mailbox of a coming day in their chat and registers it first.
      const fromBob = newMailbox();
      expect((await register(bob, [fromBob], T + 3 * DAY)).status).toBe(200);
      // Alice registers all her chats' mailboxes in one call, as the app does.
      const fromCarol = newMailbox();
      const r = await register(alice, [fromCarol, fromBob], T + 3 * DAY);
      expect([r.status, r.body]).toEqual([200, { conflicts: [fromBob.id] }]);
      // Carol's post to Alice gets through.
      const id = uuid();
      expect((await post(fromCarol, randomBytes(48), id, { authorization: `Bearer ${carol.token}` })).status).toBe(200);
      expect((await envelopes(alice)).map((e) => [e.id, e.mailbox])).toEqual([[id, fromCarol.id]]);
    });

    it('caps the unexpired mailboxes of a device (409, nothing of that call stored)', async () => {
      const { alice, bob } = await start({ SEND_RATE_BURST: '100' });
      const perCall = MAILBOX_LIMITS.perCall;
      for (let i = 0; i < MAILBOX_LIMITS.perDevice / perCall; i++) expect((await register(alice, Array.from({ length: perCall }, newMailbox))).status).toBe(200);
      const over = [newMailbox(), newMailbox()];
      const r = await register(alice, over);
      expect([r.status, r.body.error.code]).toEqual([409, 'conflict']);
      expect(r.body.error.message).toContain(`at most ${MAILBOX_LIMITS.perDevice}`);
      expect(await ts.store.getMailbox(over[0]!.id, T)).toBeNull();
      // Another device is not affected; once Alice's expire she may register again.
      expect((await register(bob, over)).status).toBe(200);
      ts.clock.now = T + DAY;
      expect((await register(alice, [newMailbox()], T + 2 * DAY)).status).toBe(200);
    });

    it('queues a post without a session on the owner device with no sender and the mailbox, over GET and the socket', async () => {
      const { bob } = await start();
      const m = newMailbox();
      await register(bob, [m]);
      const socket = await connect(ts, bob.token);
      try {
        await socket.next((f) => f.t === 'hello');
        const body = randomBytes(200);
        const r = await post(m, body);
        expect(r.status).toBe(200);
        const [e] = await envelopes(bob);
        expect(e).toEqual({
          seq: r.body.seq,
          id: e.id,
          fromDeviceId: null,
          fromUserId: null,
          body: body.toString('base64url'),
          createdAt: T,
          requestId: null,
          mailbox: m.id
        });
        const f = await socket.next<Extract<ServerFrame, { t: 'envelope' }>>((x) => x.t === 'envelope');
        expect(f.envelope).toEqual(e);
        // Sealed at rest like every envelope body.
        const [row] = await ts.store.listEnvelopes(bob.deviceId, 0, 10, T);
        expect(row).toMatchObject({ fromDeviceId: null, fromUserId: null, mailbox: m.id, toDeviceId: bob.deviceId });
        expect(row.body.includes(body)).toBe(false);
      } finally {
        socket.ws.terminate();
      }
    });

    it('refuses a wrong MAC (403), an unknown mailbox (404), bad bodies (400/413), and is idempotent by id', async () => {
      const { bob } = await start();
      const [m, m2] = [newMailbox(), newMailbox()];
      await register(bob, [m, m2]);
      const body = randomBytes(32);
      // MAC over other bytes, under another key, for another id.
      expect((await post(m, body, uuid(), {}, randomBytes(32))).status).toBe(403);
      const id = uuid();
      const forged = await call(ts, 'POST', '/api/sealed', { body: { id, mailbox: m.id, body: body.toString('base64url'), mac: mac(randomBytes(32), id, body) } });
      expect([forged.status, forged.body.error.code]).toEqual([403, 'forbidden']);
      expect((await call(ts, 'POST', '/api/sealed', { body: { id, mailbox: m.id, body: body.toString('base64url'), mac: mac(m.cap, uuid(), body) } })).status).toBe(403);
      const unknown = await post(newMailbox());
      expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found']);
      expect((await post(m, Buffer.alloc(0))).status).toBe(400);
      expect((await post(m, randomBytes(LIMITS.envelopeMax + 1))).status).toBe(413);
      expect((await post(m, randomBytes(LIMITS.envelopeMax))).status).toBe(200);
      expect((await call(ts, 'POST', '/api/sealed', { body: { id: uuid(), mailbox: m.id, body: 'AA', mac: b64u(31) } })).status).toBe(400);
      expect(await envelopes(bob)).toHaveLength(1);
      await call(ts, 'POST', '/api/envelopes/ack', { token: bob.token, body: { upTo: Number.MAX_SAFE_INTEGER } });

      const first = await post(m, body, id);
      const again = await post(m, randomBytes(32), id);
      expect([first.status, again.status]).toEqual([200, 200]);
      expect(again.body.seq).toBe(first.body.seq);
      // The same id through another mailbox of the same device is another envelope's id: 409.
      expect((await post(m2, body, id)).status).toBe(409);
      expect((await envelopes(bob)).map((e) => e.body)).toEqual([body.toString('base64url')]);
    });

    it('records no sender even when the post carries a session cookie or bearer token, and logs nothing naming a device or user', async () => {
      const { alice, bob } = await start();
      const m = newMailbox();
      await register(bob, [m]);
      const from = ts.logs.length;
      expect((await post(m, randomBytes(16), uuid(), { cookie: `${COOKIE}=${alice.token}` })).status).toBe(200);
      expect((await post(m, randomBytes(16), uuid(), { authorization: `Bearer ${alice.token}` })).status).toBe(200);
      // A revoked or nonsense session changes nothing either: it is never looked at.
      expect((await post(m, randomBytes(16), uuid(), { cookie: `${COOKIE}=garbage` })).status).toBe(200);
      const rows = await ts.store.listEnvelopes(bob.deviceId, 0, 10, T);
      expect(rows).toHaveLength(3);
      for (const r of rows) expect([r.fromDeviceId, r.fromUserId, r.mailbox]).toEqual([null, null, m.id]);
      const logged = ts.logs.slice(from).join('\n');
      expect(logged).toContain('/api/sealed');
      for (const secret of [alice.userId, alice.deviceId, bob.userId, bob.deviceId]) expect(logged).not.toContain(secret);
    });

    it('rate-limits sealed posts per mailbox and per client address (429)', async () => {
      // A frozen clock: no bucket refills during the test. Per mailbox 3; per address 8 × 3.
      const { bob } = await start({ SEND_RATE_BURST: '3', SEND_RATE_PER_SEC: '1' });
      const boxes = Array.from({ length: 9 }, newMailbox);
      expect((await register(bob, boxes)).status).toBe(200);
      const codes = async (m: Mailbox, n: number) => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) out.push((await post(m)).status);
        return out;
      };
      expect(await codes(boxes[0], 4)).toEqual([200, 200, 200, 429]);
      for (const m of boxes.slice(1, 7)) expect(await codes(m, 3)).toEqual([200, 200, 200]);
      // 3 + 1 (refused by the mailbox, still counted by the address) + 18 = 22 of 24.
      expect(await codes(boxes[7], 3)).toEqual([200, 200, 429]);
      const r = await post(boxes[8]);
      expect([r.status, r.body.error.code]).toEqual([429, 'rate_limited']);
      expect(r.headers.get('retry-after')).toBeTruthy();
      // Time heals.
      ts.clock.now = T + 60_000;
      expect((await post(boxes[8])).status).toBe(200);
    });

    it('takes a media blob through a mailbox token for the mailbox device, under that device’s inbound quota', async () => {
      const { alice, bob } = await start({ BLOB_QUOTA_BYTES: '1000' });
      const m = newMailbox();
      await register(bob, [m]);
      const upload = (bytes: Buffer, headers: Record<string, string>) =>
        call(ts, 'POST', '/api/blobs', { raw: bytes, headers: { 'content-type': 'application/octet-stream', ...headers } });
      const sealed = (bytes: Buffer, extra: Record<string, string> = {}) =>
        upload(bytes, { [BLOB_MAILBOX_HEADER]: m.id, [BLOB_TOKEN_HEADER]: blobToken(m.cap), ...extra });

      const bytes = randomBytes(600);
      // With alice's session sent along: ignored, the blob still has no owner.
      const r = await sealed(bytes, { authorization: `Bearer ${alice.token}` });
      expect(r.status).toBe(201);
      const row = await ts.store.getBlob(r.body.id, T);
      expect(row).toMatchObject({ ownerDeviceId: null, ownerUserId: null, toDeviceId: bob.deviceId, size: 600 });
      // Not counted against alice's own quota; counted against bob's device inbound one.
      expect(await ts.store.blobUsage(alice.userId, T)).toBe(0);
      expect(await ts.store.sealedBlobUsage(bob.deviceId, T)).toBe(600);
      const over = await sealed(randomBytes(500));
      expect([over.status, over.body.error.code]).toEqual([413, 'quota_exceeded']);
      // bob's own uploads have their own quota.
      expect((await upload(randomBytes(900), { authorization: `Bearer ${bob.token}`, 'x-cinder-to-device': alice.deviceId })).status).toBe(201);

      const got = await fetch(`${ts.url}/api/blobs/${r.body.id}`, { headers: { authorization: `Bearer ${bob.token}` } });
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
      expect((await call(ts, 'GET', `/api/blobs/${r.body.id}`, { token: alice.token })).status).toBe(404);

      expect((await sealed(randomBytes(10), { [BLOB_TOKEN_HEADER]: blobToken(randomBytes(32)) })).status).toBe(403);
      expect((await sealed(randomBytes(10), { [BLOB_TOKEN_HEADER]: b64u(31) })).status).toBe(400);
      expect((await sealed(randomBytes(10), { [BLOB_MAILBOX_HEADER]: newMailbox().id })).status).toBe(404);
      expect((await sealed(randomBytes(10), { [BLOB_MAILBOX_HEADER]: 'short' })).status).toBe(400);
      expect((await sealed(Buffer.alloc(0))).status).toBe(400);

      expect((await call(ts, 'DELETE', `/api/blobs/${r.body.id}`, { token: bob.token })).status).toBe(204);
      expect(await ts.store.sealedBlobUsage(bob.deviceId, T)).toBe(0);
      expect((await sealed(randomBytes(900))).status).toBe(201);
    });

    it('drops a device’s mailboxes when it is revoked or its account deleted; deletions work with sealed rows present', async () => {
      const { alice, bob } = await start();
      const phone = await login(ts, bob, 'Phone');
      const [mb, mp, ma] = [newMailbox(), newMailbox(), newMailbox()];
      await register(bob, [mb]);
      await register(phone, [mp]);
      await register(alice, [ma]);
      // Sealed rows in every direction, and a sealed blob for bob.
      expect((await post(mb)).status).toBe(200);
      expect((await post(mp)).status).toBe(200);
      expect((await post(ma)).status).toBe(200);
      const blob = await call(ts, 'POST', '/api/blobs', {
        raw: randomBytes(10),
        headers: { 'content-type': 'application/octet-stream', [BLOB_MAILBOX_HEADER]: mb.id, [BLOB_TOKEN_HEADER]: blobToken(mb.cap) }
      });
      expect(blob.status).toBe(201);

      expect((await call(ts, 'DELETE', `/api/devices/${phone.deviceId}`, { token: bob.token })).status).toBe(204);
      expect((await post(mp)).status).toBe(404);
      expect((await post(mb)).status).toBe(200);

      const del = await call(ts, 'POST', '/api/account/delete', { token: bob.token, body: { password: bob.password, confirm: bob.username } });
      expect(del.status).toBe(204);
      expect((await post(mb)).status).toBe(404);
      expect(await ts.store.getMailbox(mb.id, 0)).toBeNull();
      expect(await ts.store.listEnvelopes(bob.deviceId, 0, 10, T)).toEqual([]);
      expect(await ts.store.getBlob(blob.body.id, T)).toBeNull();
      // alice's sealed envelope and mailbox are untouched; her own deletion works too.
      expect(await envelopes(alice)).toHaveLength(1);
      expect((await call(ts, 'POST', '/api/account/delete', { token: alice.token, body: { password: alice.password, confirm: alice.username } })).status).toBe(204);
      expect(await ts.store.getMailbox(ma.id, 0)).toBeNull();
    });
  });
}
