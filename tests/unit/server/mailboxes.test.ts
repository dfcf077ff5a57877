/**
 * The sealed-addressing part of the storage contract (migration 8), on SQLite and PostgreSQL: mailbox
 * registration (idempotent, a conflicting id left out and named, a per-device cap, across two nodes),
 * look-up, drop, expiry and purge, revocation and account deletion; envelopes without a sender (idempotent by mailbox); sealed
 * blobs under the recipient device's inbound quota; the device protocol column. And SQLite's table
 * rebuild: rows survive and envelope seqs keep rising.
 */
import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/lib/server/store/sqlite/db';
import { MIGRATIONS } from '../../../src/lib/server/store/sqlite/migrations';
import { openSqliteStore } from '../../../src/lib/server/store/sqlite';
import type { BlobRow, MailboxRow } from '../../../src/lib/server/store/types';
import { tempDir } from './helpers';
import { eachStore, DAY, env, id, mkDevice, mkUser, T0 } from './store-fixtures';

const mbId = () => randomBytes(16).toString('base64url');
/** A row as the relay makes it; `cap` stands for the sealed key (the store only hands it to `sameCap`). */
const box = (deviceId: string, cap = randomBytes(61), expiresAt = T0 + DAY, mid = mbId()): MailboxRow => ({ id: mid, deviceId, cap, expiresAt });
const byBytes = (rows: MailboxRow[]) => (mid: string, stored: Buffer) => rows.some((r) => r.id === mid && r.cap.equals(stored));
/** A per-device cap no test here reaches unless it means to. */
const MAX = 1000;

