/**
 * The PostgreSQL backend (node-postgres), selected with DATABASE_URL. Same `Store` contract as the
 * SQLite backend, safe for several relay processes sharing one database:
 *
 * - Every multi-row change runs in one transaction (READ COMMITTED) that locks what it orders on:
 *   the chat row (`INSERT ... ON CONFLICT DO UPDATE` / `SELECT ... FOR UPDATE`) for message seqs and
 *   read marks, the request row for secret-request claims, a per-owner advisory lock for blob quotas.
 * - Update-log cursors and envelope seqs come from global BIGSERIALs, which commit out of order across
 *   transactions. Readers page with `cursor > after` / `seq > after`, so a row that becomes visible
 *   after a higher one would be skipped for good. Appends therefore take a transaction-scoped advisory
 *   lock per user (update log) or per recipient device (envelopes) *before* drawing the number: per
 *   user/device, numbers are drawn and committed in the same order.
 * - Lock order is always chat row → user locks (sorted by id) → device lock; the rare deadlock or a
 *   unique-key race between two nodes is retried (whole transaction) a few times.
 * - Plain envelopes posted while a write is in flight are group-committed: one round trip takes their
 *   devices' locks in sorted order, inserts them all and reads each one's `prev` (one WAL flush for the
 *   burst; see ./envelopes.ts).
 *
 * One pool, opened here; each area of the contract (../types.ts) is one module of this folder
 * (shared helpers and the transaction runner in ./db.ts), composed into a single object.
 */
import pg from 'pg';
import type { Migration, Store } from '../types';
import { pgAccount } from './account';
import { pgBlobs } from './blobs';
import { pgCloud } from './cloud';
import { pgCloudMedia } from './cloud-media';
import { pgPhotos } from './photos';
import { pgPins } from './pins';
import { pgScheduled } from './scheduled';
import { pgBlocks } from './blocks';
import { LOCK, migratePostgres, quoteIdent, transactions, type Pg } from './db';
import { pgDevices } from './devices';
import { pgEnvelopes } from './envelopes';
import { pgLogin } from './login';
import { pgMailboxes } from './mailboxes';
import { pgPush } from './push';
import { pgUsers } from './users';

export { migratePostgres, quoteIdent } from './db';

export interface PostgresStore extends Store {
  readonly pool: pg.Pool;
  /** Versions applied when this store was opened. */
  readonly migrated: number[];
  /** The schema the store lives in (null: the server's default search_path). */
  readonly schema: string | null;
  /** Round trip to the database (health checks). */
  ping(): Promise<void>;
}

export interface PostgresOptions {
  /** Use (and create if missing) this schema instead of the default search_path; tests use one per run. */
  schema?: string;
  /** Pool size per process (default 20). */
  max?: number;
  migrations?: readonly Migration[];
  /** Errors of idle pooled connections (e.g. the server restarted); they are replaced automatically. */
  onError?: (err: Error) => void;
}

/** BIGINT (int8) and NUMERIC as JS numbers: every stored value is far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format);
  }) as unknown as typeof pg.types.getTypeParser
};

export async function openPostgresStore(url: string, opts: PostgresOptions = {}): Promise<PostgresStore> {
  const schema = opts.schema ?? null;
  if (schema !== null) {
    // Create the schema with a short-lived connection before the pool pins search_path to it.
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    try {
      // Concurrent CREATE SCHEMA IF NOT EXISTS can still collide; serialize it like the migrations.
      await setup.query('BEGIN');
      await setup.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.migrate, schema]);
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await setup.query('COMMIT');
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 20,
    types,
    ...(schema !== null ? { options: `-c search_path=${quoteIdent(schema)}` } : {})
  });
  pool.on('error', (err) => opts.onError?.(err));
  let migrated: number[];
  try {
    migrated = await migratePostgres(pool, opts.migrations);
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }

  const kit: Pg = { pool, tx: transactions(pool) };
  let closed = false;

  const store: PostgresStore = {
    pool,
    migrated,
    schema,

    async ping() {
      await pool.query('SELECT 1');
    },

    ...pgUsers(kit),
    ...pgPhotos(kit),
    ...pgDevices(kit),
    ...pgCloud(kit),
    ...pgPins(kit),
    ...pgScheduled(kit),
    ...pgBlocks(kit),
    ...pgEnvelopes(kit),
    ...pgBlobs(kit),
    ...pgMailboxes(kit),
    ...pgPush(kit),
    ...pgCloudMedia(kit),
    ...pgLogin(kit),
    ...pgAccount(kit),

    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    }
  };
  return store;
}

/** Drops a schema created for a test run (CASCADE). */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await c.end();
  }
}
