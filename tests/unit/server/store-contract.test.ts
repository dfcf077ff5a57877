/**
 * The storage contract, run against every backend: the embedded SQLite store and PostgreSQL (each test
 * in a fresh schema created on the fly and dropped after). Same cases, same expected results; the
 * concurrency cases also open a second store on the same database, like a second relay node.
 *
 * PostgreSQL is skipped (with the reason printed) when unreachable, except with CI=true where it fails.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/lib/server/store/sqlite/migrations';
import { PG_MIGRATIONS } from '../../../src/lib/server/store/postgres/migrations';
import { UniqueViolation, type PutEnvelopeResult, type Store } from '../../../src/lib/server/store/types';
import { dropPostgresSchema, openPostgresStore } from '../../../src/lib/server/store/postgres';
import { postgres, uniqueName } from './services';
import { DAY, env, id, mkDevice, mkUser, send, storeBackends, T0, type StoreHarness as Harness } from './store-fixtures';

const pgService = await postgres();
const backends = storeBackends('store contract', 8);
const versions = { sqlite: MIGRATIONS.map((m) => m.version), postgres: PG_MIGRATIONS.map((m) => m.version) };

for (const backend of backends) {
  describe.skipIf(backend.skip)(`store contract: ${backend.name}`, () => {
    let h: Harness;
    let store: Harness['store'];
    beforeEach(async () => {
      h = await backend.create();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    // ---------------- migrations ----------------
    it('applies every migration on a fresh database and none on the next start', async () => {
      expect(store.migrated).toEqual(versions[backend.name]);
      const again = await h.open();
      expect(again.migrated).toEqual([]);
    });

    // ---------------- users and devices ----------------
    it('creates users with their first device; duplicate usernames are a UniqueViolation and create nothing', async () => {
      const a = await mkUser(store, { name: 'Alice' });
      expect(await store.getUser(a.user.id)).toEqual(a.user);
      expect(await store.getUserByName('ALICE')).toEqual(a.user);
      expect(await store.getUser('nope')).toBeNull();

      const dupDevice = { ...a.device, id: id(), tokenHash: 'other' };
      const dup = { ...a.user, id: id() };
      await expect(store.createUser(dup, { ...dupDevice, userId: dup.id })).rejects.toBeInstanceOf(UniqueViolation);
      expect(await store.getUser(dup.id)).toBeNull();
      expect(await store.getDevice(dupDevice.id)).toBeNull();

      await store.setDisplayName(a.user.id, 'Alice L.');
      expect((await store.getUser(a.user.id))!.displayName).toBe('Alice L.');
    });

    it('searches usernames by escaped prefix, in byte order', async () => {
      for (const n of ['bob', 'bo_b', 'bo%x', 'boA', 'bob2', 'alice']) await mkUser(store, { name: n });
      const names = async (p: string, limit = 20) => (await store.searchUsers(p, limit)).map((u) => u.username);
      expect(await names('bo')).toEqual(['bo%x', 'bo_b', 'boa', 'bob', 'bob2']);
      expect(await names('bo_')).toEqual(['bo_b']);
      expect(await names('bo%')).toEqual(['bo%x']);
      expect(await names('BOB')).toEqual(['bob', 'bob2']);
      expect(await names('bo', 2)).toEqual(['bo%x', 'bo_b']);
      expect(await names('zz')).toEqual([]);
    });

    it('lists, authenticates, touches and revokes devices', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const phone = await mkDevice(store, a.user.id);
      expect((await store.listDevices(a.user.id)).map((d) => d.id)).toEqual([a.device.id, phone.id]);
      const session = await store.getSession(phone.tokenHash);
      expect(session!.user).toEqual(a.user);
      expect(session!.device).toMatchObject({ id: phone.id, userId: a.user.id, name: 'Phone', revokedAt: null, lastSeenAt: T0 + 1 });
      expect(await store.getSession('missing')).toBeNull();

      await store.touchDevice(phone.id, T0 + 100);
      await store.touchDevice(phone.id, T0 + 50); // never goes back
      expect((await store.getDevice(phone.id))!.lastSeenAt).toBe(T0 + 100);

      // Revoking drops the device's envelopes, push subscription and wake-ups.
      await store.putEnvelope(env(phone.id, b));
      await store.setPushSubscription({ deviceId: phone.id, endpoint: 'https://push.example/1', p256dh: 'k', auth: 'a', createdAt: T0 });
      await store.addWakeups(phone.id, [T0 + 10], 10);
      expect(await store.revokeDevice(b.user.id, phone.id, T0 + 200)).toBe(false); // not b's device
      expect(await store.revokeDevice(a.user.id, phone.id, T0 + 200)).toBe(true);
      expect(await store.revokeDevice(a.user.id, phone.id, T0 + 300)).toBe(false);
      expect((await store.getDevice(phone.id))!.revokedAt).toBe(T0 + 200);
      expect((await store.getSession(phone.tokenHash))!.device.revokedAt).toBe(T0 + 200);
      expect((await store.listDevices(a.user.id)).map((d) => d.id)).toEqual([a.device.id]);
      expect(await store.countEnvelopes(phone.id, T0)).toBe(0);
      expect(await store.getPushSubscription(phone.id)).toBeNull();
      expect(await store.claimWakeups('n', T0 + 20, T0 + 20, T0, 10)).toEqual([]);
    });

    it("renames only the user's own live devices, keeping the name byte for byte", async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const phone = await mkDevice(store, a.user.id);
      expect(await store.renameDevice(a.user.id, phone.id, 'Work laptop 💻 «Ünïcode»')).toBe(true);
      expect((await store.getDevice(phone.id))!.name).toBe('Work laptop 💻 «Ünïcode»');
      expect((await store.listDevices(a.user.id)).find((d) => d.id === phone.id)!.name).toBe('Work laptop 💻 «Ünïcode»');
      expect((await store.getSession(phone.tokenHash))!.device.name).toBe('Work laptop 💻 «Ünïcode»');
      expect(await store.renameDevice(b.user.id, phone.id, 'Stolen')).toBe(false); // not b's device
      expect(await store.renameDevice(a.user.id, 'missing', 'Nothing')).toBe(false);
      expect((await store.getDevice(phone.id))!.name).toBe('Work laptop 💻 «Ünïcode»');
      expect((await store.getDevice(a.device.id))!.name).not.toBe('Work laptop 💻 «Ünïcode»'); // only that one
      expect(await store.revokeDevice(a.user.id, phone.id, T0 + 5)).toBe(true);
      expect(await store.renameDevice(a.user.id, phone.id, 'Too late')).toBe(false); // a revoked device keeps its name
      expect((await store.getDevice(phone.id))!.name).toBe('Work laptop 💻 «Ünïcode»');
    });

    it('revokes all other devices, alone or with a password change that only a live device and the current hash can make', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const phone = await mkDevice(store, a.user.id);
      const tablet = await mkDevice(store, a.user.id, T0 + 2);
      await store.putEnvelope(env(phone.id, b));
      await store.setPushSubscription({ deviceId: tablet.id, endpoint: 'https://push.example/2', p256dh: 'k', auth: 'a', createdAt: T0 });
      await store.addWakeups(phone.id, [T0 + 10], 10);
      await store.rememberKnownDevice(a.user.id, 'known-a', null, T0, 20);
      await store.rememberKnownDevice(b.user.id, 'known-b', null, T0, 20);

      expect(await store.changePassword(a.user.id, 'wrong$old', 'scrypt$new', a.device.id, T0 + 5)).toBeNull();
      expect(await store.changePassword(a.user.id, a.user.pwHash, 'scrypt$new', b.device.id, T0 + 5)).toBeNull(); // not a's device
      expect((await store.getUser(a.user.id))!.pwHash).toBe(a.user.pwHash);
      expect((await store.listDevices(a.user.id)).length).toBe(3);
      expect(await store.isKnownDevice(a.user.id, 'known-a')).toBe(true);

      expect((await store.changePassword(a.user.id, a.user.pwHash, 'scrypt$new', a.device.id, T0 + 5))!.sort()).toEqual([phone.id, tablet.id].sort());
      expect((await store.getUser(a.user.id))!.pwHash).toBe('scrypt$new');
      expect((await store.listDevices(a.user.id)).map((d) => d.id)).toEqual([a.device.id]);
      expect((await store.getDevice(phone.id))!.revokedAt).toBe(T0 + 5);
      expect(await store.countEnvelopes(phone.id, T0)).toBe(0);
      expect(await store.getPushSubscription(tablet.id)).toBeNull();
      expect(await store.claimWakeups('n', T0 + 20, T0 + 20, T0, 10)).toEqual([]);
      expect(await store.isKnownDevice(a.user.id, 'known-a')).toBe(false);
      expect(await store.isKnownDevice(b.user.id, 'known-b')).toBe(true);
      // The old hash no longer matches: a second, concurrent change loses.
      expect(await store.changePassword(a.user.id, a.user.pwHash, 'scrypt$other', a.device.id, T0 + 6)).toBeNull();
      // A revoked device can't change it either.
      expect(await store.changePassword(a.user.id, 'scrypt$new', 'scrypt$x2', phone.id, T0 + 6)).toBeNull();

      const laptop = await mkDevice(store, a.user.id, T0 + 7);
      expect(await store.revokeOtherDevices(a.user.id, laptop.id, T0 + 8)).toEqual([a.device.id]);
      expect(await store.revokeOtherDevices(a.user.id, laptop.id, T0 + 9)).toEqual([]);
      expect((await store.listDevices(a.user.id)).map((d) => d.id)).toEqual([laptop.id]);
      expect((await store.listDevices(b.user.id)).length).toBe(1); // other users untouched
    });

    // ---------------- cloud chats ----------------
    it('sends messages: per-chat seqs, one update per member, idempotent by id, id conflicts', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const c = await mkUser(store);
      const r1 = await send(store, a, b, 'm-1');
      const r2 = await send(store, b, a, 'm-2');
      if (!r1.ok || !r2.ok) throw new Error('send failed');
      expect([r1.created, r1.message.seq, r2.message.seq]).toEqual([true, 1, 2]);
      expect(r2.chat.id).toBe(r1.chat.id);
      expect(r2.chat.nextSeq).toBe(3);
      expect([r1.chat.userA, r1.chat.userB]).toEqual([a.user.id, b.user.id].sort());
      expect(r1.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id].sort());
      expect(await store.getChat(b.user.id, a.user.id)).toEqual(r2.chat);

      const again = await send(store, a, b, 'm-1');
      expect(again).toMatchObject({ ok: true, created: false, updates: [] });
      if (again.ok) expect(again.message.seq).toBe(1);
      expect(await send(store, b, a, 'm-1')).toEqual({ ok: false, reason: 'id_conflict' }); // other sender
      expect(await send(store, a, c, 'm-1')).toEqual({ ok: false, reason: 'id_conflict' }); // other chat

      // A chat with oneself appends one update.
      const self = await send(store, a, a, 'm-self');
      expect(self.ok && self.updates.length).toBe(1);
      expect(self.ok && self.chat.userA === a.user.id && self.chat.userB === a.user.id).toBe(true);
    });

    it('pages messages and the update log', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      for (let i = 1; i <= 5; i++) await send(store, a, b, `p-${i}`, T0 + i);
      const chat = (await store.getChat(a.user.id, b.user.id))!;
      expect((await store.listMessages(chat.id, null, 3)).map((m) => m.seq)).toEqual([3, 4, 5]);
      expect((await store.listMessages(chat.id, 3, 10)).map((m) => m.seq)).toEqual([1, 2]);
      const m = (await store.listMessages(chat.id, 2, 1))[0];
      expect(m).toEqual({
        chatId: chat.id,
        seq: 1,
        id: 'p-1',
        senderId: a.user.id,
        senderDeviceId: a.device.id,
        body: Buffer.from('sealed:p-1'),
        createdAt: T0 + 1,
        deleted: false
      });

      const ups = await store.listUpdates(b.user.id, 0, 100);
      expect(ups.map((u) => u.message?.id)).toEqual(['p-1', 'p-2', 'p-3', 'p-4', 'p-5']);
      expect(ups.every((u) => u.kind === 'message' && u.data === u.message!.id && u.chat.id === chat.id)).toBe(true);
      const cursors = ups.map((u) => u.cursor);
      expect([...cursors].sort((x, y) => x - y)).toEqual(cursors);
      expect(await store.latestCursor(b.user.id)).toBe(cursors[4]);
      expect(await store.latestCursor('nobody')).toBe(0);
      expect((await store.listUpdates(b.user.id, cursors[2], 1)).map((u) => u.cursor)).toEqual([cursors[3]]);
      expect((await store.getUpdate(cursors[0]))!.message!.id).toBe('p-1');
      expect(await store.getUpdate(cursors[4] + 1000)).toBeNull();
    });

    it("reports with each appended row the user's previous cursor, so live updates chain without gaps", async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const c = await mkUser(store);
      const appended = [];
      for (const [from, to] of [
        [a, b],
        [b, a],
        [a, c],
        [c, b],
        [b, a]
      ] as const) {
        const r = await send(store, from, to);
        if (!r.ok) throw new Error('send failed');
        appended.push(...r.updates);
      }
      const chat = (await store.getChat(a.user.id, b.user.id))!;
      appended.push(...(await store.markRead(chat.id, a.user.id, 2))!.updates);
      for (const u of [a, b, c]) {
        const log = (await store.listUpdates(u.user.id, 0, 100)).map((r) => r.cursor);
        const mine = appended.filter((x) => x.userId === u.user.id);
        expect(mine.map((x) => x.cursor)).toEqual(log);
        // Each row points at the one before it in this user's log; the first at 0.
        expect(mine.map((x) => x.prev)).toEqual([0, ...log.slice(0, -1)]);
      }
    });

    it('marks reads monotonically, capped at the last seq', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      for (let i = 0; i < 3; i++) await send(store, a, b);
      const chat = (await store.getChat(a.user.id, b.user.id))!;
      const r = await store.markRead(chat.id, b.user.id, 99);
      expect(r!.seq).toBe(3);
      expect(r!.updates).toHaveLength(2);
      expect(await store.markRead(chat.id, b.user.id, 2)).toBeNull();
      expect(await store.markRead(chat.id, b.user.id, 3)).toBeNull();
      const up = await store.getUpdate(r!.updates[0].cursor);
      expect(up!.kind).toBe('read');
      expect(JSON.parse(up!.data)).toEqual({ readerId: b.user.id, seq: 3 });
      expect(up!.message).toBeNull();
    });

    it('deletes messages (unknown and repeated ids skipped) and summarizes chats', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const c = await mkUser(store);
      await send(store, a, b, 'd-1', T0 + 1);
      await send(store, b, a, 'd-2', T0 + 2);
      await send(store, b, a, 'd-3', T0 + 3);
      await send(store, c, a, 'd-4', T0 + 10);
      const ab = (await store.getChat(a.user.id, b.user.id))!;
      await store.markRead(ab.id, a.user.id, 2);

      let chats = await store.listChats(a.user.id);
      expect(chats.map((s) => s.peerId)).toEqual([c.user.id, b.user.id]);
      expect(chats[1]).toMatchObject({ myReadSeq: 2, peerReadSeq: 0, unread: 1 });
      expect(chats[1].lastMessage!.id).toBe('d-3');
      const fromB = (await store.listChats(b.user.id))[0];
      expect(fromB).toMatchObject({ peerId: a.user.id, myReadSeq: 0, peerReadSeq: 2, unread: 1 });

      const del = await store.deleteMessages(ab.id, ['d-3', 'nope', 'd-3', 'd-1']);
      expect(del.ids).toEqual(['d-3', 'd-1']);
      expect(del.updates).toHaveLength(2);
      expect(JSON.parse((await store.getUpdate(del.updates[0].cursor))!.data)).toEqual(['d-3', 'd-1']);
      expect(await store.deleteMessages(ab.id, ['d-3'])).toEqual({ ids: [], updates: [] });
      expect((await store.listMessages(ab.id, null, 10)).map((m) => m.id)).toEqual(['d-2']);
      // The update for a deleted message still joins the row, emptied and flagged.
      const first = (await store.listUpdates(a.user.id, 0, 1))[0];
      expect(first.message).toMatchObject({ id: 'd-1', deleted: true });
      expect(first.message!.body.length).toBe(0);

      chats = await store.listChats(a.user.id);
      expect(chats[1]).toMatchObject({ unread: 0 });
      expect(chats[1].lastMessage!.id).toBe('d-2');
      await store.deleteMessages(ab.id, ['d-2']);
      chats = await store.listChats(a.user.id);
      expect(chats[1].lastMessage).toBeNull();
    });

    it('assigns gap-free seqs and in-order cursors under concurrent sends from two nodes', async () => {
      const other = await h.open();
      const a = await mkUser(store);
      const b = await mkUser(store);
      const ids = Array.from({ length: 60 }, () => randomUUID());
      const results = await Promise.all(ids.map((mid, i) => (i % 2 ? send(store, a, b, mid) : send(other, b, a, mid))));
      // The same ids again, concurrently: nothing new.
      const repeats = await Promise.all(ids.slice(0, 20).map((mid, i) => (i % 2 ? send(other, a, b, mid) : send(store, b, a, mid))));
      expect(results.every((r) => r.ok && r.created)).toBe(true);
      expect(repeats.every((r) => r.ok && !r.created)).toBe(true);
      const seqs = results.map((r) => (r.ok ? r.message.seq : -1)).sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      for (const u of [a, b]) {
        const ups = await store.listUpdates(u.user.id, 0, 1000);
        expect(ups).toHaveLength(60);
        // Cursor order matches seq order: a reader paging by cursor sees the chat in order.
        expect(ups.map((x) => x.message!.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      }
    });

    // ---------------- envelopes ----------------
    it('queues envelopes per device: idempotent by id, pages by seq, expires, acks', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const phone = await mkDevice(store, b.user.id);
      const e1 = env(b.device.id, a);
      const p1 = await store.putEnvelope(e1);
      expect(p1).toMatchObject({ ok: true, created: true });
      const seq1 = p1.ok ? p1.envelope.seq : 0;
      expect(await store.putEnvelope({ ...e1, body: randomBytes(3) })).toMatchObject({ ok: true, created: false, envelope: { seq: seq1, body: e1.body } });
      // Same id from another sender device: conflict. Same id to another device: independent.
      expect(await store.putEnvelope({ ...e1, fromDeviceId: phone.id })).toEqual({ ok: false, reason: 'id_conflict' });
      expect(await store.putEnvelope({ ...e1, toDeviceId: phone.id })).toMatchObject({ ok: true, created: true });

      const e2 = env(b.device.id, a, { expiresAt: T0 + 1000 });
      const e3 = env(b.device.id, a);
      await store.putEnvelope(e2);
      await store.putEnvelope(e3);
      const all = await store.listEnvelopes(b.device.id, 0, 10, T0);
      expect(all.map((e) => e.id)).toEqual([e1.id, e2.id, e3.id]);
      expect(all[0]).toEqual({ ...e1, seq: seq1 });
      expect((await store.listEnvelopes(b.device.id, all[0].seq, 1, T0)).map((e) => e.id)).toEqual([e2.id]);
      expect((await store.listEnvelopes(b.device.id, 0, 10, T0 + 1000)).map((e) => e.id)).toEqual([e1.id, e3.id]);
      expect(await store.countEnvelopes(b.device.id, T0)).toBe(3);
      expect(await store.countEnvelopes(b.device.id, T0 + 1000)).toBe(2);

      // What is still queued before a seq, per device (live frames carry it as `prev`).
      expect(await store.envelopeBefore(b.device.id, all[0].seq)).toBe(0);
      expect(await store.envelopeBefore(b.device.id, all[2].seq)).toBe(all[1].seq);
      expect(await store.envelopeBefore(phone.id, all[2].seq)).toBeGreaterThan(0);
      expect(await store.ackEnvelopes(b.device.id, all[1].seq)).toBe(2);
      expect(await store.ackEnvelopes(b.device.id, all[1].seq)).toBe(0);
      expect(await store.envelopeBefore(b.device.id, all[2].seq)).toBe(0);
      expect((await store.listEnvelopes(b.device.id, 0, 10, T0)).map((e) => e.id)).toEqual([e3.id]);
      expect(await store.purgeExpiredEnvelopes(T0 + 8 * DAY)).toBe(2); // e3 and phone's copy of e1
      expect(await store.countEnvelopes(phone.id, T0)).toBe(0);
    });

    it('keeps envelope seqs unique and ascending under concurrent puts from two nodes', async () => {
      const other = await h.open();
      const a = await mkUser(store);
      const b = await mkUser(store);
      const envs = Array.from({ length: 80 }, () => env(b.device.id, a));
      const rs = await Promise.all(envs.map((e, i) => (i % 2 ? store : other).putEnvelope(e)));
      expect(rs.every((r) => r.ok && r.created)).toBe(true);
      const listed = await store.listEnvelopes(b.device.id, 0, 200, T0);
      expect(listed).toHaveLength(80);
      const seqs = listed.map((e) => e.seq);
      expect(new Set(seqs).size).toBe(80);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    });

    it('settles each envelope of one burst on its own: repeats, id conflicts and a bad recipient fail alone', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const c = await mkUser(store);
      const value = (r: PromiseSettledResult<PutEnvelopeResult>) => (r.status === 'fulfilled' ? r.value : r.reason);
      // One burst (the backends write a burst together): the first of the same id wins, in arrival order.
      const first = env(b.device.id, a);
      const burst = [
        ...Array.from({ length: 30 }, (_, i) => env(i % 2 ? b.device.id : c.device.id, a)),
        first,
        { ...first, body: randomBytes(8) }, // the same envelope again
        { ...first, fromDeviceId: c.device.id, fromUserId: c.user.id } // its id, another sender
      ];
      const rs = (await Promise.allSettled(burst.map((e) => store.putEnvelope(e)))).map(value);
      expect(rs.slice(0, 30).every((r) => r.ok && r.created)).toBe(true);
      const [orig, again, other] = rs.slice(30);
      expect(orig).toMatchObject({ ok: true, created: true, envelope: { body: first.body } });
      expect(again).toMatchObject({ ok: true, created: false, envelope: { seq: orig.envelope.seq, body: first.body } });
      expect(other).toEqual({ ok: false, reason: 'id_conflict' });
      // A recipient that does not exist (foreign key) fails alone; the rest of its burst is stored.
      const mixed = [env(b.device.id, a), env('no-such-device', a), env(b.device.id, a), env(c.device.id, a)];
      const ms = await Promise.allSettled(mixed.map((e) => store.putEnvelope(e)));
      expect(ms.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect([0, 2, 3].every((i) => value(ms[i]).ok && value(ms[i]).created)).toBe(true);
      const toB = await store.listEnvelopes(b.device.id, 0, 200, T0);
      expect(toB).toHaveLength(18);
      expect(toB.map((e) => e.seq)).toEqual([...toB.map((e) => e.seq)].sort((x, y) => x - y));
      expect(await store.listEnvelopes(c.device.id, 0, 200, T0)).toHaveLength(16);
    });

    // ---------------- secret-chat requests ----------------
    it('creates, checks, claims (atomically) and withdraws secret-chat requests', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const c = await mkUser(store);
      const bPhone = await mkDevice(store, b.user.id);
      const rid = randomUUID();
      const req = { toUserId: b.user.id };
      const toLaptop = env(b.device.id, a, { requestId: rid, expiresAt: T0 + DAY });
      const toPhone = env(bPhone.id, a, { requestId: rid, expiresAt: T0 + 2 * DAY });
      expect(await store.putEnvelope(toLaptop, req)).toMatchObject({ ok: true, created: true });
      expect(await store.putEnvelope(toPhone, req)).toMatchObject({ ok: true, created: true });
      expect(await store.getSecretRequest(rid)).toEqual({
        id: rid,
        fromDeviceId: a.device.id,
        toUserId: b.user.id,
        claimedByDeviceId: null,
        withdrawn: false,
        createdAt: T0,
        expiresAt: T0 + 2 * DAY
      });
      // Same id, other request / other sender / other target.
      expect(await store.putEnvelope({ ...toLaptop, requestId: randomUUID() }, req)).toEqual({ ok: false, reason: 'id_conflict' });
      const aPhone = await mkDevice(store, a.user.id);
      expect(await store.putEnvelope(env(b.device.id, { user: a.user, device: aPhone }, { requestId: rid }), req)).toEqual({
        ok: false,
        reason: 'request_conflict'
      });
      expect(await store.putEnvelope(env(c.device.id, a, { requestId: rid }), { toUserId: c.user.id })).toEqual({
        ok: false,
        reason: 'request_conflict'
      });

      // Two devices of b claim at once (through two nodes): exactly one wins.
      const other = await h.open();
      const [x, y] = await Promise.all([store.claimSecretRequest(rid, b.user.id, b.device.id), other.claimSecretRequest(rid, b.user.id, bPhone.id)]);
      expect([x, y].sort()).toEqual(['claimed', 'conflict']);
      const winner = x === 'claimed' ? b.device.id : bPhone.id;
      const loser = winner === b.device.id ? bPhone.id : b.device.id;
      expect(await store.claimSecretRequest(rid, b.user.id, winner)).toBe('already');
      expect(await store.claimSecretRequest(rid, c.user.id, c.device.id)).toBe('not_found');
      expect(await store.claimSecretRequest('unknown', b.user.id, winner)).toBe('not_found');
      expect(await store.countEnvelopes(loser, T0)).toBe(0);
      expect(await store.countEnvelopes(winner, T0)).toBe(1);
      expect((await store.getSecretRequest(rid))!.claimedByDeviceId).toBe(winner);
      expect(await store.putEnvelope(env(b.device.id, a, { requestId: rid }), req)).toEqual({ ok: false, reason: 'request_gone' });

      expect(await store.withdrawSecretRequest(rid, b.device.id)).toBe(false);
      expect(await store.withdrawSecretRequest(rid, a.device.id)).toBe(true);
      expect(await store.withdrawSecretRequest(rid, a.device.id)).toBe(true);
      expect(await store.countEnvelopes(winner, T0)).toBe(0);
      expect(await store.claimSecretRequest(rid, b.user.id, winner)).toBe('gone');

      // A fresh request that is withdrawn before anyone claims it.
      const rid2 = randomUUID();
      await store.putEnvelope(env(b.device.id, a, { requestId: rid2 }), req);
      expect(await store.withdrawSecretRequest(rid2, a.device.id)).toBe(true);
      expect(await store.putEnvelope(env(b.device.id, a, { requestId: rid2 }), req)).toEqual({ ok: false, reason: 'request_gone' });
      expect(await store.claimSecretRequest(rid2, b.user.id, b.device.id)).toBe('gone');

      // Expiry purges request rows with the envelopes.
      await store.purgeExpiredEnvelopes(T0 + 30 * DAY);
      expect(await store.getSecretRequest(rid)).toBeNull();
      expect(await store.getSecretRequest(rid2)).toBeNull();
    });

    // ---------------- blobs ----------------
    it('enforces blob quotas (also under concurrent uploads), expires and purges blobs', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const blob = (size: number, expiresAt = T0 + DAY) => ({
        id: id(),
        ownerDeviceId: a.device.id,
        ownerUserId: a.user.id,
        toDeviceId: b.device.id,
        size,
        createdAt: T0,
        expiresAt
      });
      const first = blob(600, T0 + 100);
      expect(await store.createBlob(first, 1000, T0)).toBe(true);
      expect(await store.createBlob(blob(500), 1000, T0)).toBe(false);
      expect(await store.blobUsage(a.user.id, T0)).toBe(600);
      expect(await store.getBlob(first.id, T0)).toEqual(first);
      expect(await store.getBlob(first.id, T0 + 100)).toBeNull();
      // Expired blobs don't count against the quota.
      expect(await store.blobUsage(a.user.id, T0 + 100)).toBe(0);

      const other = await h.open();
      const tries = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).createBlob(blob(300), 1000, T0 + 100)));
      expect(tries.filter(Boolean)).toHaveLength(3);
      expect(await store.blobUsage(a.user.id, T0 + 100)).toBe(900);

      const gone = blob(1, T0 + 50);
      await store.createBlob(gone, 10_000, T0);
      expect((await store.purgeExpiredBlobs(T0 + 100)).sort()).toEqual([first.id, gone.id].sort());
      const any = (await store.purgeExpiredBlobs(T0 + 2 * DAY)).length;
      expect(any).toBe(3);
      expect(await store.deleteBlob(first.id)).toBe(false);
    });

    // ---------------- web push and wake-ups ----------------
    it('stores one push subscription per device and deletes it only for the current endpoint', async () => {
      const a = await mkUser(store);
      const sub = { deviceId: a.device.id, endpoint: 'https://push.example/a', p256dh: 'p', auth: 'x', createdAt: T0 };
      await store.setPushSubscription(sub);
      await store.setPushSubscription({ ...sub, endpoint: 'https://push.example/b', createdAt: T0 + 1 });
      expect(await store.getPushSubscription(a.device.id)).toEqual({ ...sub, endpoint: 'https://push.example/b', createdAt: T0 + 1 });
      expect(await store.deletePushSubscription(a.device.id, 'https://push.example/a')).toBe(false);
      expect(await store.deletePushSubscription(a.device.id, 'https://push.example/b')).toBe(true);
      await store.setPushSubscription(sub);
      expect(await store.deletePushSubscription(a.device.id)).toBe(true);
      expect(await store.getPushSubscription(a.device.id)).toBeNull();
    });

    it('adds wake-ups with a cap and claims each exactly once across nodes, retaking stale claims', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      expect(await store.addWakeups(a.device.id, [T0 + 30, T0 + 10, T0 + 20, T0 + 10], 3)).toBe(true);
      expect(await store.addWakeups(a.device.id, [T0 + 10, T0 + 20], 3)).toBe(true); // all already there
      expect(await store.addWakeups(a.device.id, [T0 + 40], 3)).toBe(false);
      expect(await store.addWakeups(b.device.id, [T0 + 15, T0 + 1000], 10)).toBe(true);

      expect(await store.nextWakeupAt(60_000, 0)).toBe(T0 + 10);
      expect(await store.nextWakeupAt(60_000, 10)).toBe(T0 + 20);

      // Two nodes claim concurrently: disjoint sets that together cover every due row once.
      const other = await h.open();
      const [x, y] = await Promise.all([
        store.claimWakeups('node-a', T0 + 100, T0 + 100, T0 + 100 - 60_000, 10),
        other.claimWakeups('node-b', T0 + 100, T0 + 100, T0 + 100 - 60_000, 10)
      ]);
      const claimed = [...x, ...y].map((w) => w.at).sort((p, q) => p - q);
      expect(claimed).toEqual([T0 + 10, T0 + 15, T0 + 20, T0 + 30]);
      expect(x.every((w) => typeof w.id === 'number' && w.deviceId.length > 0)).toBe(true);
      expect(await store.claimWakeups('node-c', T0 + 200, T0 + 200, T0 + 200 - 60_000, 10)).toEqual([]);
      // Claimed rows count as ready again once stale: the unclaimed row comes first, then the stale ones.
      expect(await store.nextWakeupAt(60_000, 0)).toBe(T0 + 1000);
      expect(await store.nextWakeupAt(60_000, 60_000)).toBe(T0 + 100 + 60_000);

      // node-b died: its rows are retaken after the stale period, by exactly one node.
      const later = T0 + 100 + 60_001;
      const [p, q] = await Promise.all([store.claimWakeups('node-c', later, later, later - 60_000, 10), other.claimWakeups('node-d', later, later, later - 60_000, 10)]);
      expect([...p, ...q].map((w) => w.at).sort((m, n) => m - n)).toEqual([...claimed, T0 + 1000]);

      // Only the current claimer deletes.
      const mine = p.length > 0 ? { rows: p, node: 'node-c' } : { rows: q, node: 'node-d' };
      await store.deleteWakeups(
        mine.rows.map((w) => w.id),
        'node-a'
      );
      await store.deleteWakeups(
        mine.rows.map((w) => w.id),
        mine.node
      );
      const left = await store.claimWakeups('node-e', later + 120_000, later + 120_000, later + 60_000, 10);
      expect(left.map((w) => w.at).sort((m, n) => m - n)).toEqual(
        [...p, ...q]
          .filter((w) => !mine.rows.some((r) => r.id === w.id))
          .map((w) => w.at)
          .sort((m, n) => m - n)
      );
      await store.deleteWakeups([], 'node-e');
    });

    it('cloud media: attached once on send, opened once, due rows claimed exactly once across nodes, finished with the message', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const c = await mkUser(store);
      const media = (mediaId: string, to = b) => ({
        id: mediaId,
        ownerUserId: a.user.id,
        ownerDeviceId: a.device.id,
        toUserId: to.user.id,
        meta: Buffer.from(`sealed-meta:${mediaId}`),
        size: 1234,
        createdAt: T0
      });
      const withMedia = (msgId: string, mediaId: string, ttl: number, from = a, to = b) =>
        store.sendMessage({
          id: msgId,
          senderId: from.user.id,
          senderDeviceId: from.device.id,
          recipientId: to.user.id,
          body: Buffer.from(`sealed:${msgId}`),
          createdAt: T0 + 1,
          media: { id: mediaId, ttl }
        });
      for (const m of ['m-1', 'm-2', 'm-3', 'm-4', 'm-old']) await store.createCloudMedia(media(m));
      await store.createCloudMedia({ ...media('m-new'), createdAt: T0 + DAY });
      expect(await store.getCloudMedia('m-1')).toEqual({ ...media('m-1'), messageId: null, ttl: 0, openedAt: null, deadline: null });
      expect(await store.getCloudMedia('nope')).toBeNull();
      // Opening needs an attached media.
      expect(await store.openCloudMedia('m-1', T0)).toBeNull();

      // Only the uploader, only to the user it was uploaded for, only once; nothing is created otherwise.
      expect(await withMedia('cm-x', 'm-1', 5, b, a)).toEqual({ ok: false, reason: 'media_unavailable' });
      expect(await withMedia('cm-x', 'm-1', 5, a, c)).toEqual({ ok: false, reason: 'media_unavailable' });
      expect(await withMedia('cm-x', 'nope', 5)).toEqual({ ok: false, reason: 'media_unavailable' });
      expect(await store.getChat(a.user.id, c.user.id)).toBeNull();
      const sent = await withMedia('cm-1', 'm-1', 5);
      expect(sent.ok).toBe(true);
      expect(await store.getCloudMedia('m-1')).toMatchObject({ messageId: 'cm-1', ttl: 5 });
      expect(await withMedia('cm-2', 'm-1', 5)).toEqual({ ok: false, reason: 'media_unavailable' });
      expect((await withMedia('cm-1', 'm-1', 5)).ok).toBe(true); // idempotent resend
      await withMedia('cm-2', 'm-2', 5);
      await withMedia('cm-3', 'm-3', 0);
      await withMedia('cm-4', 'm-4', 60);
      const chat = (await store.getChat(a.user.id, b.user.id))!;

      // Opening sets the deadline once and re-announces the message to both members.
      const o1 = await store.openCloudMedia('m-1', T0 + 100);
      expect(o1!.media).toMatchObject({ openedAt: T0 + 100, deadline: T0 + 5100 });
      expect(o1!.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id].sort());
      expect((await store.getUpdate(o1!.updates[0].cursor))!).toMatchObject({ kind: 'message', data: 'cm-1' });
      const o1again = await store.openCloudMedia('m-1', T0 + 999);
      expect(o1again).toEqual({ media: expect.objectContaining({ openedAt: T0 + 100, deadline: T0 + 5100 }), updates: [] });
      expect(await store.openCloudMedia('m-3', T0 + 100)).toMatchObject({ media: { openedAt: T0 + 100, deadline: null }, updates: [] });
      await store.openCloudMedia('m-2', T0 + 200);
      await store.openCloudMedia('m-4', T0 + 300);
      expect(await store.nextMediaDeadline(30_000)).toBe(T0 + 5100);

      // Two nodes claim concurrently: disjoint, together every due row once.
      const other = await h.open();
      const now = T0 + 6000;
      const [x, y] = await Promise.all([store.claimDueMedia('node-a', now, now - 30_000, 10), other.claimDueMedia('node-b', now, now - 30_000, 10)]);
      expect([...x, ...y].map((r) => r.id).sort()).toEqual(['m-1', 'm-2']);
      expect([...x, ...y].find((r) => r.id === 'm-1')).toEqual({ id: 'm-1', messageId: 'cm-1', deadline: T0 + 5100 });
      expect(await store.claimDueMedia('node-c', now, now - 30_000, 10)).toEqual([]);
      // Claimed rows are ready again once stale; the unexpired timer comes later.
      expect(await store.nextMediaDeadline(30_000)).toBe(now + 30_000);

      // Only the claimer finishes; finishing deletes the message for both members, once.
      const m1 = x.some((r) => r.id === 'm-1') ? 'node-a' : 'node-b';
      expect(await store.finishDueMedia('m-1', 'node-c')).toEqual({ done: false, updates: [] });
      const fin = await store.finishDueMedia('m-1', m1);
      expect(fin.done).toBe(true);
      expect(fin.updates.map((u) => u.userId).sort()).toEqual([a.user.id, b.user.id].sort());
      expect(JSON.parse((await store.getUpdate(fin.updates[0].cursor))!.data)).toEqual(['cm-1']);
      expect(await store.finishDueMedia('m-1', m1)).toEqual({ done: false, updates: [] });
      expect(await store.getCloudMedia('m-1')).toBeNull();
      expect((await store.listMessages(chat.id, null, 10)).map((m) => m.id)).toEqual(['cm-2', 'cm-3', 'cm-4']);

      // A stale claim is retaken by exactly one node; a message deleted meanwhile gives no second delete.
      await store.deleteMessages(chat.id, ['cm-2']);
      expect(await store.getCloudMedia('m-2')).toBeNull(); // deleting the message took its media along
      const later = now + 30_001;
      expect(await store.claimDueMedia('node-d', later, later - 30_000, 10)).toEqual([]);

      // Deleting a message reports its media for file removal.
      expect(await store.deleteMessages(chat.id, ['cm-3'])).toMatchObject({ ids: ['cm-3'], media: ['m-3'] });

      // Uploads never attached are purged by age.
      expect((await store.purgeUnattachedMedia(T0 + 1)).sort()).toEqual(['m-old']);
      expect(await store.getCloudMedia('m-new')).not.toBeNull();
      expect(await store.getCloudMedia('m-4')).not.toBeNull();
    });

    it('cloud media quota: reserved before writing, settled to the real size, released by delete, purge and expiry', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const row = (mediaId: string, size: number, createdAt = T0) => ({
        id: mediaId,
        ownerUserId: a.user.id,
        ownerDeviceId: a.device.id,
        toUserId: b.user.id,
        meta: Buffer.from('m'),
        size,
        createdAt
      });
      expect(await store.reserveCloudMedia(row('q-1', 600), 1000)).toBe(true);
      expect(await store.reserveCloudMedia(row('q-2', 401), 1000)).toBe(false);
      expect(await store.getCloudMedia('q-2')).toBeNull();
      expect(await store.cloudMediaUsage(a.user.id)).toBe(600);
      expect(await store.cloudMediaUsage(b.user.id)).toBe(0);
      // Settling shrinks the reservation to what arrived, making room.
      await store.settleCloudMedia('q-1', 100);
      expect((await store.getCloudMedia('q-1'))?.size).toBe(100);
      expect(await store.reserveCloudMedia(row('q-2', 900), 1000)).toBe(true);
      expect(await store.reserveCloudMedia(row('q-3', 1), 1000)).toBe(false);
      // A failed upload releases its reservation.
      expect(await store.deleteCloudMedia('q-2')).toBe(true);
      expect(await store.deleteCloudMedia('q-2')).toBe(false);
      expect(await store.cloudMediaUsage(a.user.id)).toBe(100);
      // Attached and then deleted with its message, or timed out: released too.
      const sent = await store.sendMessage({
        id: 'qm-1',
        senderId: a.user.id,
        senderDeviceId: a.device.id,
        recipientId: b.user.id,
        body: Buffer.from('x'),
        createdAt: T0 + 1,
        media: { id: 'q-1', ttl: 5 }
      });
      expect(sent.ok).toBe(true);
      await store.openCloudMedia('q-1', T0 + 2);
      const [due] = await store.claimDueMedia('node-a', T0 + 10_000, T0, 10);
      expect(due?.id).toBe('q-1');
      expect((await store.finishDueMedia('q-1', 'node-a')).done).toBe(true);
      expect(await store.cloudMediaUsage(a.user.id)).toBe(0);
      // An upload that never finished (a crash) is released by the unattached purge.
      expect(await store.reserveCloudMedia(row('q-4', 1000), 1000)).toBe(true);
      expect(await store.purgeUnattachedMedia(T0 + 1)).toEqual(['q-4']);
      expect(await store.cloudMediaUsage(a.user.id)).toBe(0);
    });

    it('cloud media quota: concurrent reservations on two nodes racing for the last bytes never overshoot', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      const other = await h.open();
      const row = (mediaId: string) => ({
        id: mediaId,
        ownerUserId: a.user.id,
        ownerDeviceId: a.device.id,
        toUserId: b.user.id,
        meta: Buffer.from('m'),
        size: 300,
        createdAt: T0
      });
      expect(await store.reserveCloudMedia({ ...row('base'), size: 400 }, 1000)).toBe(true);
      // 600 bytes left: exactly two of the twelve 300-byte uploads fit.
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? other : store).reserveCloudMedia(row(`race-${i}`), 1000)));
      expect(results.filter(Boolean)).toHaveLength(2);
      expect(await store.cloudMediaUsage(a.user.id)).toBe(1000);
    });

    it('device cap: createDevice with a cap refuses beyond it, atomically across nodes; revoked devices do not count', async () => {
      const a = await mkUser(store);
      const other = await h.open();
      const dev = () => ({ id: id(), userId: a.user.id, name: 'D', signPub: 's', dhPub: 'd', tokenHash: randomBytes(32).toString('hex'), createdAt: T0 + 1 });
      // One live device already (from sign-up); four logins race for the three slots left.
      const results = await Promise.all(Array.from({ length: 4 }, (_, i) => (i % 2 ? other : store).createDevice(dev(), 4)));
      expect(results.filter(Boolean)).toHaveLength(3);
      expect(await store.listDevices(a.user.id)).toHaveLength(4);
      expect(await store.createDevice(dev(), 4)).toBe(false);
      expect(await store.revokeDevice(a.user.id, a.device.id, T0 + 2)).toBe(true);
      expect(await store.createDevice(dev(), 4)).toBe(true);
      // Without a cap (sign-up paths, tests) nothing is counted.
      expect(await store.createDevice(dev())).toBe(true);
    });

    it('login race: createDevice with the checked password hash refuses once the password changed, and a change that races it signs the new device out', async () => {
      const a = await mkUser(store);
      const other = await h.open();
      const dev = () => ({ id: id(), userId: a.user.id, name: 'D', signPub: 's', dhPub: 'd', tokenHash: randomBytes(32).toString('hex'), createdAt: T0 + 1 });
      expect(await store.createDevice(dev(), 10, a.user.pwHash)).toBe(true);
      expect(await store.changePassword(a.user.id, a.user.pwHash, 'scrypt$new', a.device.id, T0 + 2)).not.toBeNull();
      const late = dev();
      expect(await store.createDevice(late, 10, a.user.pwHash)).toBe('password_changed');
      expect(await store.getDevice(late.id)).toBeNull();
      expect(await store.createDevice(dev(), undefined, 'scrypt$new')).toBe(true);
      // Logins that checked the old hash race a change on another node: whichever commits first,
      // no device that a login with the old password added stays signed in.
      const racers = Array.from({ length: 4 }, dev);
      const [changed] = await Promise.all([
        other.changePassword(a.user.id, 'scrypt$new', 'scrypt$newer', a.device.id, T0 + 3),
        ...racers.map((d, i) => (i % 2 ? other : store).createDevice(d, 10, 'scrypt$new'))
      ]);
      expect(changed).not.toBeNull();
      const live = new Set((await store.listDevices(a.user.id)).map((d) => d.id));
      expect(racers.filter((d) => live.has(d.id))).toEqual([]);
      expect(live.has(a.device.id)).toBe(true);
    });

    // ---------------- sign-in backoff and known devices ----------------
    it('counts sign-in attempts per key with a backoff, forgets them after a while, clears and purges', async () => {
      const delay = (n: number) => (n < 3 ? 0 : 1000 * 2 ** (n - 3));
      const take = (key: string, now: number) => store.takeLoginAttempt(key, now, now - DAY, delay);
      expect(await take('k', T0)).toEqual({ ok: true });
      expect(await take('k', T0)).toEqual({ ok: true });
      expect(await take('k', T0)).toEqual({ ok: true }); // third: now waits 1 s
      expect(await take('k', T0 + 999)).toEqual({ ok: false, nextAt: T0 + 1000 });
      expect(await take('other', T0 + 999)).toEqual({ ok: true });
      expect(await take('k', T0 + 1000)).toEqual({ ok: true }); // fourth: 2 s
      expect(await take('k', T0 + 2999)).toEqual({ ok: false, nextAt: T0 + 3000 });
      // A refused attempt does not count.
      expect(await take('k', T0 + 3000)).toEqual({ ok: true }); // fifth: 4 s
      expect(await take('k', T0 + 6999)).toEqual({ ok: false, nextAt: T0 + 7000 });
      // A day without attempts forgets them.
      expect(await take('k', T0 + 3001 + DAY)).toEqual({ ok: true });
      expect(await take('k', T0 + 3001 + DAY)).toEqual({ ok: true });
      await store.clearLoginAttempts('k');
      for (let i = 0; i < 3; i++) expect(await take('k', T0 + 2 * DAY)).toEqual({ ok: true });
      expect((await take('k', T0 + 2 * DAY)).ok).toBe(false);
      expect(await store.purgeLoginAttempts(T0 + DAY)).toBe(1); // 'other'
      expect(await store.purgeLoginAttempts(T0 + DAY)).toBe(0);
      expect((await take('k', T0 + 2 * DAY)).ok).toBe(false);
    });

    it('lets exactly one of many concurrent attempts through a closed window, across nodes', async () => {
      const other = await h.open();
      const delay = (n: number) => (n < 2 ? 0 : 60_000);
      const take = (s: Store) => s.takeLoginAttempt('race', T0, T0 - DAY, delay);
      expect((await take(store)).ok).toBe(true);
      // The second attempt closes the window; of the rest only it passes.
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => take(i % 2 ? other : store)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual(Array(11).fill({ ok: false, nextAt: T0 + 60_000 }));
    });

    it('remembers known devices per user, rotates a token, keeps the most recent ones', async () => {
      const a = await mkUser(store);
      const b = await mkUser(store);
      await store.rememberKnownDevice(a.user.id, 'h1', null, T0, 3);
      expect(await store.isKnownDevice(a.user.id, 'h1')).toBe(true);
      expect(await store.isKnownDevice(b.user.id, 'h1')).toBe(false);
      expect(await store.isKnownDevice('', 'h1')).toBe(false);
      // One browser, two accounts: signing in to b rotates the cookie for both.
      await store.rememberKnownDevice(b.user.id, 'h2', 'h1', T0 + 1, 3);
      expect(await store.isKnownDevice(a.user.id, 'h1')).toBe(false);
      expect(await store.isKnownDevice(a.user.id, 'h2')).toBe(true);
      expect(await store.isKnownDevice(b.user.id, 'h2')).toBe(true);
      // Same hash again: refreshed, not duplicated.
      await store.rememberKnownDevice(a.user.id, 'h2', 'h2', T0 + 2, 3);
      for (let i = 3; i <= 5; i++) await store.rememberKnownDevice(a.user.id, `h${i}`, null, T0 + i, 3);
      expect(await store.isKnownDevice(a.user.id, 'h2')).toBe(false); // oldest of four dropped
      for (const t of ['h3', 'h4', 'h5']) expect(await store.isKnownDevice(a.user.id, t)).toBe(true);
      expect(await store.isKnownDevice(b.user.id, 'h2')).toBe(true); // b's own rows are not trimmed by a's
    });
  });
}

describe.skipIf(backends[1].skip)('postgres migrations', () => {
  it('several nodes starting at once migrate exactly once (advisory lock)', async () => {
    const schema = uniqueName('migrate');
    const opened = await Promise.allSettled(Array.from({ length: 4 }, () => openPostgresStore(pgService.url, { schema, max: 2 })));
    const stores = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    try {
      expect(opened.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok', 'ok']);
      const applied = stores.map((s) => s.migrated);
      expect(applied.filter((m) => m.length > 0)).toEqual([PG_MIGRATIONS.map((m) => m.version)]);
      const { rows } = await stores[0].pool.query('SELECT version FROM migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    } finally {
      for (const s of stores) await s.close();
      await dropPostgresSchema(pgService.url, schema);
    }
  });

  it('rolls back a failing migration entirely', async () => {
    const schema = uniqueName('rollback');
    const broken = [...PG_MIGRATIONS, { version: 99, name: 'broken', sql: 'CREATE TABLE later_ok (x INT); SELECT no_such_function();' }];
    try {
      await expect(openPostgresStore(pgService.url, { schema, migrations: broken })).rejects.toThrow(/no_such_function/);
      const s = await openPostgresStore(pgService.url, { schema });
      // Nothing of the failed run stayed: the real migrations apply now, and the half-made table is absent.
      expect(s.migrated).toEqual(PG_MIGRATIONS.map((m) => m.version));
      const { rows } = await s.pool.query("SELECT to_regclass('later_ok') AS t");
      expect(rows[0].t).toBeNull();
      await s.close();
    } finally {
      await dropPostgresSchema(pgService.url, schema);
    }
  });
});

describe('migrations parity', () => {
  it('every SQLite migration has a PostgreSQL counterpart with the same version and name', () => {
    expect(PG_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
  });
});