eachStore(
  'sealed addressing store',
  (t) => {
    it('registers mailboxes idempotently, leaves out and names conflicting ids, and expires, drops and purges them', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const [m1, m2] = [box(a.device.id), box(a.device.id)];
      expect(await t.store.registerMailboxes(a.device.id, [m1, m2], byBytes([m1, m2]), T0, MAX)).toEqual({ ok: true, conflicts: [] });
      expect(await t.store.getMailbox(m1.id, T0)).toEqual(m1);
      // Again with the same key (as `sameCap` decides) and a later expiry: kept, extended.
      const later = { ...m1, cap: randomBytes(61), expiresAt: T0 + 2 * DAY };
      expect(await t.store.registerMailboxes(a.device.id, [later], () => true, T0, MAX)).toEqual({ ok: true, conflicts: [] });
      expect(await t.store.getMailbox(m1.id, T0)).toEqual({ ...m1, expiresAt: T0 + 2 * DAY });
      // Another key, or another device: that id is named and left as it was; the others are stored.
      const fresh = box(a.device.id);
      const rekeyed = { ...m2, cap: randomBytes(61), expiresAt: T0 + 3 * DAY };
      expect(await t.store.registerMailboxes(a.device.id, [fresh, rekeyed], (mid) => mid === fresh.id, T0, MAX)).toEqual({ ok: true, conflicts: [m2.id] });
      expect(await t.store.getMailbox(m2.id, T0)).toEqual(m2);
      expect(await t.store.getMailbox(fresh.id, T0)).toEqual(fresh);
      // A squatter's ids in the order given, whatever the backend's locking order.
      const theirs = box(b.device.id);
      const squat = [m2, m1, fresh].map((m) => ({ ...m, deviceId: b.device.id }));
      expect(await t.store.registerMailboxes(b.device.id, [squat[0]!, theirs, squat[1]!, squat[2]!], () => true, T0, MAX)).toEqual({
        ok: true,
        conflicts: [m2.id, m1.id, fresh.id]
      });
      expect(await t.store.getMailbox(theirs.id, T0)).toEqual(theirs);
      expect((await t.store.getMailbox(m1.id, T0))!.deviceId).toBe(a.device.id);

      // Expired: not found, and replaceable by anyone (the purge just had not run).
      expect(await t.store.getMailbox(m2.id, T0 + DAY)).toBeNull();
      const taken = { ...m2, deviceId: b.device.id, cap: randomBytes(61), expiresAt: T0 + 3 * DAY };
      expect(await t.store.registerMailboxes(b.device.id, [taken], () => false, T0 + DAY, MAX)).toEqual({ ok: true, conflicts: [] });
      expect(await t.store.getMailbox(m2.id, T0 + DAY)).toEqual(taken);

      // Drop: only the caller's own.
      expect(await t.store.dropMailboxes(b.device.id, [m1.id, m2.id, mbId()])).toBe(1);
      expect(await t.store.dropMailboxes(b.device.id, [theirs.id])).toBe(1);
      expect(await t.store.getMailbox(m1.id, T0)).not.toBeNull();
      expect(await t.store.getMailbox(m2.id, T0)).toBeNull();
      // Purge: only the expired ones.
      const short = box(a.device.id, randomBytes(61), T0 + 10);
      await t.store.registerMailboxes(a.device.id, [short], () => true, T0, MAX);
      expect(await t.store.purgeExpiredMailboxes(T0 + 10)).toBe(1);
      expect(await t.store.getMailbox(short.id, 0)).toBeNull();
      expect(await t.store.getMailbox(m1.id, 0)).not.toBeNull();
    });

    it('two nodes registering the same id for two devices at once: exactly one gets it', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const other = await t.h.open();
      for (let i = 0; i < 5; i++) {
        const mid = mbId();
        const [ra, rb] = await Promise.all([
          t.store.registerMailboxes(a.device.id, [box(a.device.id, randomBytes(61), T0 + DAY, mid)], () => true, T0, MAX),
          other.registerMailboxes(b.device.id, [box(b.device.id, randomBytes(61), T0 + DAY, mid)], () => true, T0, MAX)
        ]);
        const [aWon, bWon] = [ra, rb].map((r) => r.ok && r.conflicts.length === 0);
        expect([aWon, bWon].sort()).toEqual([false, true]);
        expect((await t.store.getMailbox(mid, T0))!.deviceId).toBe(aWon ? a.device.id : b.device.id);
      }
    });

    it('caps a device’s unexpired mailboxes: a call that would pass the cap stores nothing', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const held = [box(a.device.id), box(a.device.id), box(a.device.id, randomBytes(61), T0 + 10)];
      expect(await t.store.registerMailboxes(a.device.id, held, () => true, T0, 3)).toEqual({ ok: true, conflicts: [] });
      const extra = box(a.device.id);
      expect(await t.store.registerMailboxes(a.device.id, [extra], () => true, T0, 3)).toEqual({ ok: false, reason: 'too_many' });
      expect(await t.store.getMailbox(extra.id, T0)).toBeNull();
      // Extending what it holds adds nothing, even at the cap (a lowered cap still lets it keep them).
      expect(await t.store.registerMailboxes(a.device.id, [{ ...held[0]!, expiresAt: T0 + 2 * DAY }, held[1]!], () => true, T0, 2)).toEqual({ ok: true, conflicts: [] });
      // Too many: the whole call is refused, the extension in it too.
      expect(await t.store.registerMailboxes(a.device.id, [{ ...held[1]!, expiresAt: T0 + 3 * DAY }, extra], () => true, T0, 3)).toEqual({
        ok: false,
        reason: 'too_many'
      });
      expect((await t.store.getMailbox(held[1]!.id, T0))!.expiresAt).toBe(T0 + DAY);
      // Expired rows and another device's ids (conflicts, not stored) do not count.
      const squatted = box(b.device.id);
      await t.store.registerMailboxes(b.device.id, [squatted], () => true, T0, 3);
      expect(await t.store.registerMailboxes(a.device.id, [extra, { ...squatted, deviceId: a.device.id }], () => true, T0 + 10, 3)).toEqual({
        ok: true,
        conflicts: [squatted.id]
      });
      expect(await t.store.getMailbox(extra.id, T0 + 10)).toEqual(extra);
      // Other devices have their own count.
      expect(await t.store.registerMailboxes(b.device.id, [box(b.device.id), box(b.device.id)], () => true, T0, 3)).toEqual({ ok: true, conflicts: [] });
    });

    it('two nodes registering for one device at once cannot pass its cap together', async () => {
      const other = await t.h.open();
      for (let i = 0; i < 5; i++) {
        const a = await mkUser(t.store);
        const results = await Promise.all(
          [t.store, other, t.store, other].map((s) => s.registerMailboxes(a.device.id, [box(a.device.id), box(a.device.id)], () => true, T0, 5))
        );
        expect(results.filter((r) => r.ok)).toHaveLength(2);
        expect(results.filter((r) => !r.ok)).toEqual([
          { ok: false, reason: 'too_many' },
          { ok: false, reason: 'too_many' }
        ]);
      }
    });

    it('drops a device’s mailboxes when it is revoked, and every device’s when the account is deleted', async () => {
      const a = await mkUser(t.store);
      const phone = await mkDevice(t.store, a.user.id);
      const peer = await mkUser(t.store);
      const [ml, mp, mq] = [box(a.device.id), box(phone.id), box(peer.device.id)];
      await t.store.registerMailboxes(a.device.id, [ml], () => true, T0, MAX);
      await t.store.registerMailboxes(phone.id, [mp], () => true, T0, MAX);
      await t.store.registerMailboxes(peer.device.id, [mq], () => true, T0, MAX);
      // Sealed envelopes both ways: the deletion must not trip over rows without a sender.
      await t.store.putEnvelope(env(a.device.id, peer, { fromDeviceId: null, fromUserId: null, mailbox: ml.id }));
      await t.store.putEnvelope(env(peer.device.id, a, { fromDeviceId: null, fromUserId: null, mailbox: mq.id }));
      expect(await t.store.revokeDevice(a.user.id, phone.id, T0 + 5)).toBe(true);
      expect(await t.store.getMailbox(mp.id, T0)).toBeNull();
      expect(await t.store.getMailbox(ml.id, T0)).not.toBeNull();
      const gone = await t.store.deleteAccount(a.user.id, T0 + 10, T0 + 30 * DAY, () => {
        throw new Error('no contacts were recorded');
      });
      expect(gone).not.toBeNull();
      expect(await t.store.getMailbox(ml.id, T0)).toBeNull();
      expect(await t.store.getMailbox(mq.id, T0)).not.toBeNull();
      expect(await t.store.listEnvelopes(a.device.id, 0, 10, T0)).toEqual([]);
      // The peer keeps what reached it: the relay cannot tell it came from the deleted account.
      expect(await t.store.listEnvelopes(peer.device.id, 0, 10, T0)).toHaveLength(1);
    });

    it('stores envelopes without a sender, idempotent by (recipient, id) and mailbox', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const mid = mbId();
      const sealed = env(b.device.id, a, { fromDeviceId: null, fromUserId: null, mailbox: mid });
      const first = await t.store.putEnvelope(sealed);
      expect(first).toMatchObject({ ok: true, created: true, envelope: { fromDeviceId: null, fromUserId: null, mailbox: mid } });
      const seq = first.ok ? first.envelope.seq : 0;
      expect(await t.store.putEnvelope({ ...sealed, body: randomBytes(8) })).toMatchObject({ ok: true, created: false, envelope: { seq } });
      expect(await t.store.putEnvelope({ ...sealed, mailbox: mbId() })).toEqual({ ok: false, reason: 'id_conflict' });
      // A device's envelope cannot take a sealed one's id, nor the other way round.
      expect(await t.store.putEnvelope({ ...sealed, fromDeviceId: a.device.id, fromUserId: a.user.id, mailbox: null })).toEqual({ ok: false, reason: 'id_conflict' });
      const plain = env(b.device.id, a);
      await t.store.putEnvelope(plain);
      expect(await t.store.putEnvelope({ ...plain, fromDeviceId: null, fromUserId: null, mailbox: mid })).toEqual({ ok: false, reason: 'id_conflict' });
      // Group commit: a burst mixing both kinds.
      const burst = Array.from({ length: 12 }, (_, i) =>
        i % 2 ? env(b.device.id, a) : env(b.device.id, a, { fromDeviceId: null, fromUserId: null, mailbox: mbId(), id: randomUUID() })
      );
      const results = await Promise.all(burst.map((e) => t.store.putEnvelope(e)));
      expect(results.every((r) => r.ok && r.created)).toBe(true);
      const rows = await t.store.listEnvelopes(b.device.id, 0, 100, T0);
      expect(rows).toHaveLength(14);
      const [row] = rows;
      expect(row).toEqual({ ...sealed, seq });
      for (const e of burst) {
        const got = rows.find((r) => r.id === e.id)!;
        expect([got.fromDeviceId, got.fromUserId, got.mailbox ?? null]).toEqual([e.fromDeviceId, e.fromUserId, e.mailbox ?? null]);
      }
      // A plain envelope's row is as before migration 8 (no mailbox key at all).
      expect('mailbox' in rows.find((r) => r.id === plain.id)!).toBe(false);
    });

    it('keeps sealed blobs under the recipient device’s inbound quota, apart from its user’s own uploads', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const blob = (size: number, over: Partial<BlobRow> = {}): BlobRow => ({
        id: id(),
        ownerDeviceId: null,
        ownerUserId: null,
        toDeviceId: b.device.id,
        size,
        createdAt: T0,
        expiresAt: T0 + DAY,
        ...over
      });
      const s1 = blob(600);
      expect(await t.store.createSealedBlob(s1, 1000, T0)).toBe(true);
      expect(await t.store.getBlob(s1.id, T0)).toEqual(s1);
      expect(await t.store.createSealedBlob(blob(500), 1000, T0)).toBe(false);
      expect(await t.store.createSealedBlob(blob(400), 1000, T0)).toBe(true);
      // b's own uploads, and sealed ones to another device, are counted elsewhere.
      expect(await t.store.createBlob(blob(900, { ownerDeviceId: b.device.id, ownerUserId: b.user.id, toDeviceId: a.device.id }), 1000, T0)).toBe(true);
      expect(await t.store.createSealedBlob(blob(900, { toDeviceId: a.device.id }), 1000, T0)).toBe(true);
      expect(await t.store.sealedBlobUsage(b.device.id, T0)).toBe(1000);
      expect(await t.store.blobUsage(b.user.id, T0)).toBe(900);
      // Expired ones stop counting; an owned row is refused here.
      expect(await t.store.sealedBlobUsage(b.device.id, T0 + DAY)).toBe(0);
      await expect(t.store.createSealedBlob(blob(1, { ownerDeviceId: a.device.id, ownerUserId: a.user.id }), 1000, T0)).rejects.toThrow();
      // Concurrent uploads from two nodes never overshoot.
      const other = await t.h.open();
      const c = await mkUser(t.store);
      const race = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? t.store : other).createSealedBlob(blob(300, { toDeviceId: c.device.id }), 1000, T0)));
      expect(race.filter(Boolean)).toHaveLength(3);
      expect(await t.store.sealedBlobUsage(c.device.id, T0)).toBe(900);
    });

    it('records the device protocol version, for listings and sessions alike', async () => {
      const a = await mkUser(t.store);
      expect((await t.store.getDevice(a.device.id))!.protocol).toBe(1);
      expect(await t.store.setDeviceProtocol(a.device.id, 2)).toBe(true);
      expect((await t.store.listDevices(a.user.id))[0].protocol).toBe(2);
      expect((await t.store.getSession(a.device.tokenHash))!.device.protocol).toBe(2);
      expect(await t.store.setDeviceProtocol('nosuchdevice', 2)).toBe(false);
      await t.store.revokeDevice(a.user.id, a.device.id, T0 + 1);
      expect(await t.store.setDeviceProtocol(a.device.id, 1)).toBe(false);
    });
  },
  { label: 'sealed mailboxes' }
);

