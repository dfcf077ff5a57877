/**
 * Several relay nodes serving the same users: two `createRelay` instances on one PostgreSQL schema,
 * their live events fanned out through Redis (RedisBus). Clients talk to different nodes over HTTP
 * (bearer tokens) and WebSockets. Then one node is killed mid-conversation: its client reconnects to
 * the other node, resyncs by cursor and seq, and nothing is lost.
 *
 * Needs PostgreSQL and Redis; skipped with a printed reason without them, except with CI=true.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope, ServerFrame, SyncRes, Update } from '../../../src/lib/api/wire';
import { call, connect, login, signup, sleep, uuid, type Account, type WsClient } from './helpers';
import { skipNodes, twoNodes, type Node } from './nodes';

const skip = skipNodes('multi-node relay');

const isUpdate = (pred: (u: Update) => boolean) => (f: ServerFrame) => f.t === 'update' && pred(f.update);
const isMessageFrom = (id: string) => isUpdate((u) => u.kind === 'message' && u.message.id === id);

/** A client that keeps its sync cursor and envelope seq, like the app's worker. */
class Client {
  cursor = 0;
  envSeq = 0;
  readonly messages = new Set<string>();
  readonly envelopes = new Set<string>();
  ws: WsClient | null = null;

  constructor(readonly acct: Account) {}

  /**
   * Like the app's SyncState: from (re)connecting until a resync completes, live updates must not move
   * the cursor, or updates sent while the client was away (below the live one) would be skipped.
   * A live update moves it only when it directly follows (`prev`), as in the app's applyLive.
   */
  behind = false;

  onFrame = (f: ServerFrame) => {
    if (f.t === 'update') {
      if (f.update.kind === 'message') this.messages.add(f.update.message.id);
      if (!this.behind && f.prev === this.cursor) this.cursor = f.update.cursor;
    } else if (f.t === 'envelope') {
      this.envelopes.add(f.envelope.id);
    }
  };

  async attach(node: Node) {
    this.behind = this.cursor > 0;
    this.ws = await connect(node.ts, this.acct.token);
    this.ws.ws.on('message', (d) => this.onFrame(JSON.parse(d.toString()) as ServerFrame));
    for (const f of this.ws.frames) this.onFrame(f);
    await this.ws.next((f) => f.t === 'hello');
  }

  /** Catches up over HTTP from the stored cursor / seq (what a client does after any reconnect). */
  async resync(node: Node) {
    for (;;) {
      const r = await call<SyncRes>(node.ts, 'GET', `/api/sync?after=${this.cursor}`, { token: this.acct.token });
      expect(r.status).toBe(200);
      for (const u of r.body.updates) if (u.kind === 'message') this.messages.add(u.message.id);
      this.cursor = Math.max(this.cursor, r.body.cursor);
      if (!r.body.more) break;
    }
    this.behind = false;
    for (;;) {
      const r = await call<{ envelopes: Envelope[] }>(node.ts, 'GET', `/api/envelopes?after=${this.envSeq}`, { token: this.acct.token });
      expect(r.status).toBe(200);
      if (r.body.envelopes.length === 0) break;
      for (const e of r.body.envelopes) this.envelopes.add(e.id);
      this.envSeq = r.body.envelopes.at(-1)!.seq;
    }
  }
}

