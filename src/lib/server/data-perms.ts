/**
 * DATA_DIR holds the database, the at-rest key and the VAPID private key: readable by the relay's
 * user only. New files are created 0600 / 0700 already; this also tightens what an older version (or
 * a default umask, or a copied backup) left group- or world-readable.
 */
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files and directories in DATA_DIR that hold secrets or user data (those that exist are tightened). */
export const PRIVATE_FILES = ['cinder.db', 'cinder.db-wal', 'cinder.db-shm', 'at-rest.key', 'vapid.json'] as const;
export const PRIVATE_DIRS = ['blobs', 'media'] as const;

/** chmod to `mode` if group/other have any access; a problem is returned, not thrown (not our file, read-only fs). */
export function restrict(path: string, mode: 0o600 | 0o700): string | null {
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, mode);
    return null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return `cannot restrict ${path} to ${mode.toString(8)}: ${(e as Error).message}`;
  }
}

/** DATA_DIR 0700, its known files 0600 and its blob directories 0700. Returns the problems met. */
export function restrictDataDir(dataDir: string): string[] {
  const problems = [
    restrict(dataDir, 0o700),
    ...PRIVATE_FILES.map((f) => restrict(join(dataDir, f), 0o600)),
    ...PRIVATE_DIRS.map((d) => restrict(join(dataDir, d), 0o700))
  ];
  return problems.filter((p): p is string => p !== null);
}

/**
 * Makes sure a SQLite database file exists with mode 0600 before SQLite opens it: SQLite creates the
 * -wal and -shm files with the database file's mode, so they follow.
 */
export function prepareDbFile(path: string): string[] {
  try {
    closeSync(openSync(path, 'a', 0o600));
  } catch {
    // SQLite will report it when opening.
  }
  return [path, `${path}-wal`, `${path}-shm`].map((p) => restrict(p, 0o600)).filter((p): p is string => p !== null);
}
