/**
 * Scheduled messages (POST /api/cloud/scheduled and friends), on SQLite and PostgreSQL, with the relay's
 * clock set by the test: a message is sent at its time and not before, through the normal send path
 * (the peer gets a message from me, dated then), and leaves my list in the same step; an edit moves it,
 * a delete cancels it, "send now" sends it at once; a send refused when due (the peer blocked me) keeps
 * the row with its reason (an account deleted too: its own rows go with it); two relay nodes send it
 * once; a relay starting later sends what is overdue.
 * Every change reaches my other devices as a 'scheduled' update.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudMessage, ServerFrame, SyncRes, Update } from '../../../src/lib/api/wire';
import type { ScheduledMessage } from '../../../src/lib/api/wire-scheduled';
import { createLogger } from '../../../src/lib/server/log';
import { createRelay, type Relay } from '../../../src/lib/server/relay';
import { BACKENDS, startOn, type AnyServer } from './backends';
import { call, connect, FAST_SCRYPT, listenRelay, login, signup, uuid, type Account } from './helpers';

const SEC = 1000;

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`scheduled messages: ${backend.name}`, () => {
    let ts: AnyServer;
    let alice: Account;
    let bob: Account;
    let t0: number;
    const extra: Relay[] = [];

    beforeEach(async () => {
      ts = await startOn(backend.name);
      [alice, bob] = [await signup(ts, `alice_${backend.name}`), await signup(ts, `bob_${backend.name}`)];
      t0 = Date.now();
      ts.clock.now = t0;
    });
    afterEach(async () => {
      for (const r of extra.splice(0)) await r.close();
      await ts.close();
    });

    const schedule = (who: Account, peer: Account, text: string, at: number, id: string = uuid(), replyTo?: string) =>
      call<{ scheduled: ScheduledMessage; error: { code: string; message: string } }>(ts, 'POST', '/api/cloud/scheduled', {
        token: who.token,
        body: { id, peerId: peer.userId, text, at, ...(replyTo ? { replyTo } : {}) }
      });
    const list = async (who: Account, peer: Account) =>
      (await call<{ scheduled: ScheduledMessage[] }>(ts, 'GET', `/api/cloud/chats/${peer.userId}/scheduled`, { token: who.token })).body.scheduled;
    const history = async (who: Account, peer: Account) =>
      (await call<{ messages: CloudMessage[] }>(ts, 'GET', `/api/cloud/chats/${peer.userId}/messages`, { token: who.token })).body.messages;
    const updates = async (who: Account) => (await call<SyncRes>(ts, 'GET', '/api/sync?after=0&limit=500', { token: who.token })).body.updates;
    const at = (ms: number) => {
      ts.clock.now = t0 + ms;
    };

    it('is sent at its time, not before, as my message dated then; it leaves my list and my other devices are told', async () => {
      const phone = await login(ts, { username: alice.username, password: alice.password });
      const ws = await connect(ts, phone.token);
      const made = await schedule(alice, bob, 'see you **soon**', t0 + 60 * SEC);
      expect(made.status).toBe(200);
      expect(made.body.scheduled).toMatchObject({ peerId: bob.userId, text: 'see you **soon**', at: t0 + 60 * SEC, failed: null, replyTo: null });
      const id = made.body.scheduled.id;
      const live = await ws.next((f) => f.t === 'update' && f.update.kind === 'scheduled');
      expect(live.t === 'update' && live.update).toMatchObject({ kind: 'scheduled', peerId: bob.userId, id, item: { text: 'see you **soon**' } });
      expect((await list(phone, bob)).map((s) => s.id)).toEqual([id]);
      // Bob learns nothing of it until it is sent.
      expect(await history(bob, alice)).toEqual([]);
      expect((await updates(bob)).length).toBe(0);
      expect((await call(ts, 'GET', '/api/cloud/chats', { token: bob.token })).body.chats).toEqual([]);

      at(60 * SEC - 1);
      expect(await ts.relay.runScheduled()).toBe(0);
      expect(await history(bob, alice)).toEqual([]);

      at(60 * SEC);
      // (Counted by whichever run took it: this one, or the node's own timer running meanwhile.)
      await ts.relay.runScheduled();
      const [m] = await history(bob, alice);
      expect(m).toMatchObject({ id, senderId: alice.userId, text: 'see you **soon**', createdAt: t0 + 60 * SEC });
      expect(await list(alice, bob)).toEqual([]);
      const gone = await ws.next((f) => f.t === 'update' && f.update.kind === 'scheduled' && f.update.item === null);
      expect(gone.t === 'update' && gone.update).toMatchObject({ id, item: null });
      // My log: the message, then the row gone; Bob's: the message, unread.
      const mine = (await updates(alice)).filter((u) => u.kind === 'message' || u.kind === 'scheduled');
      expect(mine.at(-1)).toMatchObject({ kind: 'scheduled', id, item: null });
      expect((await updates(bob)).filter((u) => u.kind === 'message')).toHaveLength(1);
      const chats = (await call(ts, 'GET', '/api/cloud/chats', { token: bob.token })).body.chats as { unread: number }[];
      expect(chats[0].unread).toBe(1);
      // Nothing is sent twice.
      at(120 * SEC);
      expect(await ts.relay.runScheduled()).toBe(0);
      ws.close();
    });

    it('an edit moves it and changes its text; a delete cancels it; send now sends at once', async () => {
      const a = (await schedule(alice, bob, 'first', t0 + 30 * SEC)).body.scheduled;
      const b = (await schedule(alice, bob, 'second', t0 + 40 * SEC)).body.scheduled;
      const c = (await schedule(alice, bob, 'third', t0 + 50 * SEC)).body.scheduled;
      expect((await list(alice, bob)).map((s) => s.text)).toEqual(['first', 'second', 'third']);

      const moved = await call(ts, 'PATCH', `/api/cloud/scheduled/${a.id}`, { token: alice.token, body: { at: t0 + 90 * SEC, text: 'first, later' } });
      expect(moved.status).toBe(200);
      expect(moved.body.scheduled).toMatchObject({ at: t0 + 90 * SEC, text: 'first, later' });
      expect((await call(ts, 'DELETE', `/api/cloud/scheduled/${b.id}`, { token: alice.token })).status).toBe(204);
      expect((await call(ts, 'DELETE', `/api/cloud/scheduled/${b.id}`, { token: alice.token })).status).toBe(404);

      at(10 * SEC);
      expect((await call(ts, 'POST', `/api/cloud/scheduled/${c.id}/send`, { token: alice.token })).status).toBe(204);
      expect((await history(bob, alice)).map((m) => [m.text, m.createdAt])).toEqual([['third', t0 + 10 * SEC]]);

      at(60 * SEC);
      await ts.relay.runScheduled();
      expect((await history(bob, alice)).map((m) => m.text)).toEqual(['third']);
      at(90 * SEC);
      await ts.relay.runScheduled();
      expect((await history(bob, alice)).map((m) => m.text)).toEqual(['third', 'first, later']);
      expect(await list(alice, bob)).toEqual([]);
      // Another's scheduled message is not mine to touch.
      const d = (await schedule(alice, bob, 'mine', t0 + 200 * SEC)).body.scheduled;
      expect((await call(ts, 'PATCH', `/api/cloud/scheduled/${d.id}`, { token: bob.token, body: { text: 'x' } })).status).toBe(404);
      expect((await call(ts, 'DELETE', `/api/cloud/scheduled/${d.id}`, { token: bob.token })).status).toBe(404);
      expect((await call(ts, 'POST', `/api/cloud/scheduled/${d.id}/send`, { token: bob.token })).status).toBe(404);
    });

    it('refused when due (the peer blocked me): kept with the reason, not retried, and I can delete it', async () => {
      const s = (await schedule(alice, bob, 'hello?', t0 + 20 * SEC)).body.scheduled;
      expect((await call(ts, 'PUT', `/api/blocks/${alice.userId}`, { token: bob.token })).status).toBe(200);
      at(20 * SEC);
      expect(await ts.relay.runScheduled()).toBe(0);
      expect(await history(bob, alice)).toEqual([]);
      const [kept] = await list(alice, bob);
      expect(kept).toMatchObject({ id: s.id, failed: 'this user blocked you' });
      const u = (await updates(alice)).filter((x): x is Extract<Update, { kind: 'scheduled' }> => x.kind === 'scheduled').at(-1);
      expect(u?.item?.failed).toBe('this user blocked you');
      at(40 * SEC);
      await ts.relay.runScheduled();
      expect(await history(bob, alice)).toEqual([]);
      // Send now is refused too, with the same words.
      const now = await call(ts, 'POST', `/api/cloud/scheduled/${s.id}/send`, { token: alice.token });
      expect([now.status, now.body.error.code]).toEqual([403, 'blocked']);
      expect((await call(ts, 'DELETE', `/api/cloud/scheduled/${s.id}`, { token: alice.token })).status).toBe(204);
      expect(await list(alice, bob)).toEqual([]);
    });

    it('a send now failing again for another reason stores that reason (and tells my devices); the same reason again changes nothing', async () => {
      const phone = await login(ts, { username: alice.username, password: alice.password });
      const ws = await connect(ts, phone.token);
      const failedFrame = (reason: string) => (f: ServerFrame) => f.t === 'update' && f.update.kind === 'scheduled' && f.update.item?.failed === reason;
      const s = (await schedule(alice, bob, 'hello?', t0 + 20 * SEC)).body.scheduled;
      expect((await call(ts, 'PUT', `/api/blocks/${alice.userId}`, { token: bob.token })).status).toBe(200);
      at(20 * SEC);
      await ts.relay.runScheduled();
      await ws.next(failedFrame('this user blocked you'));
      // Bob unblocks me and I block him: Send now fails for another reason, which replaces the first.
      expect((await call(ts, 'DELETE', `/api/blocks/${alice.userId}`, { token: bob.token })).status).toBe(204);
      expect((await call(ts, 'PUT', `/api/blocks/${bob.userId}`, { token: alice.token })).status).toBe(200);
      const again = await call(ts, 'POST', `/api/cloud/scheduled/${s.id}/send`, { token: phone.token });
      expect([again.status, again.body.error.code]).toEqual([403, 'you_blocked']);
      expect(await list(alice, bob)).toMatchObject([{ id: s.id, failed: 'you blocked this user' }]);
      const live = await ws.next<Extract<ServerFrame, { t: 'update' }>>(failedFrame('you blocked this user'));
      expect(live.update).toMatchObject({ kind: 'scheduled', id: s.id, item: { text: 'hello?', failed: 'you blocked this user' } });
      const scheduledLog = async () => (await updates(alice)).filter((x): x is Extract<Update, { kind: 'scheduled' }> => x.kind === 'scheduled');
      expect((await scheduledLog()).map((u) => u.item?.failed)).toEqual(['you blocked this user', 'you blocked this user', 'you blocked this user']);
      // The same refusal again: no new update.
      expect((await call(ts, 'POST', `/api/cloud/scheduled/${s.id}/send`, { token: alice.token })).status).toBe(403);
      expect(await scheduledLog()).toHaveLength(3);
      // Unblocked: Send now sends it.
      expect((await call(ts, 'DELETE', `/api/blocks/${bob.userId}`, { token: alice.token })).status).toBe(204);
      expect((await call(ts, 'POST', `/api/cloud/scheduled/${s.id}/send`, { token: alice.token })).status).toBe(204);
      expect((await history(bob, alice)).map((m) => m.text)).toEqual(['hello?']);
      expect(await list(alice, bob)).toEqual([]);
      ws.close();
    });

    it('checks the time, the text and the per-chat limit; Saved Messages too; a reply keeps its quote', async () => {
      expect((await schedule(alice, bob, 'soon', t0 + 4 * SEC)).body.error.message).toMatch(/at least 5 seconds/);
      expect((await schedule(alice, bob, 'late', t0 + 366 * 24 * 3600 * SEC)).body.error.message).toMatch(/within 365 days/);
      expect((await schedule(alice, bob, '   ', t0 + 60 * SEC)).status).toBe(400);
      expect((await call(ts, 'POST', '/api/cloud/scheduled', { token: alice.token, body: { peerId: bob.userId, text: 'x' } })).status).toBe(400);
      const s = (await schedule(alice, bob, 'ok', t0 + 60 * SEC)).body.scheduled;
      expect((await call(ts, 'PATCH', `/api/cloud/scheduled/${s.id}`, { token: alice.token, body: { at: t0 + 1000 } })).status).toBe(400);
      expect((await call(ts, 'PATCH', `/api/cloud/scheduled/${s.id}`, { token: alice.token, body: {} })).status).toBe(400);
      // Idempotent by id.
      expect((await schedule(alice, bob, 'ok', t0 + 60 * SEC, s.id)).status).toBe(200);
      for (let i = 1; i < 100; i++) expect((await schedule(alice, bob, `n${i}`, t0 + 60 * SEC + i)).status).toBe(200);
      const over = await schedule(alice, bob, 'one too many', t0 + 70 * SEC);
      expect([over.status, over.body.error.code]).toEqual([409, 'too_many_scheduled']);
      // Saved Messages: a reminder to myself.
      const note = await schedule(alice, alice, 'reminder', t0 + 10 * SEC);
      expect(note.status).toBe(200);
      at(10 * SEC);
      await ts.relay.runScheduled();
      expect((await history(alice, alice)).map((m) => m.text)).toEqual(['reminder']);
      // A reply: the relay makes the quote from the original when it sends.
      const original = (await call(ts, 'POST', '/api/cloud/messages', { token: bob.token, body: { id: uuid(), toUserId: alice.userId, text: 'question' } })).body
        .message as CloudMessage;
      const r = await schedule(bob, alice, 'answer', t0 + 30 * SEC, uuid(), original.id);
      expect(r.body.scheduled.replyTo).toBe(original.id);
      at(30 * SEC);
      await ts.relay.runScheduled();
      expect((await history(alice, bob)).find((m) => m.text === 'answer')).toMatchObject({ replyTo: original.id, quote: { snippet: 'question', from: 'sender' } });
    });

    it('a chat holding only a scheduled message answers as a chat never used, to both of us (read, settings, clear, delete, pin, edit, react, forward, typing)', async () => {
      const carol = await signup(ts, `carol_${backend.name}`);
      const s = (await schedule(alice, bob, 'later', t0 + 60 * SEC)).body.scheduled;
      const other = uuid();
      const probes = async (me: Account, peer: Account) => {
        const chat = `/api/cloud/chats/${peer.userId}`;
        const tries: [string, string, unknown][] = [
          ['POST', `${chat}/read`, { seq: 1 }],
          ['PUT', `${chat}/settings`, { pinned: true }],
          ['PUT', `${chat}/settings`, { mutedUntil: t0 + 3600 * SEC }],
          ['PUT', `${chat}/settings`, { archived: true }],
          ['POST', `${chat}/clear`, { forBoth: false, removeChat: true }],
          ['POST', `${chat}/clear`, { forBoth: true, removeChat: false }],
          ['POST', `${chat}/delete`, { ids: [s.id] }],
          ['POST', `${chat}/pin`, { id: s.id, pinned: true }],
          ['POST', `${chat}/edit`, { id: s.id, text: 'x' }],
          ['POST', `${chat}/react`, { id: s.id, emoji: '👍' }],
          ['POST', '/api/cloud/forward', { toUserId: me.userId, fromPeerId: peer.userId, ids: [s.id], newIds: [other] }]
        ];
        const out: string[] = [];
        for (const [method, path, body] of tries) {
          const r = await call(ts, method, path, { token: me.token, body });
          out.push(`${method} ${path.replace(peer.userId, ':peer')} ${r.status}${r.status >= 400 ? ` ${r.body.error.message}` : ''}`);
        }
        const page = await call(ts, 'GET', `/api/cloud/chats/${peer.userId}/messages`, { token: me.token });
        out.push(`history ${page.status} ${JSON.stringify(page.body)}`);
        const ws = await connect(ts, me.token);
        await ws.next((f) => f.t === 'hello');
        ws.send({ t: 'typing', peerId: peer.userId });
        const err = await ws.next((f) => f.t === 'error');
        out.push(`typing ${JSON.stringify(err)}`);
        ws.close();
        return out;
      };
      const never = await probes(alice, carol);
      expect(never.slice(0, 11).every((line) => / 404 /.test(line))).toBe(true);
      expect(await probes(alice, bob)).toEqual(never);
      expect(await probes(bob, alice)).toEqual(never);
      // Nothing stored: my log holds the scheduled row alone, Bob's nothing; the row waits.
      expect((await updates(alice)).map((u) => u.kind)).toEqual(['scheduled']);
      expect(await updates(bob)).toEqual([]);
      expect(await list(alice, bob)).toMatchObject([{ id: s.id, failed: null }]);
      // Once sent, it is a chat like any other.
      at(60 * SEC);
      await ts.relay.runScheduled();
      expect((await call(ts, 'POST', `/api/cloud/chats/${alice.userId}/read`, { token: bob.token, body: { seq: 1 } })).status).toBe(204);
      expect((await call(ts, 'PUT', `/api/cloud/chats/${bob.userId}/settings`, { token: alice.token, body: { pinned: true } })).status).toBe(200);
    });

    it('an account deleted: what it scheduled goes; what was scheduled to it is not sent, with the reason', async () => {
      const mine = (await schedule(bob, alice, 'from bob', t0 + 20 * SEC)).body.scheduled;
      const toBob = (await schedule(alice, bob, 'to bob', t0 + 20 * SEC)).body.scheduled;
      const del = await call(ts, 'POST', '/api/account/delete', { token: bob.token, body: { password: bob.password, confirm: bob.username } });
      expect(del.status).toBeLessThan(300);
      expect(await ts.store.getScheduled(mine.id)).toBeNull();
      at(20 * SEC);
      await ts.relay.runScheduled();
      expect(await list(alice, bob)).toMatchObject([{ id: toBob.id, failed: 'this account was deleted' }]);
    });

    const startSecond = async () => {
      const relay = createRelay(ts.config, { store: ts.store, log: createLogger('error', () => {}), scrypt: FAST_SCRYPT, now: () => ts.clock.now ?? Date.now() });
      extra.push(relay);
      return { relay, served: await listenRelay(relay) };
    };

    it('two relay nodes on one database send each due message once', async () => {
      const { relay: other } = await startSecond();
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await schedule(alice, bob, `m${i}`, t0 + 10 * SEC + i)).body.scheduled.id);
      at(20 * SEC);
      const [x, y] = await Promise.all([ts.relay.runScheduled(), other.runScheduled()]);
      expect(x + y).toBeLessThanOrEqual(12);
      const got = (await updates(bob)).filter((u) => u.kind === 'message');
      expect(got).toHaveLength(12);
      expect(new Set(got.map((u) => u.kind === 'message' && u.message.id))).toEqual(new Set(ids));
      expect(await list(alice, bob)).toEqual([]);
      // My log: each one made once and gone once (a second send would find no row to take).
      expect((await updates(alice)).filter((u) => u.kind === 'scheduled')).toHaveLength(24);
    });

    it('a relay starting after the time sends what is overdue', async () => {
      const s = (await schedule(alice, bob, 'while you were away', t0 + 15 * SEC)).body.scheduled;
      // This node goes away before the time; a node starting later finds it overdue.
      await ts.relay.close();
      at(60 * SEC);
      const { served } = await startSecond();
      await expect
        .poll(
          async () =>
            (await call<{ messages: CloudMessage[] }>(served, 'GET', `/api/cloud/chats/${alice.userId}/messages`, { token: bob.token })).body.messages.map((m) => m.id),
          { timeout: 10_000 }
        )
        .toEqual([s.id]);
      const left = await call<{ scheduled: ScheduledMessage[] }>(served, 'GET', `/api/cloud/chats/${bob.userId}/scheduled`, { token: alice.token });
      expect(left.body.scheduled).toEqual([]);
      await served.stop();
    });
  });
}
