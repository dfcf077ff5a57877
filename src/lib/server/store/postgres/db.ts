/**
 * What the PostgreSQL area modules (./*.ts) share: the pool helpers, the transaction runner (with its
 * retries), advisory-lock namespaces, the migration runner, and the update-log append that every
 * change to a cloud chat goes through. Lock order (see ./index.ts): chat row → user locks → device lock.
 */
import pg from 'pg';
import { members, num, toChat, type Row } from '../rows';
import type { AppendedUpdate, ChatRow, Migration, UpdateKind } from '../types';
import { PG_MIGRATIONS } from './migrations';

export type Db = pg.Pool | pg.PoolClient;

/** Advisory-lock namespaces (first key of the two-int form). */
export const LOCK = { user: 1, device: 2, blobOwner: 3, migrate: 4, wakeups: 5, deviceCap: 6, mediaOwner: 7, blobInbox: 8, mailboxes: 9, blocks: 10 } as const;

const pgCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
export const isUnique = (e: unknown) => pgCode(e) === '23505';
/** Serialization failure or deadlock: the whole transaction may simply be run again. */
export const isTransient = (e: unknown) => pgCode(e) === '40001' || pgCode(e) === '40P01';

/** Quotes an identifier for SQL. */
export const quoteIdent = (name: string) => '"' + name.replace(/"/g, '""') + '"';

export const one = async (db: Db, sql: string, args: unknown[] = []): Promise<Row | undefined> => (await db.query(sql, args)).rows[0] as Row | undefined;
export const all = async (db: Db, sql: string, args: unknown[] = []): Promise<Row[]> => (await db.query(sql, args)).rows as Row[];

/** Runs `fn` in a transaction; retries deadlocks (and, with retryUnique, unique-key races). */
export type Tx = <T>(fn: (c: pg.PoolClient) => Promise<T>, retryUnique?: boolean) => Promise<T>;

export function transactions(pool: pg.Pool): Tx {
  return async function tx<T>(fn: (c: pg.PoolClient) => Promise<T>, retryUnique = false): Promise<T> {
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
  };
}

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

/** The message columns of table alias `a`, aliased with prefix `p` (for ../rows.ts `toMessage(r, p)`). */
export const MESSAGE_COLS = (p: string, a: string) =>
  ['chat_id', 'seq', 'id', 'sender_id', 'sender_device_id', 'body', 'created_at', 'deleted', 'edited_at'].map((c) => `${a}.${c} AS ${p}${c}`).join(', ');

/** An update-log row with its chat and (for 'message') its message, aliased for ../rows.ts `toUpdate`. */
export const UPDATE_SELECT = `
  SELECT u.cursor AS u_cursor, u.kind AS u_kind, u.data AS u_data,
         c.id AS c_id, c.user_a AS c_user_a, c.user_b AS c_user_b, c.next_seq AS c_next_seq,
         ${MESSAGE_COLS('m_', 'm')}
  FROM user_updates u
  JOIN cloud_chats c ON c.id = u.chat_id
  LEFT JOIN cloud_messages m ON u.kind IN ('message', 'edit', 'react') AND m.id = u.data`;

/** Takes the update-log locks of the members (sorted; or of `only`, a member: their own settings) and appends one row each. */
export const appendUpdates = async (c: pg.PoolClient, chat: ChatRow, kind: UpdateKind, data: string, only?: string): Promise<AppendedUpdate[]> => {
  const users = only === undefined ? members(chat) : members(chat).filter((u) => u === only);
  await c.query(
    users.length === 1 ? 'SELECT pg_advisory_xact_lock($1, hashtext($2))' : 'SELECT pg_advisory_xact_lock($1, hashtext($2)), pg_advisory_xact_lock($1, hashtext($3))',
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

/** The chat row, locked until COMMIT (first in the lock order). */
export const lockedChat = async (c: pg.PoolClient, chatId: number): Promise<ChatRow> => {
  const r = await one(c, 'SELECT * FROM cloud_chats WHERE id = $1 FOR UPDATE', [chatId]);
  if (!r) throw new Error(`no chat ${chatId}`);
  return toChat(r);
};

/** What every area module is built from. */
export interface Pg {
  pool: pg.Pool;
  tx: Tx;
}
