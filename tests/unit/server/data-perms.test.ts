/** DATA_DIR and what is in it are private to the relay's user (0700 / 0600), on both backends. */
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_FILE } from '../../../src/lib/server/config';
import { VAPID_FILE } from '../../../src/lib/server/push';
import { DB_FILE } from '../../../src/lib/server/store/sqlite';
import { BACKENDS, startOn } from './backends';
import { call, signup, startServer, tempDir } from './helpers';

const mode = (p: string) => statSync(p).mode & 0o777;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** What an older relay (or a 022 umask, or a restored backup) could have left behind. */
function loosen(dataDir: string, files: string[]) {
  chmodSync(dataDir, 0o755);
  for (const f of files) chmodSync(join(dataDir, f), 0o644);
  for (const d of ['blobs', 'media']) chmodSync(join(dataDir, d), 0o755);
}

describe('data directory permissions', () => {
  it('sqlite: a loose DATA_DIR, database (-wal, -shm), keys and blob dirs are tightened at start', async () => {
    const old = process.umask(0o022); // the usual default, so nothing is private by accident
    try {
      const dataDir = tempDir();
      dirs.push(dataDir);
      const first = await startServer({ dataDir });
      await signup(first);
      // While open: the WAL files SQLite created follow the database file's mode.
      for (const f of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`]) expect({ f, mode: mode(join(dataDir, f)) }).toEqual({ f, mode: 0o600 });
      await first.close();

      writeFileSync(join(dataDir, `${DB_FILE}-wal`), '', { flag: 'a' });
      writeFileSync(join(dataDir, `${DB_FILE}-shm`), '', { flag: 'a' });
      loosen(dataDir, [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, KEY_FILE, VAPID_FILE]);
      const second = await startServer({ dataDir });
      try {
        expect(mode(dataDir)).toBe(0o700);
        for (const f of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, KEY_FILE, VAPID_FILE]) {
          expect({ f, mode: mode(join(dataDir, f)) }).toEqual({ f, mode: 0o600 });
        }
        for (const d of ['blobs', 'media']) expect({ d, mode: mode(join(dataDir, d)) }).toEqual({ d, mode: 0o700 });
        expect((await call(second, 'GET', '/healthz')).status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      process.umask(old);
    }
  });

  it('a DATA_DIR created by the relay is 0700 and a fresh database 0600, whatever the umask', async () => {
    const old = process.umask(0o022);
    try {
      const parent = tempDir();
      dirs.push(parent);
      const dataDir = join(parent, 'data');
      const ts = await startServer({ dataDir: (mkdirSync(dataDir, { mode: 0o755 }), dataDir) });
      try {
        expect(mode(dataDir)).toBe(0o700);
        expect(mode(join(dataDir, DB_FILE))).toBe(0o600);
      } finally {
        await ts.close();
      }
    } finally {
      process.umask(old);
    }
  });

  const pg = BACKENDS.find((b) => b.name === 'postgres')!;
  it.skipIf(pg.skip)('postgres: DATA_DIR, the at-rest key, vapid.json and the blob dirs are tightened too', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const first = await startOn('postgres', { DATA_DIR: dataDir });
    await first.close();
    loosen(dataDir, [KEY_FILE, VAPID_FILE]);
    const second = await startOn('postgres', { DATA_DIR: dataDir });
    try {
      expect(mode(dataDir)).toBe(0o700);
      for (const f of [KEY_FILE, VAPID_FILE]) expect({ f, mode: mode(join(dataDir, f)) }).toEqual({ f, mode: 0o600 });
      for (const d of ['blobs', 'media']) expect({ d, mode: mode(join(dataDir, d)) }).toEqual({ d, mode: 0o700 });
    } finally {
      await second.close();
    }
  });
});
