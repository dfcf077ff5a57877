/**
 * The storage contract for what is queued per device — secret-chat envelopes and requests, blobs, push
 * subscriptions and wake-ups — run against every backend (see store-contract.test.ts for how).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { type PutEnvelopeResult } from '../../../src/lib/server/store/types';
import { eachStore, DAY, env, id, mkDevice, mkUser, T0 } from './store-fixtures';

eachStore(
  'store contract, queues',
  (t) => {
    // ---------------- envelopes ----------------
    it('queues envelopes per device: idempotent by id, pages by seq, expires, acks', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const phone = await mkDevice(t.store, b.user.id);
      const e1 = env(b.device.id, a);
      const p1 = await t.store.putEnvelope(e1);
      expect(p1).toMatchObject({ ok: true, created: true });
      const seq1 = p1.ok ? p1.envelope.seq : 0;
      expect(await t.store.putEnvelope({ ...e1, body: randomBytes(3) })).toMatchObject({ ok: true, created: false, envelope: { seq: seq1, body: e1.body } });
      // Same id from another sender device: conflict. Same id to another device: independent.
      expect(await t.store.putEnvelope({ ...e1, fromDeviceId: phone.id })).toEqual({ ok: false, reason: 'id_conflict' });
      expect(await t.store.putEnvelope({ ...e1, toDeviceId: phone.id })).toMatchObject({ ok: true, created: true });

      const e2 = env(b.device.id, a, { expiresAt: T0 + 1000 });
      const e3 = env(b.device.id, a);
      await t.store.putEnvelope(e2);
      await t.store.putEnvelope(e3);
      const all = await t.store.listEnvelopes(b.device.id, 0, 10, T0);
      expect(all.map((e) => e.id)).toEqual([e1.id, e2.id, e3.id]);
      expect(all[0]).toEqual({ ...e1, seq: seq1 });
      expect((await t.store.listEnvelopes(b.device.id, all[0].seq, 1, T0)).map((e) => e.id)).toEqual([e2.id]);
      expect((await t.store.listEnvelopes(b.device.id, 0, 10, T0 + 1000)).map((e) => e.id)).toEqual([e1.id, e3.id]);
      expect(await t.store.countEnvelopes(b.device.id, T0)).toBe(3);
      expect(await t.store.countEnvelopes(b.device.id, T0 + 1000)).toBe(2);

      // What is still queued before a seq, per device (live frames carry it as `prev`).
      expect(await t.store.envelopeBefore(b.device.id, all[0].seq)).toBe(0);
      expect(await t.store.envelopeBefore(b.device.id, all[2].seq)).toBe(all[1].seq);
      expect(await t.store.envelopeBefore(phone.id, all[2].seq)).toBeGreaterThan(0);
      expect(await t.store.ackEnvelopes(b.device.id, all[1].seq)).toBe(2);
      expect(await t.store.ackEnvelopes(b.device.id, all[1].seq)).toBe(0);
      expect(await t.store.envelopeBefore(b.device.id, all[2].seq)).toBe(0);
      expect((await t.store.listEnvelopes(b.device.id, 0, 10, T0)).map((e) => e.id)).toEqual([e3.id]);
      expect(await t.store.purgeExpiredEnvelopes(T0 + 8 * DAY)).toBe(2); // e3 and phone's copy of e1
      expect(await t.store.countEnvelopes(phone.id, T0)).toBe(0);
    });

    it('keeps envelope seqs unique and ascending under concurrent puts from two nodes', async () => {
      const other = await t.h.open();
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const envs = Array.from({ length: 80 }, () => env(b.device.id, a));
      const rs = await Promise.all(envs.map((e, i) => (i % 2 ? t.store : other).putEnvelope(e)));
      expect(rs.every((r) => r.ok && r.created)).toBe(true);
      const listed = await t.store.listEnvelopes(b.device.id, 0, 200, T0);
      expect(listed).toHaveLength(80);
      const seqs = listed.map((e) => e.seq);
      expect(new Set(seqs).size).toBe(80);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    });

    it("answers a created envelope with its prev, envelopeBefore's answer, even in bursts from two nodes", async () => {
      const other = await t.h.open();
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const c = await mkUser(t.store);
      // Two recipients interleaved, so a burst holds several envelopes of each device.
      const envs = Array.from({ length: 60 }, (_, i) => env(i % 3 ? b.device.id : c.device.id, a));
      const rs = await Promise.all(envs.map((e, i) => (i % 2 ? t.store : other).putEnvelope(e)));
      for (const dev of [b.device.id, c.device.id]) {
        const mine = rs.flatMap((r) => (r.ok && r.created && r.envelope.toDeviceId === dev ? [r] : [])).sort((x, y) => x.envelope.seq - y.envelope.seq);
        expect(mine.length).toBeGreaterThan(0);
        // A store may leave prev out (the relay then asks envelopeBefore); when given it must be exact.
        mine.forEach((r, i) => r.prev === undefined || expect(r.prev).toBe(i === 0 ? 0 : mine[i - 1].envelope.seq));
        for (const r of mine) if (r.prev !== undefined) expect(await t.store.envelopeBefore(dev, r.envelope.seq)).toBe(r.prev);
      }
      // Both backends give it for a plain envelope written on its own, too.
      const lone = await t.store.putEnvelope(env(b.device.id, a));
      expect(lone.ok && lone.created && lone.prev).toBe(
        rs.filter((r) => r.ok && r.envelope.toDeviceId === b.device.id).length
          ? Math.max(...rs.flatMap((r) => (r.ok && r.envelope.toDeviceId === b.device.id ? [r.envelope.seq] : [])))
          : 0
      );
    });

    it('settles each envelope of one burst on its own: repeats, id conflicts and a bad recipient fail alone', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const c = await mkUser(t.store);
      const value = (r: PromiseSettledResult<PutEnvelopeResult>) => (r.status === 'fulfilled' ? r.value : r.reason);
      // One burst (the backends write a burst together): the first of the same id wins, in arrival order.
      const first = env(b.device.id, a);
      const burst = [
        ...Array.from({ length: 30 }, (_, i) => env(i % 2 ? b.device.id : c.device.id, a)),
        first,
        { ...first, body: randomBytes(8) }, // the same envelope again
        { ...first, fromDeviceId: c.device.id, fromUserId: c.user.id } // its id, another sender
      ];
      const rs = (await Promise.allSettled(burst.map((e) => t.store.putEnvelope(e)))).map(value);
      expect(rs.slice(0, 30).every((r) => r.ok && r.created)).toBe(true);
      const [orig, again, other] = rs.slice(30);
      expect(orig).toMatchObject({ ok: true, created: true, envelope: { body: first.body } });
      expect(again).toMatchObject({ ok: true, created: false, envelope: { seq: orig.envelope.seq, body: first.body } });
      expect(other).toEqual({ ok: false, reason: 'id_conflict' });
      // A recipient that does not exist (foreign key) fails alone; the rest of its burst is stored.
      const mixed = [env(b.device.id, a), env('no-such-device', a), env(b.device.id, a), env(c.device.id, a)];
      const ms = await Promise.allSettled(mixed.map((e) => t.store.putEnvelope(e)));
      expect(ms.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect([0, 2, 3].every((i) => value(ms[i]).ok && value(ms[i]).created)).toBe(true);
      const toB = await t.store.listEnvelopes(b.device.id, 0, 200, T0);
      expect(toB).toHaveLength(18);
      expect(toB.map((e) => e.seq)).toEqual([...toB.map((e) => e.seq)].sort((x, y) => x - y));
      expect(await t.store.listEnvelopes(c.device.id, 0, 200, T0)).toHaveLength(16);
    });

    // ---------------- secret-chat requests ----------------
    it('creates, checks, claims (atomically) and withdraws secret-chat requests', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const c = await mkUser(t.store);
      const bPhone = await mkDevice(t.store, b.user.id);
      const rid = randomUUID();
      const req = { toUserId: b.user.id };
      const toLaptop = env(b.device.id, a, { requestId: rid, expiresAt: T0 + DAY });
      const toPhone = env(bPhone.id, a, { requestId: rid, expiresAt: T0 + 2 * DAY });
      expect(await t.store.putEnvelope(toLaptop, req)).toMatchObject({ ok: true, created: true });
      expect(await t.store.putEnvelope(toPhone, req)).toMatchObject({ ok: true, created: true });
      expect(await t.store.getSecretRequest(rid)).toEqual({
        id: rid,
        fromDeviceId: a.device.id,
        toUserId: b.user.id,
        claimedByDeviceId: null,
        withdrawn: false,
        createdAt: T0,
        expiresAt: T0 + 2 * DAY
      });
      // Same id, other request / other sender / other target.
      expect(await t.store.putEnvelope({ ...toLaptop, requestId: randomUUID() }, req)).toEqual({ ok: false, reason: 'id_conflict' });
      const aPhone = await mkDevice(t.store, a.user.id);
      expect(await t.store.putEnvelope(env(b.device.id, { user: a.user, device: aPhone }, { requestId: rid }), req)).toEqual({
        ok: false,
        reason: 'request_conflict'
      });
      expect(await t.store.putEnvelope(env(c.device.id, a, { requestId: rid }), { toUserId: c.user.id })).toEqual({
        ok: false,
        reason: 'request_conflict'
      });

      // Two devices of b claim at once (through two nodes): exactly one wins.
      const other = await t.h.open();
      const [x, y] = await Promise.all([t.store.claimSecretRequest(rid, b.user.id, b.device.id, T0), other.claimSecretRequest(rid, b.user.id, bPhone.id, T0)]);
      expect([x, y].sort()).toEqual(['claimed', 'conflict']);
      const winner = x === 'claimed' ? b.device.id : bPhone.id;
      const loser = winner === b.device.id ? bPhone.id : b.device.id;
      expect(await t.store.claimSecretRequest(rid, b.user.id, winner, T0)).toBe('already');
      expect(await t.store.claimSecretRequest(rid, c.user.id, c.device.id, T0)).toBe('not_found');
      expect(await t.store.claimSecretRequest('unknown', b.user.id, winner, T0)).toBe('not_found');
      expect(await t.store.countEnvelopes(loser, T0)).toBe(0);
      expect(await t.store.countEnvelopes(winner, T0)).toBe(1);
      expect((await t.store.getSecretRequest(rid))!.claimedByDeviceId).toBe(winner);
      expect(await t.store.putEnvelope(env(b.device.id, a, { requestId: rid }), req)).toEqual({ ok: false, reason: 'request_gone' });

      expect(await t.store.withdrawSecretRequest(rid, b.device.id, T0)).toBe(false);
      expect(await t.store.withdrawSecretRequest(rid, a.device.id, T0)).toBe(true);
      expect(await t.store.withdrawSecretRequest(rid, a.device.id, T0)).toBe(true);
      expect(await t.store.countEnvelopes(winner, T0)).toBe(0);
      expect(await t.store.claimSecretRequest(rid, b.user.id, winner, T0)).toBe('gone');

      // A fresh request that is withdrawn before anyone claims it.
      const rid2 = randomUUID();
      await t.store.putEnvelope(env(b.device.id, a, { requestId: rid2 }), req);
      expect(await t.store.withdrawSecretRequest(rid2, a.device.id, T0)).toBe(true);
      expect(await t.store.putEnvelope(env(b.device.id, a, { requestId: rid2 }), req)).toEqual({ ok: false, reason: 'request_gone' });
      expect(await t.store.claimSecretRequest(rid2, b.user.id, b.device.id, T0)).toBe('gone');

      // Expiry purges request rows with the envelopes.
      await t.store.purgeExpiredEnvelopes(T0 + 30 * DAY);
      expect(await t.store.getSecretRequest(rid)).toBeNull();
      expect(await t.store.getSecretRequest(rid2)).toBeNull();
    });

    it('treats a secret-chat request as unknown once expired, before the purge removes it', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const c = await mkUser(t.store);
      const bPhone = await mkDevice(t.store, b.user.id);
      const rid = randomUUID();
      const end = T0 + DAY;
      expect(await t.store.putEnvelope(env(b.device.id, a, { requestId: rid, expiresAt: end }), { toUserId: b.user.id })).toMatchObject({ ok: true, created: true });
      expect(await t.store.claimSecretRequest(rid, b.user.id, b.device.id, end)).toBe('not_found');
      expect(await t.store.withdrawSecretRequest(rid, a.device.id, end)).toBe(false);
      expect(await t.store.claimSecretRequest(rid, b.user.id, b.device.id, end - 1)).toBe('claimed');
      expect(await t.store.claimSecretRequest(rid, b.user.id, bPhone.id, end)).toBe('not_found');

      // Its id is free again: a new envelope starts a new request, even from another sender to another user.
      const later = { createdAt: end, expiresAt: end + DAY, requestId: rid };
      expect(await t.store.putEnvelope(env(c.device.id, b, later), { toUserId: c.user.id })).toMatchObject({ ok: true, created: true });
      expect(await t.store.getSecretRequest(rid)).toMatchObject({
        fromDeviceId: b.device.id,
        toUserId: c.user.id,
        claimedByDeviceId: null,
        withdrawn: false,
        expiresAt: end + DAY
      });
      expect(await t.store.claimSecretRequest(rid, c.user.id, c.device.id, end)).toBe('claimed');
      expect(await t.store.withdrawSecretRequest(rid, b.device.id, end)).toBe(true);
      expect(await t.store.claimSecretRequest(rid, c.user.id, c.device.id, end)).toBe('gone');
    });

    // ---------------- blobs ----------------
    it('enforces blob quotas (also under concurrent uploads), expires and purges blobs', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
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
      expect(await t.store.createBlob(first, 1000, T0)).toBe(true);
      expect(await t.store.createBlob(blob(500), 1000, T0)).toBe(false);
      expect(await t.store.blobUsage(a.user.id, T0)).toBe(600);
      expect(await t.store.getBlob(first.id, T0)).toEqual(first);
      expect(await t.store.getBlob(first.id, T0 + 100)).toBeNull();
      // Expired blobs don't count against the quota.
      expect(await t.store.blobUsage(a.user.id, T0 + 100)).toBe(0);

      const other = await t.h.open();
      const tries = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? t.store : other).createBlob(blob(300), 1000, T0 + 100)));
      expect(tries.filter(Boolean)).toHaveLength(3);
      expect(await t.store.blobUsage(a.user.id, T0 + 100)).toBe(900);

      const gone = blob(1, T0 + 50);
      await t.store.createBlob(gone, 10_000, T0);
      expect((await t.store.purgeExpiredBlobs(T0 + 100)).sort()).toEqual([first.id, gone.id].sort());
      const any = (await t.store.purgeExpiredBlobs(T0 + 2 * DAY)).length;
      expect(any).toBe(3);
      expect(await t.store.deleteBlob(first.id)).toBe(false);
    });

    it('settles a blob reservation to its real size and expiry; a reservation deleted meanwhile is reported', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const held = { id: id(), ownerDeviceId: a.device.id, ownerUserId: a.user.id, toDeviceId: b.device.id, size: 800, createdAt: T0, expiresAt: T0 + 100 };
      expect(await t.store.createBlob(held, 1000, T0)).toBe(true);
      expect(await t.store.settleBlob(held.id, 300, T0 + DAY)).toBe(true);
      expect(await t.store.getBlob(held.id, T0 + 100)).toEqual({ ...held, size: 300, expiresAt: T0 + DAY });
      expect(await t.store.blobUsage(a.user.id, T0)).toBe(300);
      const sealed = { ...held, id: id(), ownerDeviceId: null, ownerUserId: null };
      expect(await t.store.createSealedBlob(sealed, 1000, T0)).toBe(true);
      expect(await t.store.deleteBlob(sealed.id)).toBe(true);
      expect(await t.store.settleBlob(sealed.id, 300, T0 + DAY)).toBe(false);
      expect(await t.store.sealedBlobUsage(b.device.id, T0)).toBe(0);
    });

    // ---------------- web push and wake-ups ----------------
    it('stores one push subscription per device and deletes it only for the current endpoint', async () => {
      const a = await mkUser(t.store);
      const sub = { deviceId: a.device.id, endpoint: 'https://push.example/a', p256dh: 'p', auth: 'x', createdAt: T0 };
      await t.store.setPushSubscription(sub);
      await t.store.setPushSubscription({ ...sub, endpoint: 'https://push.example/b', createdAt: T0 + 1 });
      expect(await t.store.getPushSubscription(a.device.id)).toEqual({ ...sub, endpoint: 'https://push.example/b', createdAt: T0 + 1 });
      expect(await t.store.deletePushSubscription(a.device.id, 'https://push.example/a')).toBe(false);
      expect(await t.store.deletePushSubscription(a.device.id, 'https://push.example/b')).toBe(true);
      await t.store.setPushSubscription(sub);
      expect(await t.store.deletePushSubscription(a.device.id)).toBe(true);
      expect(await t.store.getPushSubscription(a.device.id)).toBeNull();
    });

    it('adds wake-ups with a cap and claims each exactly once across nodes, retaking stale claims', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      expect(await t.store.addWakeups(a.device.id, [T0 + 30, T0 + 10, T0 + 20, T0 + 10], 3)).toBe(true);
      expect(await t.store.addWakeups(a.device.id, [T0 + 10, T0 + 20], 3)).toBe(true); // all already there
      expect(await t.store.addWakeups(a.device.id, [T0 + 40], 3)).toBe(false);
      expect(await t.store.addWakeups(b.device.id, [T0 + 15, T0 + 1000], 10)).toBe(true);

      expect(await t.store.nextWakeupAt(60_000, 0)).toBe(T0 + 10);
      expect(await t.store.nextWakeupAt(60_000, 10)).toBe(T0 + 20);

      // Two nodes claim concurrently: disjoint sets that together cover every due row once.
      const other = await t.h.open();
      const [x, y] = await Promise.all([
        t.store.claimWakeups('node-a', T0 + 100, T0 + 100, T0 + 100 - 60_000, 10),
        other.claimWakeups('node-b', T0 + 100, T0 + 100, T0 + 100 - 60_000, 10)
      ]);
      const claimed = [...x, ...y].map((w) => w.at).sort((p, q) => p - q);
      expect(claimed).toEqual([T0 + 10, T0 + 15, T0 + 20, T0 + 30]);
      expect(x.every((w) => typeof w.id === 'number' && w.deviceId.length > 0)).toBe(true);
      expect(await t.store.claimWakeups('node-c', T0 + 200, T0 + 200, T0 + 200 - 60_000, 10)).toEqual([]);
      // Claimed rows count as ready again once stale: the unclaimed row comes first, then the stale ones.
      expect(await t.store.nextWakeupAt(60_000, 0)).toBe(T0 + 1000);
      expect(await t.store.nextWakeupAt(60_000, 60_000)).toBe(T0 + 100 + 60_000);

      // node-b died: its rows are retaken after the stale period, by exactly one node.
      const later = T0 + 100 + 60_001;
      const [p, q] = await Promise.all([
        t.store.claimWakeups('node-c', later, later, later - 60_000, 10),
        other.claimWakeups('node-d', later, later, later - 60_000, 10)
      ]);
      expect([...p, ...q].map((w) => w.at).sort((m, n) => m - n)).toEqual([...claimed, T0 + 1000]);

      // Only the current claimer deletes.
      const mine = p.length > 0 ? { rows: p, node: 'node-c' } : { rows: q, node: 'node-d' };
      await t.store.deleteWakeups(
        mine.rows.map((w) => w.id),
        'node-a'
      );
      await t.store.deleteWakeups(
        mine.rows.map((w) => w.id),
        mine.node
      );
      const left = await t.store.claimWakeups('node-e', later + 120_000, later + 120_000, later + 60_000, 10);
      expect(left.map((w) => w.at).sort((m, n) => m - n)).toEqual(
        [...p, ...q]
          .filter((w) => !mine.rows.some((r) => r.id === w.id))
          .map((w) => w.at)
          .sort((m, n) => m - n)
      );
      await t.store.deleteWakeups([], 'node-e');
    });
  },
  { max: 8 }
);
