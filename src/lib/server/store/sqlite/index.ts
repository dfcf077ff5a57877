/**
 * The SQLite backend (better-sqlite3) in DATA_DIR/cinder.db. better-sqlite3 is synchronous, which makes
 * each transaction trivially atomic within this process; the async wrappers only satisfy `Store`.
 * One handle, opened here; each area of the contract (../types.ts) is one module of this folder,
 * composed into a single object.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { prepareDbFile } from '../../data-perms';
import { startCheckpointer, type Checkpointer } from '../checkpointer';
import type { Store } from '../types';
import { sqliteAccount } from './account';
import { sqliteBlobs } from './blobs';
import { sqliteBlocks } from './blocks';
import { sqliteCloud } from './cloud';
import { sqliteCloudMedia } from './cloud-media';
import { migrate, updateLog } from './db';
import { sqliteDevices } from './devices';
import { sqliteEnvelopes } from './envelopes';
import { sqliteLogin } from './login';
import { sqliteMailboxes } from './mailboxes';
import { sqlitePhotos } from './photos';
import { sqlitePush } from './push';
import { sqlitePins } from './pins';
import { sqliteScheduled } from './scheduled';
import { sqliteUsers } from './users';

export { migrate } from './db';

export const DB_FILE = 'cinder.db';

export interface SqliteStore extends Store {
  /** The raw handle, for tests and maintenance. */
  readonly db: Database.Database;
  /** Versions applied when this store was opened. */
  readonly migrated: number[];
  /** Runs a WAL checkpoint now (on the background thread when there is one); frames copied. */
  checkpoint(): Promise<{ log: number; checkpointed: number }>;
}

export interface SqliteOptions {
  /** File name inside dataDir. */
  file?: string;
  /**
   * WAL checkpoints on a worker thread (default true): see ../checkpointer.ts. False keeps SQLite's
   * automatic checkpoints on the calling thread.
   */
  backgroundCheckpoint?: boolean;
  /** Called if the background checkpointer fails (the store then checkpoints automatically again). */
  onCheckpointError?: (err: Error) => void;
}

export function openSqliteStore(dataDir: string, opts: SqliteOptions = {}): SqliteStore {
  const path = join(dataDir, opts.file ?? DB_FILE);
  // 0600 before opening, so the -wal and -shm files SQLite creates next to it are 0600 too.
  prepareDbFile(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Overwrite freed pages with zeros so deleted (sealed) bodies don't linger in free pages.
  db.pragma('secure_delete = ON');
  const migrated = migrate(db);
  let closed = false;
  let checkpointer: Checkpointer | null = null;
  if (opts.backgroundCheckpoint ?? true) {
    db.pragma('wal_autocheckpoint = 0');
    // Keep the WAL file from staying large after a burst (it is reused from the start after each checkpoint).
    db.pragma('journal_size_limit = 67108864');
    checkpointer = startCheckpointer({
      file: path,
      onFailure: (err) => {
        checkpointer = null;
        if (!closed) db.pragma('wal_autocheckpoint = 1000');
        opts.onCheckpointError?.(err);
      }
    });
  }

  const appendUpdates = updateLog(db);

  return {
    db,
    migrated,
    ...sqliteUsers(db),
    ...sqlitePhotos(db, appendUpdates),
    ...sqliteDevices(db),
    ...sqliteCloud(db, appendUpdates),
    ...sqlitePins(db, appendUpdates),
    ...sqliteScheduled(db, appendUpdates),
    ...sqliteBlocks(db),
    ...sqliteEnvelopes(db),
    ...sqliteBlobs(db),
    ...sqliteMailboxes(db),
    ...sqlitePush(db),
    ...sqliteCloudMedia(db, appendUpdates),
    ...sqliteLogin(db),
    ...sqliteAccount(db, appendUpdates),

    async checkpoint() {
      if (checkpointer) return checkpointer.checkpoint();
      const r = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
      return { log: r[0].log, checkpointed: r[0].checkpointed };
    },
    async close() {
      if (closed) return;
      closed = true;
      await checkpointer?.stop();
      db.close();
    }
  };
}
