/**
 * Blocking users over HTTP, on SQLite and PostgreSQL (docs/api.md "Blocking"): the list and its changes
 * (idempotent, validated, my other devices told live, read by any device later); what a block refuses
 * both ways with a clear code, storing nothing (cloud messages, forwards, uploads, edits, reactions,
 * pins, secret-chat requests, typing); what it leaves open (reading, read marks, deletes); everything
 * flowing again after an unblock; an account's deletion taking both sides of its blocks; and no push
 * for what a blocked user tried to send.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlockedUser, CloudMessage, ServerFrame, SyncRes } from '../../../src/lib/api/wire';
import { BACKENDS, useRelayOn } from './backends';
import { b64u, call, connect, login, sendText, signup, startServer, uuid, type Account, type TestServer } from './helpers';
import { newSubscriber, startFakePushService, type FakePushService } from './push-fake';

type Served = Parameters<typeof call>[0];
type Refusal = { error: { code: string; message: string } };
const blockOf = (ts: Served, who: Account, target: string) => call<{ user: BlockedUser } & Refusal>(ts, 'PUT', `/api/blocks/${target}`, { token: who.token });
const unblockOf = (ts: Served, who: Account, target: string) => call(ts, 'DELETE', `/api/blocks/${target}`, { token: who.token });
const listOf = async (ts: Served, who: Account) => (await call<{ users: BlockedUser[] }>(ts, 'GET', '/api/blocks', { token: who.token })).body.users;
const send = (ts: Served, from: Account, to: Account, text: string, id: string = uuid()) =>
  call<{ message: CloudMessage } & Refusal>(ts, 'POST', '/api/cloud/messages', { token: from.token, body: { id, toUserId: to.userId, text } });
const synced = async (ts: Served, who: Account) =>
  (await call<SyncRes>(ts, 'GET', '/api/sync?after=0', { token: who.token })).body.updates.flatMap((u) => (u.kind === 'message' ? [u.message.text] : []));
const upload = (ts: Served, from: Account, to: Account) =>
  call<{ id: string }>(ts, 'POST', '/api/cloud/media', {
    token: from.token,
    raw: Buffer.from('%PDF-1.4 plan'),
    headers: { 'content-type': 'application/octet-stream', 'x-cinder-to-user': to.userId, 'x-cinder-mime': 'application/pdf', 'x-cinder-name': 'plan.pdf' }
  });
const request = (ts: Served, from: Account, to: Account) =>
  call(ts, 'POST', '/api/envelopes', { token: from.token, body: { id: uuid(), toDeviceId: to.deviceId, body: b64u(24), requestId: uuid() } });
const code = (r: { status: number; body: unknown }) => [r.status, (r.body as Partial<Refusal> | undefined)?.error?.code];

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`blocking users: ${backend.name}`, () => {
    const rig = useRelayOn(backend.name, ['alice', 'bob', 'carol']);

    it('lists, blocks and unblocks idempotently; my other devices are told live; a later device reads the list', async () => {
      const { ts, alice, bob, carol } = rig;
      const laptop = await login(ts, alice, 'Laptop');
      const laptopWs = await connect(ts, laptop.token);
      const bobWs = await connect(ts, bob.token);
      await laptopWs.next((f) => f.t === 'hello');
      await bobWs.next((f) => f.t === 'hello');
      expect(await listOf(ts, alice)).toEqual([]);

      const first = await blockOf(ts, alice, bob.userId);
      expect(first.status).toBe(200);
      const since = first.body.user.since;
      expect(first.body.user).toEqual({ id: bob.userId, username: bob.username, displayName: bob.username, since });
      await laptopWs.next((f) => f.t === 'blocks');
      // A repeat keeps the first time and tells nobody again.
      const again = await blockOf(ts, alice, bob.userId);
      expect([again.status, again.body.user.since]).toEqual([200, since]);
      await blockOf(ts, alice, carol.userId);
      await laptopWs.next((f) => f.t === 'blocks');
      expect(laptopWs.frames.filter((f) => f.t === 'blocks')).toHaveLength(2);
      expect((await listOf(ts, laptop)).map((u) => u.id)).toEqual([carol.userId, bob.userId]);
      const phone = await login(ts, alice, 'Phone');
      expect((await listOf(ts, phone)).map((u) => u.username)).toEqual([carol.username, bob.username]);
      // The blocked user learns nothing of it from the list or a frame.
      expect(await listOf(ts, bob)).toEqual([]);
      expect(bobWs.frames.some((f) => f.t === 'blocks')).toBe(false);

      expect((await unblockOf(ts, alice, bob.userId)).status).toBe(204);
      await laptopWs.next((f) => f.t === 'blocks');
      expect((await unblockOf(ts, alice, bob.userId)).status).toBe(204);
      expect((await listOf(ts, alice)).map((u) => u.id)).toEqual([carol.userId]);
      laptopWs.close();
      bobWs.close();
    });

    it('refuses myself, an unknown user, a malformed id, no session and another origin, clearly', async () => {
      const { ts, alice, bob } = rig;
      const self = await blockOf(ts, alice, alice.userId);
      expect(code(self)).toEqual([400, 'bad_request']);
      expect(self.body.error.message).toBe('You cannot block yourself.');
      expect(code(await unblockOf(ts, alice, alice.userId))).toEqual([400, 'bad_request']);
      expect(code(await blockOf(ts, alice, 'nobody-here'))).toEqual([404, 'not_found']);
      expect(code(await unblockOf(ts, alice, 'nobody-here'))).toEqual([404, 'not_found']);
      expect(code(await blockOf(ts, alice, 'not%20an%20id!'))).toEqual([400, 'bad_request']);
      expect((await call(ts, 'PUT', `/api/blocks/${bob.userId}`)).status).toBe(401);
      expect((await call(ts, 'GET', '/api/blocks')).status).toBe(401);
      expect((await call(ts, 'PUT', `/api/blocks/${bob.userId}`, { token: alice.token, headers: { origin: 'https://evil.example' } })).status).toBe(403);
      expect((await call(ts, 'DELETE', `/api/blocks/${bob.userId}`, { token: alice.token, headers: { origin: 'https://evil.example' } })).status).toBe(403);
      expect(await listOf(ts, alice)).toEqual([]);
    });

    it("refuses the blocked user's writes with 403 blocked and the blocker's with 403 you_blocked, storing nothing; reading, read marks and deletes stay open", async () => {
      const { ts, alice, bob, carol } = rig;
      const old = await sendText(ts, bob, alice, 'before the block');
      const mine = await sendText(ts, alice, bob, 'mine, before');
      const fromCarol = await sendText(ts, carol, bob, 'from carol');
      const aliceWs = await connect(ts, alice.token);
      await aliceWs.next((f) => f.t === 'hello');
      await blockOf(ts, alice, bob.userId);

      const refused = await send(ts, bob, alice, 'after the block');
      expect(code(refused)).toEqual([403, 'blocked']);
      expect(refused.body.error.message).toBe('This user blocked you: nothing was sent.');
      const back = await send(ts, alice, bob, 'to someone I blocked');
      expect(code(back)).toEqual([403, 'you_blocked']);
      expect(back.body.error.message).toBe('You blocked this user. Unblock them to write to them.');
      const chat = (action: string, who: Account, peer: Account, body: unknown) =>
        call(ts, 'POST', `/api/cloud/chats/${peer.userId}/${action}`, { token: who.token, body });
      expect(code(await chat('edit', bob, alice, { id: old.id, text: 'edited' }))).toEqual([403, 'blocked']);
      expect(code(await chat('react', bob, alice, { id: mine.id, emoji: '👍' }))).toEqual([403, 'blocked']);
      expect(code(await chat('pin', bob, alice, { id: old.id, pinned: true }))).toEqual([403, 'blocked']);
      expect(code(await chat('react', alice, bob, { id: old.id, emoji: '👍' }))).toEqual([403, 'you_blocked']);
      expect(code(await chat('edit', alice, bob, { id: mine.id, text: 'edited' }))).toEqual([403, 'you_blocked']);
      expect(code(await chat('pin', alice, bob, { id: mine.id, pinned: true }))).toEqual([403, 'you_blocked']);
      const forward = await call(ts, 'POST', '/api/cloud/forward', {
        token: bob.token,
        body: { toUserId: alice.userId, fromPeerId: carol.userId, ids: [fromCarol.id], newIds: [uuid()] }
      });
      expect(code(forward)).toEqual([403, 'blocked']);
      expect(code(await upload(ts, bob, alice))).toEqual([403, 'blocked']);
      expect(code(await upload(ts, alice, bob))).toEqual([403, 'you_blocked']);
      expect(code(await request(ts, bob, alice))).toEqual([403, 'blocked']);
      expect(code(await request(ts, alice, bob))).toEqual([403, 'you_blocked']);

      // Nothing was stored or delivered: Alice's log and the chat hold only what came before.
      expect(await synced(ts, alice)).toEqual(['before the block', 'mine, before']);
      const history = await call<{ messages: CloudMessage[] }>(ts, 'GET', `/api/cloud/chats/${bob.userId}/messages`, { token: alice.token });
      expect(history.body.messages.map((m) => [m.text, m.editedAt, m.reactions])).toEqual([
        ['before the block', undefined, undefined],
        ['mine, before', undefined, undefined]
      ]);
      expect((await call(ts, 'GET', '/api/envelopes', { token: alice.token })).body.envelopes).toEqual([]);
      expect(aliceWs.frames.filter((f) => f.t === 'update' || f.t === 'envelope')).toEqual([]);

      // Still open: reading, read marks, deleting.
      expect((await call(ts, 'GET', `/api/cloud/chats/${alice.userId}/messages`, { token: bob.token })).status).toBe(200);
      expect((await chat('read', bob, alice, { seq: 2 })).status).toBe(204);
      expect((await chat('delete', bob, alice, { ids: [old.id] })).status).toBe(204);
      expect((await chat('read', alice, bob, { seq: 2 })).status).toBe(204);
      // A message stored before the block, sent again (its answer was lost), is answered as before.
      const repeat = await send(ts, alice, bob, 'mine, before', mine.id);
      expect([repeat.status, repeat.body.message.id]).toEqual([200, mine.id]);

      // Unblocked: everything flows again, both ways.
      await unblockOf(ts, alice, bob.userId);
      expect((await send(ts, bob, alice, 'hello again')).status).toBe(200);
      expect((await send(ts, alice, bob, 'welcome back')).status).toBe(200);
      expect((await upload(ts, bob, alice)).status).toBe(201);
      expect((await request(ts, bob, alice)).status).toBe(200);
      aliceWs.close();
    });

    it('sends no typing to or from a blocked user, and says nothing about it', async () => {
      const { ts, alice, bob } = rig;
      await sendText(ts, bob, alice, 'hi');
      const [a, b] = [await connect(ts, alice.token), await connect(ts, bob.token)];
      await a.next((f) => f.t === 'hello');
      await b.next((f) => f.t === 'hello');
      await blockOf(ts, alice, bob.userId);
      b.send({ t: 'typing', peerId: alice.userId });
      a.send({ t: 'typing', peerId: bob.userId });
      // A ping after each: its pong proves the typing frame before it was handled.
      b.send({ t: 'ping', n: 1 });
      a.send({ t: 'ping', n: 2 });
      await b.next((f) => f.t === 'pong');
      await a.next((f) => f.t === 'pong');
      const noise = (f: ServerFrame) => f.t === 'typing' || f.t === 'error';
      expect([...a.frames.filter(noise), ...b.frames.filter(noise)]).toEqual([]);
      await unblockOf(ts, alice, bob.userId);
      b.send({ t: 'typing', peerId: alice.userId });
      expect(await a.next((f) => f.t === 'typing')).toEqual({ t: 'typing', peerId: bob.userId });
      a.close();
      b.close();
    });

    it("an account's deletion takes both sides of its blocks; the blockers' devices are told", async () => {
      const { ts, alice, bob, carol } = rig;
      await blockOf(ts, alice, bob.userId);
      await blockOf(ts, bob, carol.userId);
      const aliceWs = await connect(ts, alice.token);
      await aliceWs.next((f) => f.t === 'hello');
      expect((await call(ts, 'POST', '/api/account/delete', { token: bob.token, body: { password: bob.password, confirm: bob.username } })).status).toBe(204);
      await aliceWs.next((f) => f.t === 'blocks');
      expect(await listOf(ts, alice)).toEqual([]);
      expect(await ts.store.blockedBetween(bob.userId, carol.userId)).toEqual({ aBlockedB: false, bBlockedA: false });
      // Nothing more comes from a deleted account: it cannot be blocked.
      expect(code(await blockOf(ts, carol, bob.userId))).toEqual([410, 'gone']);
      aliceWs.close();
    });
  });
}

describe('pushes and blocking', () => {
  let ts: TestServer;
  let fake: FakePushService;
  beforeEach(async () => {
    fake = await startFakePushService();
    ts = await startServer({ env: { PUSH_ALLOW_INSECURE: 'true' }, pushCoalesceMs: 60_000 });
  });
  afterEach(async () => {
    await ts.close();
    await fake.close();
  });

  it("no push reaches the blocker for a blocked user's message or secret-chat request; another's still does", async () => {
    const [alice, bob, carol] = [await signup(ts, 'alice'), await signup(ts, 'bob'), await signup(ts, 'carol')];
    const sub = newSubscriber(fake, 'alice');
    expect((await call(ts, 'POST', '/api/push/subscribe', { token: alice.token, body: { endpoint: sub.endpoint, expirationTime: null, keys: sub.keys } })).status).toBe(
      204
    );
    await blockOf(ts, alice, bob.userId);
    expect((await send(ts, bob, alice, 'let me in')).status).toBe(403);
    expect((await request(ts, bob, alice)).status).toBe(403);
    await ts.relay.pushIdle();
    expect(fake.to(sub.path)).toEqual([]);
    await sendText(ts, carol, alice, 'hello');
    await fake.waitFor(sub.path, 1);
    expect(fake.to(sub.path).map((p) => sub.decrypt(p.body))).toEqual(['{"t":"update"}']);
  });
});