describe.skipIf(skip)('multi-node relay (PostgreSQL + Redis)', () => {
  const nodes = twoNodes('multinode');
  let a: Node;
  let b: Node;

  beforeAll(async () => {
    [a, b] = await nodes.start();
  });
  afterAll(() => nodes.stop());

  it('reports db and redis in /healthz and counts in /metrics', async () => {
    const h = await call(a.ts, 'GET', '/healthz');
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ ok: true, checks: { db: { ok: true }, redis: { ok: true } } });
    const m = await fetch(a.ts.url + '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await m.text();
    for (const name of [
      'cinder_ws_connected_sockets',
      'cinder_messages_sent_total',
      'cinder_envelopes_queued_total',
      'cinder_push_sent_total',
      'process_resident_memory_bytes'
    ]) {
      expect(text).toMatch(new RegExp(`^${name} \\d+$`, 'm'));
    }
  });

  it('delivers cloud messages, envelopes, typing and revocation between clients on different nodes', async () => {
    const alice = await signup(a.ts);
    const bob = await signup(b.ts);
    const wsA = await connect(a.ts, alice.token);
    const wsB = await connect(b.ts, bob.token);
    await wsA.next((f) => f.t === 'hello');
    await wsB.next((f) => f.t === 'hello');

    // Presence is visible from both nodes.
    expect(await a.relay.presence.isOnline(bob.deviceId)).toBe(true);
    expect(await b.relay.presence.isOnline(alice.deviceId)).toBe(true);

    // Cloud message A → B, in real time.
    const m1 = uuid();
    const sent = await call(a.ts, 'POST', '/api/cloud/messages', { token: alice.token, body: { id: m1, toUserId: bob.userId, text: 'hi from node A' } });
    expect(sent.status).toBe(200);
    const got = await wsB.next(isMessageFrom(m1));
    expect(got.t === 'update' && got.update.kind === 'message' && got.update.message.text).toBe('hi from node A');
    await wsA.next(isMessageFrom(m1)); // the sender's own other sockets hear it too

    // And back B → A; the seq continues in the shared chat.
    const m2 = uuid();
    await call(b.ts, 'POST', '/api/cloud/messages', { token: bob.token, body: { id: m2, toUserId: alice.userId, text: 'hello from B' } });
    const back = await wsA.next(isMessageFrom(m2));
    expect(back.t === 'update' && back.update.kind === 'message' && back.update.message.seq).toBe(2);

    // Read receipts travel too.
    await call(a.ts, 'POST', `/api/cloud/chats/${bob.userId}/read`, { token: alice.token, body: { seq: 2 } });
    await wsB.next(isUpdate((u) => u.kind === 'read' && u.readerId === alice.userId && u.seq === 2));

    // Envelope A → bob's device on B.
    const envId = uuid();
    const body = randomBytes(1024).toString('base64url');
    const pe = await call(a.ts, 'POST', '/api/envelopes', { token: alice.token, body: { id: envId, toDeviceId: bob.deviceId, body } });
    expect(pe.status).toBe(200);
    const ef = await wsB.next((f) => f.t === 'envelope' && f.envelope.id === envId);
    expect(ef.t === 'envelope' && ef.envelope.body).toBe(body);

    // Typing over the socket on B reaches A.
    wsB.send({ t: 'typing', peerId: alice.userId });
    await wsA.next((f) => f.t === 'typing' && f.peerId === bob.userId);

    // Bob's second device sits on node A; revoking it through node B closes that socket on A.
    const bob2 = await login(b.ts, bob, 'Bob tablet');
    const ws2 = await connect(a.ts, bob2.token);
    await ws2.next((f) => f.t === 'hello');
    expect(await b.relay.presence.isOnline(bob2.deviceId)).toBe(true);
    expect((await call(a.ts, 'GET', '/api/me', { token: bob2.token })).status).toBe(200); // now in A's session cache
    expect((await call(b.ts, 'DELETE', `/api/devices/${bob2.deviceId}`, { token: bob.token })).status).toBe(204);
    await ws2.next((f) => f.t === 'revoked');
    // The bus event that closed the socket on A also dropped the cached session there.
    expect((await call(a.ts, 'GET', '/api/me', { token: bob2.token })).status).toBe(401);
    expect((await ws2.closed).code).toBe(4001);
    await expect.poll(() => b.relay.presence.isOnline(bob2.deviceId)).toBe(false);

    wsA.close();
    wsB.close();
    await expect.poll(() => b.relay.presence.isOnline(alice.deviceId)).toBe(false);
    expect(a.relay.metrics.get('cinder_messages_sent_total')).toBeGreaterThanOrEqual(1);
    expect(b.relay.metrics.get('cinder_messages_sent_total')).toBeGreaterThanOrEqual(1);
  });

  it('a password change on one node signs the other devices out on every node at once', async () => {
    const carol = await signup(a.ts);
    const phone = await login(a.ts, carol, 'Phone');
    const tablet = await login(b.ts, carol, 'Tablet');
    const [wsPhone, wsTablet] = await Promise.all([connect(a.ts, phone.token), connect(b.ts, tablet.token)]);
    await Promise.all([wsPhone.next((f) => f.t === 'hello'), wsTablet.next((f) => f.t === 'hello')]);
    expect((await call(a.ts, 'GET', '/api/me', { token: tablet.token })).status).toBe(200); // cached on A
    const r = await call(b.ts, 'POST', '/api/auth/password', { token: carol.token, body: { currentPassword: carol.password, newPassword: 'the new passphrase' } });
    expect([r.status, r.body]).toEqual([200, { signedOut: 2 }]);
    await wsPhone.next((f) => f.t === 'revoked');
    await wsTablet.next((f) => f.t === 'revoked');
    for (const n of [a, b]) for (const d of [phone, tablet]) expect((await call(n.ts, 'GET', '/api/me', { token: d.token })).status).toBe(401);
    expect((await call(a.ts, 'GET', '/api/me', { token: carol.token })).status).toBe(200);
  });

  it('an account deletion on one node signs every device out and tells the peer on every node at once', async () => {
    const dan = await signup(a.ts);
    const phone = await login(a.ts, dan, 'Phone');
    const erin = await signup(b.ts);
    const [wsDan, wsPhone, wsErin] = await Promise.all([connect(a.ts, dan.token), connect(b.ts, phone.token), connect(b.ts, erin.token)]);
    await Promise.all([wsDan, wsPhone, wsErin].map((w) => w.next((f) => f.t === 'hello')));
    expect((await call(b.ts, 'GET', '/api/me', { token: phone.token })).status).toBe(200); // cached on B
    // A secret-chat exchange between Dan's phone and Erin, through B.
    expect(
      (await call(b.ts, 'POST', '/api/envelopes', { token: phone.token, body: { id: uuid(), toDeviceId: erin.deviceId, body: randomBytes(48).toString('base64url') } }))
        .status
    ).toBe(200);
    const r = await call(a.ts, 'POST', '/api/account/delete', { token: dan.token, body: { password: dan.password, confirm: dan.username } });
    expect(r.status).toBe(204);
    await wsDan.next((f) => f.t === 'revoked');
    await wsPhone.next((f) => f.t === 'revoked');
    for (const n of [a, b]) for (const d of [dan, phone]) expect((await call(n.ts, 'GET', '/api/me', { token: d.token })).status).toBe(401);
    const notice = await wsErin.next<Extract<ServerFrame, { t: 'envelope' }>>((f) => f.t === 'envelope' && f.envelope.notice === 'account_deleted');
    expect(notice.envelope.fromDeviceId).toBe(phone.deviceId);
    wsErin.close();
  });

  it('loses nothing when a node dies mid-conversation: its client moves to the other node', async () => {
    const alice = new Client(await signup(a.ts));
    const bob = new Client(await signup(b.ts));
    await alice.attach(a);
    await bob.attach(b);

    const sentMessages: string[] = [];
    const sentEnvelopes: string[] = [];
    let stop = false;
    let failures = 0;
    // Alice (on A) keeps talking to Bob the whole time: cloud messages and envelopes, alternating.
    const talker = (async () => {
      for (let i = 0; !stop && i < 360; i++) {
        const id = uuid();
        const r =
          i % 2 === 0
            ? await call(a.ts, 'POST', '/api/cloud/messages', { token: alice.acct.token, body: { id, toUserId: bob.acct.userId, text: `m${i}` } })
            : await call(a.ts, 'POST', '/api/envelopes', {
                token: alice.acct.token,
                body: { id, toDeviceId: bob.acct.deviceId, body: randomBytes(64).toString('base64url') }
              });
        if (r.status === 200) (i % 2 === 0 ? sentMessages : sentEnvelopes).push(id);
        else failures++;
        await sleep(5);
      }
    })();

    // Bob receives live on node B…
    await expect.poll(() => bob.messages.size, { timeout: 5000 }).toBeGreaterThanOrEqual(5);
    const liveBefore = bob.messages.size;
    expect(bob.envelopes.size).toBeGreaterThan(0);

    // …until node B dies. Bob notices the dropped socket and reconnects to node A.
    await b.kill();
    const closed = await bob.ws!.closed;
    expect(closed.code).not.toBe(1000);
    await sleep(100); // messages keep flowing to a client that is momentarily offline
    await bob.attach(a);
    await bob.resync(a);
    await sleep(300); // live again, now through node A
    stop = true;
    await talker;
    await sleep(200);
    await bob.resync(a); // the final catch-up a client does anyway on its next sync

    expect(failures).toBe(0);
    expect(sentMessages.length).toBeGreaterThan(liveBefore);
    for (const id of sentMessages) expect(bob.messages.has(id), `message ${id}`).toBe(true);
    for (const id of sentEnvelopes) expect(bob.envelopes.has(id), `envelope ${id}`).toBe(true);

    // Bob's reply from node A reaches Alice live, and seqs stayed gap-free across the failover.
    const reply = uuid();
    await call(a.ts, 'POST', '/api/cloud/messages', { token: bob.acct.token, body: { id: reply, toUserId: alice.acct.userId, text: 'still here' } });
    await alice.ws!.next(isMessageFrom(reply));
    const hist = await call(a.ts, 'GET', `/api/cloud/chats/${alice.acct.userId}/messages?limit=200`, { token: bob.acct.token });
    const seqs = (hist.body.messages as Array<{ seq: number }>).map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length).toBe(sentMessages.length + 1);
    alice.ws!.close();
    bob.ws!.close();
  });
});
