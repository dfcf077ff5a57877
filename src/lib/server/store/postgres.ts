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
 * - Plain envelopes posted while a write is in flight are group-committed: one statement takes their
 *   devices' locks in sorted order, then inserts them all (one WAL flush for the burst).
 */
import pg from 'pg';
import type { Migration } from './migrations';
import { PG_MIGRATIONS } from './pg-migrations';
import {
  UniqueViolation,
  type AppendedUpdate,
  type BlobRow,
  type ChatRow,
  type ChatSummaryRow,
  type ClaimResult,
  type CloudMediaRow,
  type DueMediaRow,
  type DeviceRow,
  type EnvelopeRow,
  type LoginAttempt,
  type MessageRow,
  type NewDevice,
  type NewEnvelope,
  type PushSubscriptionRow,
  type PutEnvelopeResult,
  type SecretRequestRow,
  type SendMessageResult,
  type Store,
  type UpdateKind,
  type UpdateRow,
  type UserRow,
  type WakeupRow
} from './types';

type Row = Record<string, unknown>;
type Db = pg.Pool | pg.PoolClient;

/** Advisory-lock namespaces (first key of the two-int form). */
const LOCK = { user: 1, device: 2, blobOwner: 3, migrate: 4, wakeups: 5, deviceCap: 6, mediaOwner: 7 } as const;

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

const toUser = (r: Row): UserRow => ({
  id: r.id as string,
  username: r.username as string,
  displayName: r.display_name as string,
  pwHash: r.pw_hash as string,
  createdAt: num(r.created_at)
});

const toDevice = (r: Row, p = ''): DeviceRow => ({
  id: r[p + 'id'] as string,
  userId: r[p + 'user_id'] as string,
  name: r[p + 'name'] as string,
  signPub: r[p + 'sign_pub'] as string,
  dhPub: r[p + 'dh_pub'] as string,
  createdAt: num(r[p + 'created_at']),
  lastSeenAt: num(r[p + 'last_seen_at']),
  revokedAt: r[p + 'revoked_at'] == null ? null : num(r[p + 'revoked_at'])
});

const toChat = (r: Row, p = ''): ChatRow => ({
  id: num(r[p + 'id']),
  userA: r[p + 'user_a'] as string,
  userB: r[p + 'user_b'] as string,
  nextSeq: num(r[p + 'next_seq'])
});

const toMessage = (r: Row, p = ''): MessageRow => ({
  chatId: num(r[p + 'chat_id']),
  seq: num(r[p + 'seq']),
  id: r[p + 'id'] as string,
  senderId: r[p + 'sender_id'] as string,
  senderDeviceId: r[p + 'sender_device_id'] as string,
  body: r[p + 'body'] as Buffer,
  createdAt: num(r[p + 'created_at']),
  deleted: r[p + 'deleted'] === true
});

const toEnvelope = (r: Row): EnvelopeRow => ({
  seq: num(r.seq),
  id: r.id as string,
  toDeviceId: r.to_device_id as string,
  fromDeviceId: r.from_device_id as string,
  fromUserId: r.from_user_id as string,
  body: r.body as Buffer,
  createdAt: num(r.created_at),
  expiresAt: num(r.expires_at),
  requestId: (r.request_id as string | null) ?? null
});

const toSecretRequest = (r: Row): SecretRequestRow => ({
  id: r.id as string,
  fromDeviceId: r.from_device_id as string,
  toUserId: r.to_user_id as string,
  claimedByDeviceId: (r.claimed_by_device_id as string | null) ?? null,
  withdrawn: r.withdrawn === true,
  createdAt: num(r.created_at),
  expiresAt: num(r.expires_at)
});

const toBlob = (r: Row): BlobRow => ({
  id: r.id as string,
  ownerDeviceId: r.owner_device_id as string,
  ownerUserId: r.owner_user_id as string,
  toDeviceId: r.to_device_id as string,
  size: num(r.size),
  createdAt: num(r.created_at),
  expiresAt: num(r.expires_at)
});

const toPushSub = (r: Row): PushSubscriptionRow => ({
  deviceId: r.device_id as string,
  endpoint: r.endpoint as string,
  p256dh: r.p256dh as string,
  auth: r.auth as string,
  createdAt: num(r.created_at)
});

const toCloudMedia = (r: Row): CloudMediaRow => ({
  id: r.id as string,
  ownerUserId: r.owner_user_id as string,
  ownerDeviceId: r.owner_device_id as string,
  toUserId: r.to_user_id as string,
  meta: r.meta as Buffer,
  size: num(r.size),
  createdAt: num(r.created_at),
  messageId: (r.message_id as string | null) ?? null,
  ttl: num(r.ttl),
  openedAt: r.opened_at == null ? null : num(r.opened_at),
  deadline: r.deadline == null ? null : num(r.deadline)
});

const toDueMedia = (r: Row): DueMediaRow => ({
  id: r.id as string,
  messageId: (r.message_id as string | null) ?? null,
  deadline: num(r.deadline)
});

const toWakeup = (r: Row): WakeupRow => ({ id: num(r.id), deviceId: r.device_id as string, at: num(r.at) });

const pair = (x: string, y: string): [string, string] => (x <= y ? [x, y] : [y, x]);
const members = (c: ChatRow): string[] => (c.userA === c.userB ? [c.userA] : [c.userA, c.userB]);

const MESSAGE_COLS = (p: string, a: string) =>
  ['chat_id', 'seq', 'id', 'sender_id', 'sender_device_id', 'body', 'created_at', 'deleted']
    .map((c) => `${a}.${c} AS ${p}${c}`)
    .join(', ');