describe('SQLite migration 8 (tables rebuilt)', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every envelope and blob, and envelope seqs keep rising past the highest ever given', async () => {
    const db = new Database(join(dir, 'cinder.db'));
    db.pragma('foreign_keys = ON');
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 7)
    );
    db.prepare("INSERT INTO users (id, username, display_name, pw_hash, created_at) VALUES ('u1', 'u1', 'U', 'x', 1)").run();
    db.prepare("INSERT INTO devices (id, user_id, name, sign_pub, dh_pub, token_hash, created_at, last_seen_at) VALUES ('d1', 'u1', 'L', 's', 'd', 't', 1, 1)").run();
    const put = db.prepare(
      "INSERT INTO envelopes (id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, request_id) VALUES (?, 'd1', 'd0', 'u0', X'0102', 1, 99, ?)"
    );
    for (let i = 0; i < 5; i++) put.run(`e${i}`, i === 1 ? 'r1' : null);
    db.prepare("DELETE FROM envelopes WHERE id IN ('e2', 'e3', 'e4')").run();
    db.prepare("INSERT INTO blobs VALUES ('b1', 'd0', 'u0', 'd1', 10, 1, 99)").run();
    expect(migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 8).map((m) => m.version));
    db.close();

    const store = openSqliteStore(dir, { backgroundCheckpoint: false });
    try {
      const rows = await store.listEnvelopes('d1', 0, 10, 0);
      expect(rows.map((r) => [r.seq, r.id, r.fromDeviceId, r.requestId])).toEqual([
        [1, 'e0', 'd0', null],
        [2, 'e1', 'd0', 'r1']
      ]);
      expect(await store.getBlob('b1', 0)).toMatchObject({ ownerDeviceId: 'd0', ownerUserId: 'u0', toDeviceId: 'd1', size: 10 });
      expect((await store.getDevice('d1'))!.protocol).toBe(1);
      // Everything acknowledged: the next seq still follows the highest ever given (5), not the highest kept.
      await store.ackEnvelopes('d1', 2);
      const r = await store.putEnvelope({
        id: randomUUID(),
        toDeviceId: 'd1',
        fromDeviceId: null,
        fromUserId: null,
        mailbox: mbId(),
        body: Buffer.from([1]),
        createdAt: 2,
        expiresAt: 99,
        requestId: null
      });
      expect(r.ok && r.envelope.seq).toBe(6);
      // The rebuilt tables keep their indexes and checks.
      const indexes = store.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('envelopes', 'blobs') AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all();
      expect(indexes.map((x) => (x as { name: string }).name)).toEqual([
        'blobs_by_expiry',
        'blobs_by_owner',
        'blobs_by_recipient',
        'envelopes_by_device',
        'envelopes_by_expiry',
        'envelopes_by_request'
      ]);
      expect(() =>
        store.db
          .prepare("INSERT INTO envelopes (id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at) VALUES ('x', 'd1', NULL, NULL, X'', 1, 2)")
          .run()
      ).toThrow(/CHECK/);
      expect(() => store.db.prepare("INSERT INTO blobs VALUES ('b2', 'd0', NULL, 'd1', 1, 1, 2)").run()).toThrow(/CHECK/);
    } finally {
      await store.close();
    }
  });
});
