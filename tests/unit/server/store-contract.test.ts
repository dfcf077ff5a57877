/**
 * The storage contract, run against every backend: the embedded SQLite store and PostgreSQL (each test
 * in a fresh schema created on the fly and dropped after). Same cases, same expected results; the
 * concurrency cases also open a second store on the same database, like a second relay node.
 *
 * PostgreSQL is skipped (with the reason printed) when unreachable, except with CI=true where it fails.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/lib/server/store/sqlite/migrations';
import { PG_MIGRATIONS } from '../../../src/lib/server/store/postgres/migrations';
import { UniqueViolation, type Store } from '../../../src/lib/server/store/types';
import { dropPostgresSchema, openPostgresStore } from '../../../src/lib/server/store/postgres';
import { postgres, uniqueName } from './services';
import { eachStore, DAY, env, id, mkDevice, mkUser, storeBackends, T0 } from './store-fixtures';

const pgService = await postgres();
const backends = storeBackends('store contract', 8);
const versions = { sqlite: MIGRATIONS.map((m) => m.version), postgres: PG_MIGRATIONS.map((m) => m.version) };

eachStore(
  'store contract',
  (t) => {
    // ---------------- migrations ----------------
    it('applies every migration on a fresh database and none on the next start', async () => {
      expect(t.store.migrated).toEqual(versions[t.backend.name]);
      const again = await t.h.open();
      expect(again.migrated).toEqual([]);
    });

    // ---------------- users and devices ----------------
    it('creates users with their first device; duplicate usernames are a UniqueViolation and create nothing', async () => {
      const a = await mkUser(t.store, { name: 'Alice' });
      expect(await t.store.getUser(a.user.id)).toEqual(a.user);
      expect(await t.store.getUserByName('ALICE')).toEqual(a.user);
      expect(await t.store.getUser('nope')).toBeNull();

      const dupDevice = { ...a.device, id: id(), tokenHash: 'other' };
      const dup = { ...a.user, id: id() };
      await expect(t.store.createUser(dup, { ...dupDevice, userId: dup.id })).rejects.toBeInstanceOf(UniqueViolation);
      expect(await t.store.getUser(dup.id)).toBeNull();
      expect(await t.store.getDevice(dupDevice.id)).toBeNull();

      await t.store.setDisplayName(a.user.id, 'Alice L.');
      expect((await t.store.getUser(a.user.id))!.displayName).toBe('Alice L.');
    });

    it('searches usernames by escaped prefix, in byte order', async () => {
      for (const n of ['bob', 'bo_b', 'bo%x', 'boA', 'bob2', 'alice']) await mkUser(t.store, { name: n });
      const names = async (p: string, limit = 20) => (await t.store.searchUsers(p, limit)).map((u) => u.username);
      expect(await names('bo')).toEqual(['bo%x', 'bo_b', 'boa', 'bob', 'bob2']);
      expect(await names('bo_')).toEqual(['bo_b']);
      expect(await names('bo%')).toEqual(['bo%x']);
      expect(await names('BOB')).toEqual(['bob', 'bob2']);
      expect(await names('bo', 2)).toEqual(['bo%x', 'bo_b']);
      expect(await names('zz')).toEqual([]);
    });

    it('lists, authenticates, touches and revokes devices', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const phone = await mkDevice(t.store, a.user.id);
      expect((await t.store.listDevices(a.user.id)).map((d) => d.id)).toEqual([a.device.id, phone.id]);
      const session = await t.store.getSession(phone.tokenHash);
      expect(session!.user).toEqual(a.user);
      expect(session!.device).toMatchObject({ id: phone.id, userId: a.user.id, name: 'Phone', revokedAt: null, lastSeenAt: T0 + 1 });
      expect(await t.store.getSession('missing')).toBeNull();

      await t.store.touchDevice(phone.id, T0 + 100);
      await t.store.touchDevice(phone.id, T0 + 50); // never goes back
      expect((await t.store.getDevice(phone.id))!.lastSeenAt).toBe(T0 + 100);

      // Revoking drops the device's envelopes, push subscription and wake-ups.
      await t.store.putEnvelope(env(phone.id, b));
      await t.store.setPushSubscription({ deviceId: phone.id, endpoint: 'https://push.example/1', p256dh: 'k', auth: 'a', createdAt: T0 });
      await t.store.addWakeups(phone.id, [T0 + 10], 10);
      expect(await t.store.revokeDevice(b.user.id, phone.id, T0 + 200)).toBe(false); // not b's device
      expect(await t.store.revokeDevice(a.user.id, phone.id, T0 + 200)).toBe(true);
      expect(await t.store.revokeDevice(a.user.id, phone.id, T0 + 300)).toBe(false);
      expect((await t.store.getDevice(phone.id))!.revokedAt).toBe(T0 + 200);
      expect((await t.store.getSession(phone.tokenHash))!.device.revokedAt).toBe(T0 + 200);
      expect((await t.store.listDevices(a.user.id)).map((d) => d.id)).toEqual([a.device.id]);
      expect(await t.store.countEnvelopes(phone.id, T0)).toBe(0);
      expect(await t.store.getPushSubscription(phone.id)).toBeNull();
      expect(await t.store.claimWakeups('n', T0 + 20, T0 + 20, T0, 10)).toEqual([]);
    });

    it("renames only the user's own live devices, keeping the name byte for byte", async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const phone = await mkDevice(t.store, a.user.id);
      expect(await t.store.renameDevice(a.user.id, phone.id, 'Work laptop 💻 «Ünïcode»')).toBe(true);
      expect((await t.store.getDevice(phone.id))!.name).toBe('Work laptop 💻 «Ünïcode»');
      expect((await t.store.listDevices(a.user.id)).find((d) => d.id === phone.id)!.name).toBe('Work laptop 💻 «Ünïcode»');
      expect((await t.store.getSession(phone.tokenHash))!.device.name).toBe('Work laptop 💻 «Ünïcode»');
      expect(await t.store.renameDevice(b.user.id, phone.id, 'Stolen')).toBe(false); // not b's device
      expect(await t.store.renameDevice(a.user.id, 'missing', 'Nothing')).toBe(false);
      expect((await t.store.getDevice(phone.id))!.name).toBe('Work laptop 💻 «Ünïcode»');
      expect((await t.store.getDevice(a.device.id))!.name).not.toBe('Work laptop 💻 «Ünïcode»'); // only that one
      expect(await t.store.revokeDevice(a.user.id, phone.id, T0 + 5)).toBe(true);
      expect(await t.store.renameDevice(a.user.id, phone.id, 'Too late')).toBe(false); // a revoked device keeps its name
      expect((await t.store.getDevice(phone.id))!.name).toBe('Work laptop 💻 «Ünïcode»');
    });

    it('revokes all other devices, alone or with a password change that only a live device and the current hash can make', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      const phone = await mkDevice(t.store, a.user.id);
      const tablet = await mkDevice(t.store, a.user.id, T0 + 2);
      await t.store.putEnvelope(env(phone.id, b));
      await t.store.setPushSubscription({ deviceId: tablet.id, endpoint: 'https://push.example/2', p256dh: 'k', auth: 'a', createdAt: T0 });
      await t.store.addWakeups(phone.id, [T0 + 10], 10);
      await t.store.rememberKnownDevice(a.user.id, 'known-a', null, T0, 20);
      await t.store.rememberKnownDevice(b.user.id, 'known-b', null, T0, 20);

      expect(await t.store.changePassword(a.user.id, 'wrong$old', 'scrypt$new', a.device.id, T0 + 5)).toBeNull();
      expect(await t.store.changePassword(a.user.id, a.user.pwHash, 'scrypt$new', b.device.id, T0 + 5)).toBeNull(); // not a's device
      expect((await t.store.getUser(a.user.id))!.pwHash).toBe(a.user.pwHash);
      expect((await t.store.listDevices(a.user.id)).length).toBe(3);
      expect(await t.store.isKnownDevice(a.user.id, 'known-a')).toBe(true);

      expect((await t.store.changePassword(a.user.id, a.user.pwHash, 'scrypt$new', a.device.id, T0 + 5))!.sort()).toEqual([phone.id, tablet.id].sort());
      expect((await t.store.getUser(a.user.id))!.pwHash).toBe('scrypt$new');
      expect((await t.store.listDevices(a.user.id)).map((d) => d.id)).toEqual([a.device.id]);
      expect((await t.store.getDevice(phone.id))!.revokedAt).toBe(T0 + 5);
      expect(await t.store.countEnvelopes(phone.id, T0)).toBe(0);
      expect(await t.store.getPushSubscription(tablet.id)).toBeNull();
      expect(await t.store.claimWakeups('n', T0 + 20, T0 + 20, T0, 10)).toEqual([]);
      expect(await t.store.isKnownDevice(a.user.id, 'known-a')).toBe(false);
      expect(await t.store.isKnownDevice(b.user.id, 'known-b')).toBe(true);
      // The old hash no longer matches: a second, concurrent change loses.
      expect(await t.store.changePassword(a.user.id, a.user.pwHash, 'scrypt$other', a.device.id, T0 + 6)).toBeNull();
      // A revoked device can't change it either.
      expect(await t.store.changePassword(a.user.id, 'scrypt$new', 'scrypt$x2', phone.id, T0 + 6)).toBeNull();

      const laptop = await mkDevice(t.store, a.user.id, T0 + 7);
      expect(await t.store.revokeOtherDevices(a.user.id, laptop.id, T0 + 8)).toEqual([a.device.id]);
      expect(await t.store.revokeOtherDevices(a.user.id, laptop.id, T0 + 9)).toEqual([]);
      expect((await t.store.listDevices(a.user.id)).map((d) => d.id)).toEqual([laptop.id]);
      expect((await t.store.listDevices(b.user.id)).length).toBe(1); // other users untouched
    });

    // ---------------- sign-in backoff and known devices ----------------
    it('counts sign-in attempts per key with a backoff, forgets them after a while, clears and purges', async () => {
      const delay = (n: number) => (n < 3 ? 0 : 1000 * 2 ** (n - 3));
      const take = (key: string, now: number) => t.store.takeLoginAttempt(key, now, now - DAY, delay);
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
      await t.store.clearLoginAttempts('k');
      for (let i = 0; i < 3; i++) expect(await take('k', T0 + 2 * DAY)).toEqual({ ok: true });
      expect((await take('k', T0 + 2 * DAY)).ok).toBe(false);
      expect(await t.store.purgeLoginAttempts(T0 + DAY)).toBe(1); // 'other'
      expect(await t.store.purgeLoginAttempts(T0 + DAY)).toBe(0);
      expect((await take('k', T0 + 2 * DAY)).ok).toBe(false);
    });

    it('lets exactly one of many concurrent attempts through a closed window, across nodes', async () => {
      const other = await t.h.open();
      const delay = (n: number) => (n < 2 ? 0 : 60_000);
      const take = (s: Store) => s.takeLoginAttempt('race', T0, T0 - DAY, delay);
      expect((await take(t.store)).ok).toBe(true);
      // The second attempt closes the window; of the rest only it passes.
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => take(i % 2 ? other : t.store)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual(Array(11).fill({ ok: false, nextAt: T0 + 60_000 }));
    });

    it('remembers known devices per user, rotates a token, keeps the most recent ones', async () => {
      const a = await mkUser(t.store);
      const b = await mkUser(t.store);
      await t.store.rememberKnownDevice(a.user.id, 'h1', null, T0, 3);
      expect(await t.store.isKnownDevice(a.user.id, 'h1')).toBe(true);
      expect(await t.store.isKnownDevice(b.user.id, 'h1')).toBe(false);
      expect(await t.store.isKnownDevice('', 'h1')).toBe(false);
      // One browser, two accounts: signing in to b rotates the cookie for both.
      await t.store.rememberKnownDevice(b.user.id, 'h2', 'h1', T0 + 1, 3);
      expect(await t.store.isKnownDevice(a.user.id, 'h1')).toBe(false);
      expect(await t.store.isKnownDevice(a.user.id, 'h2')).toBe(true);
      expect(await t.store.isKnownDevice(b.user.id, 'h2')).toBe(true);
      // Same hash again: refreshed, not duplicated.
      await t.store.rememberKnownDevice(a.user.id, 'h2', 'h2', T0 + 2, 3);
      for (let i = 3; i <= 5; i++) await t.store.rememberKnownDevice(a.user.id, `h${i}`, null, T0 + i, 3);
      expect(await t.store.isKnownDevice(a.user.id, 'h2')).toBe(false); // oldest of four dropped
      for (const token of ['h3', 'h4', 'h5']) expect(await t.store.isKnownDevice(a.user.id, token)).toBe(true);
      expect(await t.store.isKnownDevice(b.user.id, 'h2')).toBe(true); // b's own rows are not trimmed by a's
    });

    it('device cap: createDevice with a cap refuses beyond it, atomically across nodes; revoked devices do not count', async () => {
      const a = await mkUser(t.store);
      const other = await t.h.open();
      const dev = () => ({ id: id(), userId: a.user.id, name: 'D', signPub: 's', dhPub: 'd', tokenHash: randomBytes(32).toString('hex'), createdAt: T0 + 1 });
      // One live device already (from sign-up); four logins race for the three slots left.
      const results = await Promise.all(Array.from({ length: 4 }, (_, i) => (i % 2 ? other : t.store).createDevice(dev(), 4)));
      expect(results.filter(Boolean)).toHaveLength(3);
      expect(await t.store.listDevices(a.user.id)).toHaveLength(4);
      expect(await t.store.createDevice(dev(), 4)).toBe(false);
      expect(await t.store.revokeDevice(a.user.id, a.device.id, T0 + 2)).toBe(true);
      expect(await t.store.createDevice(dev(), 4)).toBe(true);
      // Without a cap (sign-up paths, tests) nothing is counted.
      expect(await t.store.createDevice(dev())).toBe(true);
    });

    it('login race: createDevice with the checked password hash refuses once the password changed, and a change that races it signs the new device out', async () => {
      const a = await mkUser(t.store);
      const other = await t.h.open();
      const dev = () => ({ id: id(), userId: a.user.id, name: 'D', signPub: 's', dhPub: 'd', tokenHash: randomBytes(32).toString('hex'), createdAt: T0 + 1 });
      expect(await t.store.createDevice(dev(), 10, a.user.pwHash)).toBe(true);
      expect(await t.store.changePassword(a.user.id, a.user.pwHash, 'scrypt$new', a.device.id, T0 + 2)).not.toBeNull();
      const late = dev();
      expect(await t.store.createDevice(late, 10, a.user.pwHash)).toBe('password_changed');
      expect(await t.store.getDevice(late.id)).toBeNull();
      expect(await t.store.createDevice(dev(), undefined, 'scrypt$new')).toBe(true);
      // Logins that checked the old hash race a change on another node: whichever commits first,
      // no device that a login with the old password added stays signed in.
      const racers = Array.from({ length: 4 }, dev);
      const [changed] = await Promise.all([
        other.changePassword(a.user.id, 'scrypt$new', 'scrypt$newer', a.device.id, T0 + 3),
        ...racers.map((d, i) => (i % 2 ? other : t.store).createDevice(d, 10, 'scrypt$new'))
      ]);
      expect(changed).not.toBeNull();
      const live = new Set((await t.store.listDevices(a.user.id)).map((d) => d.id));
      expect(racers.filter((d) => live.has(d.id))).toEqual([]);
      expect(live.has(a.device.id)).toBe(true);
    });
  },
  { max: 8 }
);

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