const UPDATE_SELECT = `
  SELECT u.cursor AS u_cursor, u.kind AS u_kind, u.data AS u_data,
         c.id AS c_id, c.user_a AS c_user_a, c.user_b AS c_user_b, c.next_seq AS c_next_seq,
         ${MESSAGE_COLS('m_', 'm')}
  FROM user_updates u
  JOIN cloud_chats c ON c.id = u.chat_id
  LEFT JOIN cloud_messages m ON u.kind = 'message' AND m.id = u.data`;

const toUpdate = (r: Row): UpdateRow => ({
  cursor: num(r.u_cursor),
  kind: r.u_kind as UpdateKind,
  data: r.u_data as string,
  chat: toChat(r, 'c_'),
  message: r.m_id == null ? null : toMessage(r, 'm_')
});

const pgCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;
const isUnique = (e: unknown) => pgCode(e) === '23505';
/** Serialization failure or deadlock: the whole transaction may simply be run again. */
const isTransient = (e: unknown) => pgCode(e) === '40001' || pgCode(e) === '40P01';

/** Quotes an identifier for SQL. */
export const quoteIdent = (name: string) => '"' + name.replace(/"/g, '""') + '"';

/** Applies pending migrations in one transaction under an advisory lock. Returns the versions applied now. */
export async function migratePostgres(db: pg.Pool, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<number[]> {
  const c = await db.connect();
  try {
    await c.query('BEGIN');
    // Held until COMMIT: a node starting concurrently waits here, then finds nothing left to do.
    await c.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [LOCK.migrate]);
    await c.query(`CREATE TABLE IF NOT EXISTS migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const { rows } = await c.query('SELECT coalesce(max(version), 0) AS v FROM migrations');
    const current = num(rows[0]?.v);
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      applied.push(m.version);
    }
    await c.query('COMMIT');
    return applied;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

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

  const one = async (db: Db, sql: string, args: unknown[] = []): Promise<Row | undefined> =>
    (await db.query(sql, args)).rows[0] as Row | undefined;
  const all = async (db: Db, sql: string, args: unknown[] = []): Promise<Row[]> => (await db.query(sql, args)).rows as Row[];

  /** Runs `fn` in a transaction; retries deadlocks (and, with retryUnique, unique-key races). */
  async function tx<T>(fn: (c: pg.PoolClient) => Promise<T>, retryUnique = false): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const c = await pool.connect();
      let broken = false;
      try {
        await c.query('BEGIN');
        const r = await fn(c);
        await c.query('COMMIT');
        return r;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => (broken = true));
        if (attempt < 4 && (isTransient(e) || (retryUnique && isUnique(e)))) continue;
        throw e;
      } finally {
        c.release(broken);
      }
    }
  }

  /** Revokes one live device of the user with its envelopes, push subscription and wake-ups. */
  const revokeOne = async (c: pg.PoolClient, userId: string, deviceId: string, at: number): Promise<boolean> => {
    const r = await c.query('UPDATE devices SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL', [at, deviceId, userId]);
    if (r.rowCount === 0) return false;
    await c.query('DELETE FROM envelopes WHERE to_device_id = $1', [deviceId]);
    await c.query('DELETE FROM push_subscriptions WHERE device_id = $1', [deviceId]);
    await c.query('DELETE FROM wakeups WHERE device_id = $1', [deviceId]);
    return true;
  };

  const revokeOthers = async (c: pg.PoolClient, userId: string, keepDeviceId: string, at: number): Promise<string[]> => {
    const rows = await all(c, 'SELECT id FROM devices WHERE user_id = $1 AND revoked_at IS NULL AND id <> $2 ORDER BY created_at, id FOR UPDATE', [
      userId,
      keepDeviceId
    ]);
    const out: string[] = [];
    for (const r of rows) if (await revokeOne(c, userId, r.id as string, at)) out.push(r.id as string);
    return out;
  };

  /** Takes the update-log locks of the members (sorted) and appends one row each. */
  const appendUpdates = async (c: pg.PoolClient, chat: ChatRow, kind: UpdateKind, data: string): Promise<AppendedUpdate[]> => {
    const users = members(chat);
    await c.query(
      users.length === 1
        ? 'SELECT pg_advisory_xact_lock($1, hashtext($2))'
        : 'SELECT pg_advisory_xact_lock($1, hashtext($2)), pg_advisory_xact_lock($1, hashtext($3))',
      [LOCK.user, ...users]
    );
    const out: AppendedUpdate[] = [];
    for (const userId of users) {
      // The user's advisory lock is held: the previous row is committed and nothing else is appended meanwhile.
      const r = await one(
        c,
        `WITH p AS (SELECT coalesce(max(cursor), 0) AS prev FROM user_updates WHERE user_id = $1)
         INSERT INTO user_updates (user_id, kind, chat_id, data) VALUES ($1, $2, $3, $4) RETURNING cursor, (SELECT prev FROM p)`,
        [userId, kind, chat.id, data]
      );
      out.push({ userId, cursor: num(r!.cursor), prev: num(r!.prev) });
    }
    return out;
  };

  const lockedChat = async (c: pg.PoolClient, chatId: number): Promise<ChatRow> => {
    const r = await one(c, 'SELECT * FROM cloud_chats WHERE id = $1 FOR UPDATE', [chatId]);
    if (!r) throw new Error(`no chat ${chatId}`);
    return toChat(r);
  };

  const readSeq = async (db: Db, chatId: number, userId: string) =>
    num((await one(db, 'SELECT read_seq FROM chat_reads WHERE chat_id = $1 AND user_id = $2', [chatId, userId]))?.read_seq);

  const INSERT_DEVICE = `INSERT INTO devices (id, user_id, name, sign_pub, dh_pub, token_hash, created_at, last_seen_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`;
  const deviceArgs = (d: NewDevice) => [d.id, d.userId, d.name, d.signPub, d.dhPub, d.tokenHash, d.createdAt];

  const INSERT_ENVELOPE = `INSERT INTO envelopes (id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, request_id)`;

  const existingEnvelope = async (db: Db, toDeviceId: string, id: string) => {
    const r = await one(db, 'SELECT * FROM envelopes WHERE to_device_id = $1 AND id = $2', [toDeviceId, id]);
    return r ? toEnvelope(r) : null;
  };

  /** The answer for an envelope whose (recipient, id) is already stored: the same one again, or a conflict. */
  const envelopeArgs = (e: NewEnvelope) => [e.id, e.toDeviceId, e.fromDeviceId, e.fromUserId, e.body, e.createdAt, e.expiresAt];
  const envelopeKey = (toDeviceId: unknown, id: unknown) => `${toDeviceId}\u0000${id}`;

  const sameAsExisting = (e: NewEnvelope, env: EnvelopeRow): PutEnvelopeResult =>
    env.fromDeviceId === e.fromDeviceId && env.requestId === e.requestId ? { ok: true, created: false, envelope: env } : { ok: false, reason: 'id_conflict' };

  /** One plain envelope in one statement (its own transaction): device lock, then the seq. */
  const putPlainEnvelope = async (e: NewEnvelope): Promise<PutEnvelopeResult> => {
    const args = envelopeArgs(e);
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await one(
        pool,
        `WITH l AS (SELECT pg_advisory_xact_lock(${LOCK.device}, hashtext($2)))
         ${INSERT_ENVELOPE} SELECT $1::text, $2::text, $3::text, $4::text, $5::bytea, $6::bigint, $7::bigint, NULL FROM l
         ON CONFLICT (to_device_id, id) DO NOTHING RETURNING seq`,
        args
      );
      if (r) return { ok: true, created: true, envelope: { ...e, seq: num(r.seq) } };
      const existing = await existingEnvelope(pool, e.toDeviceId, e.id);
      if (existing) return sameAsExisting(e, existing);
      // Acked between the two statements: insert again.
    }
    throw new Error('putEnvelope: could not settle a concurrent insert');
  };

  /**
   * Group commit for plain envelopes: those posted while a batch is being written go out together in
   * ONE transaction (one WAL flush instead of one per envelope). The recipients' device locks are
   * taken in one sorted order before any seq is drawn, so seqs still commit in order per device and
   * two nodes' batches cannot deadlock. Every caller is answered only after the commit. An envelope
   * the batch skipped (its id was taken) is settled on its own afterwards; if the batch fails as a
   * whole, each envelope is retried on its own, so one bad envelope fails alone.
   */
  type PlainPending = { e: NewEnvelope; resolve: (r: PutEnvelopeResult) => void; reject: (err: unknown) => void };
  const PLAIN_BATCH_MAX = 256;
  let plainQueue: PlainPending[] = [];
  let plainWriting = false;

  /** One statement, so one round trip and its own transaction: the locks (sorted) come before any seq is drawn. */
  const insertPlainBatch = async (items: PlainPending[]): Promise<Map<string, number>> => {
    const col = <T>(f: (e: NewEnvelope) => T) => items.map((it) => f(it.e));
    const params = [
      col((e) => e.id),
      col((e) => e.toDeviceId),
      col((e) => e.fromDeviceId),
      col((e) => e.fromUserId),
      col((e) => e.body),
      col((e) => e.createdAt),
      col((e) => e.expiresAt)
    ];
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await pool.query(
          `WITH l AS (
             SELECT count(pg_advisory_xact_lock(${LOCK.device}, h)) AS n
             FROM (SELECT DISTINCT hashtext(d) AS h FROM unnest($2::text[]) AS d ORDER BY 1) s
           )
           ${INSERT_ENVELOPE}
           SELECT t.id, t.to_device_id, t.from_device_id, t.from_user_id, t.body, t.created_at, t.expires_at, NULL
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::bigint[], $7::bigint[])
             WITH ORDINALITY AS t(id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, ord), l
           ORDER BY t.ord
           ON CONFLICT (to_device_id, id) DO NOTHING RETURNING id, to_device_id, seq`,
          params
        );
        return new Map((r.rows as Row[]).map((row) => [envelopeKey(row.to_device_id, row.id), num(row.seq)]));
      } catch (e) {
        if (attempt < 4 && isTransient(e)) continue;
        throw e;
      }
    }
  };

  async function writePlainBatches(): Promise<void> {
    plainWriting = true;
    try {
      while (plainQueue.length) {
        const items = plainQueue.slice(0, PLAIN_BATCH_MAX);
        plainQueue = plainQueue.slice(items.length);
        let seqs: Map<string, number> | null = null;
        // A lone envelope takes the simpler statement.
        if (items.length > 1) {
          try {
            seqs = await insertPlainBatch(items);
          } catch {
            seqs = null; // settled one by one below, each with its own error
          }
        }
        const settle = async (it: PlainPending) => {
          const key = envelopeKey(it.e.toDeviceId, it.e.id);
          const seq = seqs?.get(key);
          try {
            // Of two same-id envelopes in one batch the first was inserted; the other is settled alone.
            if (seq !== undefined) {
              seqs!.delete(key);
              it.resolve({ ok: true, created: true, envelope: { ...it.e, seq } });
            } else it.resolve(await putPlainEnvelope(it.e));
          } catch (err) {
            it.reject(err);
          }
        };
        // Without a batch result, one at a time in arrival order (as a lone node would have taken them).
        if (seqs) await Promise.all(items.map(settle));
        else for (const it of items) await settle(it);
      }
    } finally {
      plainWriting = false;
    }
  }

  let closed = false;

  const store: PostgresStore = {
    pool,
    migrated,
    schema,

    async ping() {
      await pool.query('SELECT 1');
    },

    // ---- users ----
    async createUser(user, device) {
      try {
        await tx(async (c) => {
          await c.query('INSERT INTO users (id, username, display_name, pw_hash, created_at) VALUES ($1, $2, $3, $4, $5)', [
            user.id,
            user.username,
            user.displayName,
            user.pwHash,
            user.createdAt
          ]);
          await c.query(INSERT_DEVICE, deviceArgs(device));
        });
      } catch (e) {
        if (isUnique(e)) throw new UniqueViolation('username taken');
        throw e;
      }
    },
    async getUser(id) {
      const r = await one(pool, 'SELECT * FROM users WHERE id = $1', [id]);
      return r ? toUser(r) : null;
    },
    async getUserByName(username) {
      const r = await one(pool, 'SELECT * FROM users WHERE username = $1', [username.toLowerCase()]);
      return r ? toUser(r) : null;
    },
    async searchUsers(prefix, limit) {
      const pattern = prefix.toLowerCase().replace(/[\\%_]/g, (ch) => '\\' + ch) + '%';
      return (await all(pool, "SELECT * FROM users WHERE username LIKE $1 ESCAPE '\\' ORDER BY username LIMIT $2", [pattern, limit])).map(
        toUser
      );
    },
    async setDisplayName(userId, displayName) {
      await pool.query('UPDATE users SET display_name = $1 WHERE id = $2', [displayName, userId]);
    },

    // ---- devices ----
    async createDevice(device, maxLive) {
      if (maxLive === undefined) {
        await pool.query(INSERT_DEVICE, deviceArgs(device));
        return true;
      }
      return tx(async (c) => {
        // Serializes logins of one user so two nodes can't both take the last slot.
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.deviceCap, device.userId]);
        const live = num((await one(c, 'SELECT count(*) AS n FROM devices WHERE user_id = $1 AND revoked_at IS NULL', [device.userId]))?.n);
        if (live >= maxLive) return false;
        await c.query(INSERT_DEVICE, deviceArgs(device));
        return true;
      });
    },
    async getDevice(id) {
      const r = await one(pool, 'SELECT * FROM devices WHERE id = $1', [id]);
      return r ? toDevice(r) : null;
    },
    async getSession(tokenHash) {
      const r = await one(
        pool,
        `SELECT u.*, d.id AS d_id, d.user_id AS d_user_id, d.name AS d_name, d.sign_pub AS d_sign_pub,
                d.dh_pub AS d_dh_pub, d.created_at AS d_created_at, d.last_seen_at AS d_last_seen_at,
                d.revoked_at AS d_revoked_at
         FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = $1`,
        [tokenHash]
      );
      return r ? { user: toUser(r), device: toDevice(r, 'd_') } : null;
    },
    async listDevices(userId) {
      return (await all(pool, 'SELECT * FROM devices WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, id', [userId])).map((r) =>
        toDevice(r)
      );
    },
    async revokeDevice(userId, deviceId, at) {
      return tx((c) => revokeOne(c, userId, deviceId, at));
    },
    async revokeOtherDevices(userId, keepDeviceId, at) {
      return tx((c) => revokeOthers(c, userId, keepDeviceId, at));
    },
    async changePassword(userId, oldHash, newHash, keepDeviceId, at) {
      return tx(async (c) => {
        const live = await c.query('SELECT 1 FROM devices WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [keepDeviceId, userId]);
        if (live.rowCount === 0) return null;
        const r = await c.query('UPDATE users SET pw_hash = $1 WHERE id = $2 AND pw_hash = $3', [newHash, userId, oldHash]);
        if (r.rowCount === 0) return null;
        await c.query('DELETE FROM known_devices WHERE user_id = $1', [userId]);
        return revokeOthers(c, userId, keepDeviceId, at);
      });
    },
    async touchDevice(deviceId, at) {
      await pool.query('UPDATE devices SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1', [at, deviceId]);
    },

    // ---- cloud chats ----
    async getChat(x, y) {
      const r = await one(pool, 'SELECT * FROM cloud_chats WHERE user_a = $1 AND user_b = $2', pair(x, y));
      return r ? toChat(r) : null;
    },
    async sendMessage(input) {
      const [a, b] = pair(input.senderId, input.recipientId);
      return tx<SendMessageResult>(async (c) => {
        const ex = await one(
          c,
          `SELECT m.*, c.user_a AS c_user_a, c.user_b AS c_user_b, c.next_seq AS c_next_seq, c.id AS c_id
           FROM cloud_messages m JOIN cloud_chats c ON c.id = m.chat_id WHERE m.id = $1`,
          [input.id]
        );
        if (ex) {
          const message = toMessage(ex);
          const chat = toChat(ex, 'c_');
          if (message.senderId !== input.senderId || chat.userA !== a || chat.userB !== b) {
            return { ok: false, reason: 'id_conflict' };
          }
          return { ok: true, created: false, chat, message, updates: [] };
        }
        if (input.media) {
          // Row lock: a concurrent send attaching the same upload waits, then sees it attached.
          const media = await one(c, 'SELECT owner_user_id, to_user_id, message_id FROM cloud_media WHERE id = $1 FOR UPDATE', [
            input.media.id
          ]);
          if (!media || media.owner_user_id !== input.senderId || media.to_user_id !== input.recipientId || media.message_id !== null) {
            return { ok: false, reason: 'media_unavailable' };
          }
        }
        // Creates the chat or bumps its seq, holding the row lock until COMMIT: seqs are gap-free and
        // assigned in commit order. A concurrent send of the same id then fails on the unique key and
        // the retry finds the message above.
        const r = await one(
          c,
          `INSERT INTO cloud_chats (user_a, user_b, next_seq) VALUES ($1, $2, 2)
           ON CONFLICT (user_a, user_b) DO UPDATE SET next_seq = cloud_chats.next_seq + 1
           RETURNING *`,
          [a, b]
        );
        const chat = toChat(r!);
        const message: MessageRow = {
          chatId: chat.id,
          seq: chat.nextSeq - 1,
          id: input.id,
          senderId: input.senderId,
          senderDeviceId: input.senderDeviceId,
          body: input.body,
          createdAt: input.createdAt,
          deleted: false
        };
        await c.query(
          `INSERT INTO cloud_messages (chat_id, seq, id, sender_id, sender_device_id, body, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [message.chatId, message.seq, message.id, message.senderId, message.senderDeviceId, message.body, message.createdAt]
        );
        if (input.media) {
          await c.query('UPDATE cloud_media SET message_id = $1, ttl = $2 WHERE id = $3', [message.id, input.media.ttl, input.media.id]);
        }
        return { ok: true, created: true, chat, message, updates: await appendUpdates(c, chat, 'message', message.id) };
      }, true);
    },
    async listMessages(chatId, before, limit) {
      return (
        await all(pool, 'SELECT * FROM cloud_messages WHERE chat_id = $1 AND seq < $2 AND NOT deleted ORDER BY seq DESC LIMIT $3', [
          chatId,
          before ?? Number.MAX_SAFE_INTEGER,
          limit
        ])
      )
        .map((r) => toMessage(r))
        .reverse();
    },
    async listChats(userId) {
      const rows = await all(
        pool,
        `SELECT c.id, c.user_a, c.user_b, c.next_seq,
                coalesce(mr.read_seq, 0) AS my_read, coalesce(pr.read_seq, 0) AS peer_read,
                ${MESSAGE_COLS('m_', 'lm')},
                (SELECT count(*) FROM cloud_messages x
                  WHERE x.chat_id = c.id AND x.seq > coalesce(mr.read_seq, 0) AND x.sender_id <> $1 AND NOT x.deleted) AS unread
         FROM cloud_chats c
         LEFT JOIN chat_reads mr ON mr.chat_id = c.id AND mr.user_id = $1
         LEFT JOIN chat_reads pr ON pr.chat_id = c.id
                               AND pr.user_id = (CASE WHEN c.user_a = $1 THEN c.user_b ELSE c.user_a END)
         LEFT JOIN LATERAL (SELECT * FROM cloud_messages m WHERE m.chat_id = c.id AND NOT m.deleted
                            ORDER BY m.seq DESC LIMIT 1) lm ON TRUE
         WHERE c.user_a = $1 OR c.user_b = $1`,
        [userId]
      );
      const out: ChatSummaryRow[] = rows.map((r) => {
        const chat = toChat(r);
        return {
          chat,
          peerId: chat.userA === userId ? chat.userB : chat.userA,
          lastMessage: r.m_id == null ? null : toMessage(r, 'm_'),
          myReadSeq: num(r.my_read),
          peerReadSeq: num(r.peer_read),
          unread: num(r.unread)
        };
      });
      return out.sort(
        (x, y) => (y.lastMessage?.createdAt ?? -1) - (x.lastMessage?.createdAt ?? -1) || y.chat.id - x.chat.id
      );
    },
    async markRead(chatId, readerId, seq) {
      return tx(async (c) => {
        const chat = await lockedChat(c, chatId);
        const capped = Math.min(seq, chat.nextSeq - 1);
        if (capped <= (await readSeq(c, chatId, readerId))) return null;
        await c.query(
          `INSERT INTO chat_reads (chat_id, user_id, read_seq) VALUES ($1, $2, $3)
           ON CONFLICT (chat_id, user_id) DO UPDATE SET read_seq = excluded.read_seq`,
          [chatId, readerId, capped]
        );
        return { seq: capped, updates: await appendUpdates(c, chat, 'read', JSON.stringify({ readerId, seq: capped })) };
      });
    },
    async deleteMessages(chatId, ids) {
      const wanted = [...new Set(ids)];
      return tx(async (c) => {
        const chat = await lockedChat(c, chatId);
        const hit = new Set(
          (
            await all(
              c,
              `UPDATE cloud_messages SET deleted = TRUE, body = ''::bytea
               WHERE chat_id = $1 AND id = ANY($2::text[]) AND NOT deleted RETURNING id`,
              [chatId, wanted]
            )
          ).map((r) => r.id as string)
        );
        const done = wanted.filter((id) => hit.has(id));
        const media =
          done.length === 0
            ? []
            : (await all(c, 'DELETE FROM cloud_media WHERE message_id = ANY($1::text[]) RETURNING id', [done])).map((r) => r.id as string);
        const extra = media.length ? { media } : {};
        if (done.length === 0) return { ids: done, updates: [], ...extra };
        return { ids: done, updates: await appendUpdates(c, chat, 'delete', JSON.stringify(done)), ...extra };
      });
    },
    async listUpdates(userId, after, limit) {
      return (await all(pool, `${UPDATE_SELECT} WHERE u.user_id = $1 AND u.cursor > $2 ORDER BY u.cursor LIMIT $3`, [userId, after, limit])).map(
        toUpdate
      );
    },
    async getUpdate(cursor) {
      const r = await one(pool, `${UPDATE_SELECT} WHERE u.cursor = $1`, [cursor]);
      return r ? toUpdate(r) : null;
    },
    async latestCursor(userId) {
      return num((await one(pool, 'SELECT max(cursor) AS c FROM user_updates WHERE user_id = $1', [userId]))?.c);
    },

    // ---- envelopes ----
    async putEnvelope(e, request) {
      if (e.requestId === null) {
        return new Promise<PutEnvelopeResult>((resolve, reject) => {
          plainQueue.push({ e, resolve, reject });
          if (!plainWriting) void writePlainBatches();
        });
      }

      if (!request) throw new Error('putEnvelope: a request envelope needs its target user');
      const args = envelopeArgs(e);
      const requestId = e.requestId;
      return tx<PutEnvelopeResult>(async (c) => {
        const existing = await existingEnvelope(c, e.toDeviceId, e.id);
        if (existing) return sameAsExisting(e, existing);
        const inserted = await c.query(
          `INSERT INTO secret_requests (id, from_device_id, to_user_id, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
          [requestId, e.fromDeviceId, request.toUserId, e.createdAt, e.expiresAt]
        );
        const req = toSecretRequest((await one(c, 'SELECT * FROM secret_requests WHERE id = $1 FOR UPDATE', [requestId]))!);
        if (inserted.rowCount === 0) {
          if (req.fromDeviceId !== e.fromDeviceId || req.toUserId !== request.toUserId) {
            return { ok: false, reason: 'request_conflict' };
          }
          if (req.withdrawn || req.claimedByDeviceId !== null) return { ok: false, reason: 'request_gone' };
          await c.query('UPDATE secret_requests SET expires_at = greatest(expires_at, $1) WHERE id = $2', [e.expiresAt, requestId]);
        }
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.device, e.toDeviceId]);
        const r = await one(c, `${INSERT_ENVELOPE} VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq`, [...args, requestId]);
        return { ok: true, created: true, envelope: { ...e, seq: num(r!.seq) } };
      }, true);
    },
    async listEnvelopes(deviceId, after, limit, now) {
      return (
        await all(pool, 'SELECT * FROM envelopes WHERE to_device_id = $1 AND seq > $2 AND expires_at > $3 ORDER BY seq LIMIT $4', [
          deviceId,
          after,
          now,
          limit
        ])
      ).map(toEnvelope);
    },
    async countEnvelopes(deviceId, now) {
      return num((await one(pool, 'SELECT count(*) AS n FROM envelopes WHERE to_device_id = $1 AND expires_at > $2', [deviceId, now]))?.n);
    },
    async ackEnvelopes(deviceId, upTo) {
      return (await pool.query('DELETE FROM envelopes WHERE to_device_id = $1 AND seq <= $2', [deviceId, upTo])).rowCount ?? 0;
    },
    async purgeExpiredEnvelopes(now) {
      return tx(async (c) => {
        const n = (await c.query('DELETE FROM envelopes WHERE expires_at <= $1', [now])).rowCount ?? 0;
        await c.query('DELETE FROM secret_requests WHERE expires_at <= $1', [now]);
        return n;
      });
    },

    // ---- secret-chat requests ----
    async getSecretRequest(id) {
      const r = await one(pool, 'SELECT * FROM secret_requests WHERE id = $1', [id]);
      return r ? toSecretRequest(r) : null;
    },
    async claimSecretRequest(id, userId, deviceId) {
      return tx<ClaimResult>(async (c) => {
        const r = await one(c, 'SELECT * FROM secret_requests WHERE id = $1 FOR UPDATE', [id]);
        if (!r) return 'not_found';
        const req = toSecretRequest(r);
        if (req.toUserId !== userId) return 'not_found';
        if (req.withdrawn) return 'gone';
        if (req.claimedByDeviceId !== null) return req.claimedByDeviceId === deviceId ? 'already' : 'conflict';
        await c.query('UPDATE secret_requests SET claimed_by_device_id = $1 WHERE id = $2', [deviceId, id]);
        await c.query('DELETE FROM envelopes WHERE request_id = $1 AND to_device_id <> $2', [id, deviceId]);
        return 'claimed';
      });
    },
    async withdrawSecretRequest(id, fromDeviceId) {
      return tx(async (c) => {
        const r = await one(c, 'SELECT from_device_id FROM secret_requests WHERE id = $1 FOR UPDATE', [id]);
        if (!r || (r.from_device_id as string) !== fromDeviceId) return false;
        await c.query('UPDATE secret_requests SET withdrawn = TRUE WHERE id = $1', [id]);
        await c.query('DELETE FROM envelopes WHERE request_id = $1', [id]);
        return true;
      });
    },

    // ---- blobs ----
    async createBlob(blob, quota, now) {
      return tx(async (c) => {
        // Serializes uploads of one owner so two nodes can't both fit under the quota.
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.blobOwner, blob.ownerUserId]);
        const used = num(
          (await one(c, 'SELECT coalesce(sum(size), 0) AS n FROM blobs WHERE owner_user_id = $1 AND expires_at > $2', [blob.ownerUserId, now]))?.n
        );
        if (used + blob.size > quota) return false;
        await c.query(
          `INSERT INTO blobs (id, owner_device_id, owner_user_id, to_device_id, size, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [blob.id, blob.ownerDeviceId, blob.ownerUserId, blob.toDeviceId, blob.size, blob.createdAt, blob.expiresAt]
        );
        return true;
      });
    },
    async getBlob(id, now) {
      const r = await one(pool, 'SELECT * FROM blobs WHERE id = $1 AND expires_at > $2', [id, now]);
      return r ? toBlob(r) : null;
    },
    async deleteBlob(id) {
      return ((await pool.query('DELETE FROM blobs WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    async blobUsage(userId, now) {
      return num((await one(pool, 'SELECT coalesce(sum(size), 0) AS n FROM blobs WHERE owner_user_id = $1 AND expires_at > $2', [userId, now]))?.n);
    },
    async purgeExpiredBlobs(now) {
      return (await all(pool, 'DELETE FROM blobs WHERE expires_at <= $1 RETURNING id', [now])).map((r) => r.id as string);
    },

    // ---- web push subscriptions and wake-ups ----
    async setPushSubscription(sub) {
      await pool.query(
        `INSERT INTO push_subscriptions (device_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (device_id) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh,
           auth = excluded.auth, created_at = excluded.created_at`,
        [sub.deviceId, sub.endpoint, sub.p256dh, sub.auth, sub.createdAt]
      );
    },
    async getPushSubscription(deviceId) {
      const r = await one(pool, 'SELECT * FROM push_subscriptions WHERE device_id = $1', [deviceId]);
      return r ? toPushSub(r) : null;
    },
    async deletePushSubscription(deviceId, endpoint) {
      const r =
        endpoint === undefined
          ? await pool.query('DELETE FROM push_subscriptions WHERE device_id = $1', [deviceId])
          : await pool.query('DELETE FROM push_subscriptions WHERE device_id = $1 AND endpoint = $2', [deviceId, endpoint]);
      return (r.rowCount ?? 0) > 0;
    },
    async addWakeups(deviceId, times, maxPending) {
      const wanted = [...new Set(times)];
      return tx(async (c) => {
        // Per-device lock: the cap holds exactly even with several nodes adding at once.
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.wakeups, deviceId]);
        const existing = new Set(
          (await all(c, 'SELECT at FROM wakeups WHERE device_id = $1', [deviceId])).map((r) => num(r.at))
        );
        const fresh = wanted.filter((t) => !existing.has(t));
        if (existing.size + fresh.length > maxPending) return false;
        if (fresh.length > 0) {
          await c.query(
            `INSERT INTO wakeups (device_id, at) SELECT $1, t FROM unnest($2::bigint[]) AS t
             ON CONFLICT (device_id, at) DO NOTHING`,
            [deviceId, fresh]
          );
        }
        return true;
      });
    },
    async claimWakeups(node, now, dueBy, staleBefore, limit) {
      // SKIP LOCKED: concurrent claimers on other nodes take disjoint rows instead of waiting; the
      // re-check in the outer WHERE (after the row lock) keeps a just-claimed row from being taken twice.
      const rows = await all(
        pool,
        `UPDATE wakeups w SET claimed_by = $1, claimed_at = $2
         WHERE w.id IN (SELECT id FROM wakeups
                        WHERE at <= $3 AND (claimed_by IS NULL OR claimed_at < $4)
                        ORDER BY at, id LIMIT $5 FOR UPDATE SKIP LOCKED)
           AND w.at <= $3 AND (w.claimed_by IS NULL OR w.claimed_at < $4)
         RETURNING w.id, w.device_id, w.at`,
        [node, now, dueBy, staleBefore, limit]
      );
      return rows.map(toWakeup).sort((a, b) => a.at - b.at || a.id - b.id);
    },
    async deleteWakeups(ids, node) {
      if (ids.length === 0) return;
      await pool.query('DELETE FROM wakeups WHERE id = ANY($1::bigint[]) AND claimed_by = $2', [ids, node]);
    },
    async nextWakeupAt(staleMs, groupMs) {
      const r = await one(
        pool,
        `WITH r AS (SELECT CASE WHEN claimed_by IS NULL THEN at ELSE greatest(at, claimed_at + $1) END AS t FROM wakeups)
         SELECT max(t) AS t FROM r WHERE t <= (SELECT min(t) FROM r) + $2`,
        [staleMs, groupMs]
      );
      return r?.t == null ? null : num(r.t);
    },

    // ---- cloud media ----
    async createCloudMedia(m) {
      await pool.query(
        `INSERT INTO cloud_media (id, owner_user_id, owner_device_id, to_user_id, meta, size, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [m.id, m.ownerUserId, m.ownerDeviceId, m.toUserId, m.meta, m.size, m.createdAt]
      );
    },
    async reserveCloudMedia(m, quota) {
      return tx(async (c) => {
        // Serializes reservations of one owner so two nodes can't both fit under the quota.
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.mediaOwner, m.ownerUserId]);
        const used = num((await one(c, 'SELECT coalesce(sum(size), 0) AS n FROM cloud_media WHERE owner_user_id = $1', [m.ownerUserId]))?.n);
        if (used + m.size > quota) return false;
        await c.query(
          `INSERT INTO cloud_media (id, owner_user_id, owner_device_id, to_user_id, meta, size, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [m.id, m.ownerUserId, m.ownerDeviceId, m.toUserId, m.meta, m.size, m.createdAt]
        );
        return true;
      });
    },
    async settleCloudMedia(id, size) {
      await pool.query('UPDATE cloud_media SET size = $1 WHERE id = $2', [size, id]);
    },
    async deleteCloudMedia(id) {
      return ((await pool.query('DELETE FROM cloud_media WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    async cloudMediaUsage(userId) {
      return num((await one(pool, 'SELECT coalesce(sum(size), 0) AS n FROM cloud_media WHERE owner_user_id = $1', [userId]))?.n);
    },
    async getCloudMedia(id) {
      const r = await one(pool, 'SELECT * FROM cloud_media WHERE id = $1', [id]);
      return r ? toCloudMedia(r) : null;
    },
    async openCloudMedia(id, now) {
      return tx(async (c) => {
        // Lock order as in deleteMessages: the chat row first, then the media row.
        const pre = await one(
          c,
          'SELECT m.chat_id FROM cloud_media x JOIN cloud_messages m ON m.id = x.message_id WHERE x.id = $1 AND NOT m.deleted',
          [id]
        );
        const chat = pre ? await lockedChat(c, num(pre.chat_id)) : null;
        const r = await one(c, 'SELECT * FROM cloud_media WHERE id = $1 FOR UPDATE', [id]);
        if (!r || r.message_id == null) return null;
        const media = toCloudMedia(r);
        if (media.openedAt !== null) return { media, updates: [] as AppendedUpdate[] };
        const deadline = media.ttl > 0 ? now + media.ttl * 1000 : null;
        await c.query('UPDATE cloud_media SET opened_at = $1, deadline = $2 WHERE id = $3', [now, deadline, id]);
        const opened: CloudMediaRow = { ...media, openedAt: now, deadline };
        if (deadline === null || !chat) return { media: opened, updates: [] as AppendedUpdate[] };
        return { media: opened, updates: await appendUpdates(c, chat, 'message', media.messageId!) };
      });
    },
    async claimDueMedia(node, now, staleBefore, limit) {
      // As claimWakeups: SKIP LOCKED plus the re-check after the row lock.
      const rows = await all(
        pool,
        `UPDATE cloud_media m SET claimed_by = $1, claimed_at = $2
         WHERE m.id IN (SELECT id FROM cloud_media
                        WHERE deadline IS NOT NULL AND deadline <= $2 AND (claimed_by IS NULL OR claimed_at < $3)
                        ORDER BY deadline, id LIMIT $4 FOR UPDATE SKIP LOCKED)
           AND m.deadline <= $2 AND (m.claimed_by IS NULL OR m.claimed_at < $3)
         RETURNING m.id, m.message_id, m.deadline`,
        [node, now, staleBefore, limit]
      );
      return rows.map(toDueMedia).sort((a, b) => a.deadline - b.deadline || (a.id < b.id ? -1 : 1));
    },
    async finishDueMedia(id, node) {
      return tx(async (c) => {
        // Lock order as in deleteMessages: the chat row first, then the media row.
        const pre = await one(c, 'SELECT m.chat_id FROM cloud_media x JOIN cloud_messages m ON m.id = x.message_id WHERE x.id = $1', [id]);
        const chat = pre ? await lockedChat(c, num(pre.chat_id)) : null;
        const r = await one(c, 'DELETE FROM cloud_media WHERE id = $1 AND claimed_by = $2 RETURNING message_id', [id, node]);
        if (!r) return { done: false, updates: [] as AppendedUpdate[] };
        if (r.message_id == null || !chat) return { done: true, updates: [] as AppendedUpdate[] };
        const hit = await c.query(
          `UPDATE cloud_messages SET deleted = TRUE, body = ''::bytea WHERE id = $1 AND NOT deleted`,
          [r.message_id]
        );
        if ((hit.rowCount ?? 0) === 0) return { done: true, updates: [] as AppendedUpdate[] };
        return { done: true, updates: await appendUpdates(c, chat, 'delete', JSON.stringify([r.message_id])) };
      });
    },
    async nextMediaDeadline(staleMs) {
      const r = await one(
        pool,
        `SELECT min(CASE WHEN claimed_by IS NULL THEN deadline ELSE greatest(deadline, claimed_at + $1) END) AS t
         FROM cloud_media WHERE deadline IS NOT NULL`,
        [staleMs]
      );
      return r?.t == null ? null : num(r.t);
    },
    async purgeUnattachedMedia(before) {
      return (await all(pool, 'DELETE FROM cloud_media WHERE message_id IS NULL AND created_at < $1 RETURNING id', [before])).map(
        (r) => r.id as string
      );
    },

    // ---- sign-in backoff and known devices ----
    async takeLoginAttempt(key, now, forgetBefore, delayMs) {
      return tx<LoginAttempt>(async (c) => {
        // The placeholder (last_at 0) reads as forgotten; the row lock then orders concurrent attempts.
        await c.query('INSERT INTO login_throttle (key, failures, next_at, last_at) VALUES ($1, 0, 0, 0) ON CONFLICT (key) DO NOTHING', [key]);
        const r = (await one(c, 'SELECT failures, next_at, last_at FROM login_throttle WHERE key = $1 FOR UPDATE', [key]))!;
        const live = num(r.last_at) >= forgetBefore;
        if (live && num(r.next_at) > now) return { ok: false, nextAt: num(r.next_at) };
        const failures = (live ? num(r.failures) : 0) + 1;
        await c.query('UPDATE login_throttle SET failures = $2, next_at = $3, last_at = $4 WHERE key = $1', [
          key,
          failures,
          now + delayMs(failures),
          now
        ]);
        return { ok: true };
      });
    },
    async clearLoginAttempts(key) {
      await pool.query('DELETE FROM login_throttle WHERE key = $1', [key]);
    },
    async purgeLoginAttempts(before) {
      return (await pool.query('DELETE FROM login_throttle WHERE last_at < $1', [before])).rowCount ?? 0;
    },
    async rememberKnownDevice(userId, tokenHash, replaces, at, keep) {
      await tx(async (c) => {
        if (replaces !== null) await c.query('UPDATE known_devices SET token_hash = $1 WHERE token_hash = $2', [tokenHash, replaces]);
        await c.query(
          `INSERT INTO known_devices (user_id, token_hash, last_at) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, token_hash) DO UPDATE SET last_at = excluded.last_at`,
          [userId, tokenHash, at]
        );
        await c.query(
          `DELETE FROM known_devices WHERE user_id = $1 AND token_hash NOT IN
             (SELECT token_hash FROM known_devices WHERE user_id = $1 ORDER BY last_at DESC, token_hash LIMIT $2)`,
          [userId, keep]
        );
      });
    },
    async isKnownDevice(userId, tokenHash) {
      return (await one(pool, 'SELECT 1 AS x FROM known_devices WHERE user_id = $1 AND token_hash = $2', [userId, tokenHash])) !== undefined;
    },

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
