import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AtRestError, createAtRest } from '../../../src/lib/server/atrest';
import { MIGRATIONS } from '../../../src/lib/server/store/sqlite/migrations';
import { migrate, openSqliteStore } from '../../../src/lib/server/store/sqlite';
import { b64u, call, sendText, signup, startServer, tempDir, uuid } from './helpers';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('at-rest encryption', () => {
  const key = randomBytes(32);
  const ar = createAtRest(key);

  it('round-trips with a versioned, nonce-prefixed blob', () => {
    const a = ar.seal(Buffer.from('hello'), 'msg:1');
    const b = ar.seal(Buffer.from('hello'), 'msg:1');
    expect(a[0]).toBe(1);
    expect(a).toHaveLength(1 + 12 + 5 + 16);
    expect(a.equals(b)).toBe(false); // random nonce
    expect(ar.open(a, 'msg:1').toString()).toBe('hello');
  });

  it('refuses a blob moved to another row, tampered with, or opened with another key', () => {
    const blob = ar.seal(Buffer.from('secret'), 'msg:1');
    expect(() => ar.open(blob, 'msg:2')).toThrow(AtRestError);
    const flipped = Buffer.from(blob);
    flipped[20] ^= 1;
    expect(() => ar.open(flipped, 'msg:1')).toThrow(AtRestError);
    expect(() => createAtRest(randomBytes(32)).open(blob, 'msg:1')).toThrow(AtRestError);
    const v2 = Buffer.from(blob);
    v2[0] = 2;
    expect(() => ar.open(v2, 'msg:1')).toThrow(/version/);
    expect(() => ar.open(Buffer.alloc(10), 'msg:1')).toThrow(/short/);
    expect(() => createAtRest(randomBytes(16))).toThrow();
  });

  it('keeps message text and envelope bodies out of cinder.db and its WAL (UTF-8 and UTF-16)', async () => {
    const ts = await startServer();
    try {
      const alice = await signup(ts);
      const bob = await signup(ts);
      const phrase = `Zebra-${randomBytes(6).toString('hex')}-marmalade`;
      await sendText(ts, alice, bob, `the phrase is ${phrase} ok`);
      await sendText(ts, bob, alice, phrase);
      const envPlain = Buffer.from(`envelope ${phrase}`);
      await call(ts, 'POST', '/api/envelopes', { token: alice.token, body: { id: uuid(), toDeviceId: bob.deviceId, body: envPlain.toString('base64url') } });
      // Still readable through the API…
      const hist = await call(ts, 'GET', `/api/cloud/chats/${bob.userId}/messages`, { token: alice.token });
      expect(hist.body.messages.map((m: { text: string }) => m.text)).toContain(phrase);

      const wal = join(ts.dataDir, 'cinder.db-wal');
      expect(existsSync(wal)).toBe(true);
      const files = [join(ts.dataDir, 'cinder.db'), wal].map((f) => readFileSync(f));
      const needles = [Buffer.from(phrase, 'utf8'), Buffer.from(phrase, 'utf16le'), Buffer.from(phrase, 'utf16le').subarray(1), envPlain];
      // …but the bytes on disk never contain it.
      for (const bytes of files) for (const n of needles) expect(bytes.includes(n)).toBe(false);
      expect(ts.logs.join('\n')).not.toContain(phrase);
      // Sanity check that the scan can see data: usernames are stored in the clear.
      expect(files.some((b) => b.includes(Buffer.from(alice.username)))).toBe(true);
    } finally {
      await ts.close();
    }
  });
});

describe('sqlite store', () => {
  it('applies migrations once and is idempotent across reopen, keeping data', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const s1 = openSqliteStore(dir);
    expect(s1.migrated).toEqual(MIGRATIONS.map((m) => m.version));
    expect(s1.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s1.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(s1.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    await s1.createUser(
      { id: 'u1', username: 'zed', displayName: 'Zed', pwHash: 'x', createdAt: 1 },
      { id: 'd1', userId: 'u1', name: 'n', signPub: b64u(), dhPub: b64u(), tokenHash: 'h1', createdAt: 1 }
    );
    await s1.close();

    const s2 = openSqliteStore(dir);
    expect(s2.migrated).toEqual([]);
    expect((await s2.getUserByName('ZED'))?.id).toBe('u1');
    const rows = s2.db.prepare('SELECT version FROM migrations ORDER BY version').all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    await s2.close();
  });

  it('rolls back a failing migration entirely', () => {
    const dir = tempDir();
    dirs.push(dir);
    const db = new Database(join(dir, 'x.db'));
    migrate(db);
    const broken = [...MIGRATIONS, { version: 99, name: 'broken', sql: 'CREATE TABLE t99 (a INTEGER); SELECT * FROM no_such_table;' }];
    expect(() => migrate(db, broken)).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 't99'").get()).toBeUndefined();
    expect(db.prepare('SELECT max(version) AS v FROM migrations').get()).toEqual({ v: MIGRATIONS.at(-1)!.version });
    db.close();
  });

  it('reports a duplicate username as a UniqueViolation and creates nothing', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const s = openSqliteStore(dir);
    const dev = (id: string, th: string) => ({ id, userId: id === 'd1' ? 'u1' : 'u2', name: 'n', signPub: 'a', dhPub: 'b', tokenHash: th, createdAt: 1 });
    await s.createUser({ id: 'u1', username: 'same', displayName: 's', pwHash: 'x', createdAt: 1 }, dev('d1', 'h1'));
    await expect(s.createUser({ id: 'u2', username: 'same', displayName: 's', pwHash: 'x', createdAt: 1 }, dev('d2', 'h2'))).rejects.toThrow('username taken');
    expect(await s.getDevice('d2')).toBeNull();
    await s.close();
  });
});

describe('background WAL checkpoints', () => {
  it('checkpoint on a worker thread: the main connection never does, and the WAL is folded in', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const s = openSqliteStore(dir);
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const dev = { id: 'd1', userId: 'u1', name: 'n', signPub: b64u(), dhPub: b64u(), tokenHash: 'h1', createdAt: 1 };
    await s.createUser({ id: 'u1', username: 'zed', displayName: 'Zed', pwHash: 'x', createdAt: 1 }, dev);
    const body = randomBytes(1100);
    await Promise.all(
      Array.from({ length: 300 }, () =>
        s.putEnvelope({ id: uuid(), toDeviceId: 'd1', fromDeviceId: 'd1', fromUserId: 'u1', body, createdAt: 1, expiresAt: 2e12, requestId: null })
      )
    );
    // The worker's periodic checkpoint catches up with everything written.
    await expect
      .poll(async () => {
        const r = await s.checkpoint();
        return r.log > 0 && r.checkpointed === r.log;
      })
      .toBe(true);
    // What was checkpointed is in the main file: a fresh reader without the WAL sees it.
    await s.close();
    expect(existsSync(join(dir, 'cinder.db-wal'))).toBe(false);
    const ro = new Database(join(dir, 'cinder.db'), { readonly: true });
    expect(ro.prepare('SELECT count(*) AS n FROM envelopes').get()).toEqual({ n: 300 });
    ro.close();
  });

  it('reports a checkpointer that cannot run (the store then checkpoints automatically)', async () => {
    const { startCheckpointer } = await import('../../../src/lib/server/store/checkpointer');
    const dir = tempDir();
    dirs.push(dir);
    const failed = new Promise<Error>((resolve) => startCheckpointer({ file: join(dir, 'missing', 'x.db'), onFailure: resolve }));
    expect((await failed).message).toMatch(/exited|unable to open|directory/i);
  });
});
