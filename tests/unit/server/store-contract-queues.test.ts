/**
 * The storage contract for what is queued per device — secret-chat envelopes and requests, blobs, push
 * subscriptions and wake-ups — run against every backend (see store-contract.test.ts for how).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PutEnvelopeResult } from '../../../src/lib/server/store/types';
import { DAY, env, id, mkDevice, mkUser, storeBackends, T0, type StoreHarness as Harness } from './store-fixtures';

const backends = storeBackends('store contract, queues', 8);

for (const backend of backends) {
  describe.skipIf(backend.skip)(`store contract, queues: ${backend.name}`, () => {
    let h: Harness;
    let store: Harness['store'];
    beforeEach(async () => {
      h = await backend.create();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
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
  });
}
