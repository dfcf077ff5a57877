/**
 * What the SQLite area modules (./*.ts) share: statement helpers, the unique-key test, the migration
 * runner and the update-log append. better-sqlite3 is synchronous, so a `db.transaction` is atomic
 * within this process; transactions of different areas nest as savepoints over the one handle.
 */
import Database from 'better-sqlite3';
import { members, type Row } from '../rows';
import type { AppendedUpdate, ChatRow, Migration, UpdateKind } from '../types';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

export const get = (stmt: Database.Statement, ...args: unknown[]) => stmt.get(...args) as Row | undefined;
export const all = (stmt: Database.Statement, ...args: unknown[]) => stmt.all(...args) as Row[];

export const isUnique = (e: unknown) => e instanceof Database.SqliteError && (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');

/** Applies pending migrations, all in one transaction. Returns the versions applied now. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
  const run = db.transaction(() => {
    const current = (db.prepare('SELECT max(version) AS v FROM migrations').get() as { v: number | null }).v ?? 0;
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      applied.push(m.version);
    }
    return applied;
  });
  // IMMEDIATE: take the write lock up front so two processes starting together can't both migrate.
  return run.immediate();
}

/** An update-log row with its chat and (for 'message') its message, aliased for ../rows.ts `toUpdate`. */
export const UPDATE_SELECT = `
  SELECT u.cursor AS u_cursor, u.kind AS u_kind, u.data AS u_data,
         c.id AS c_id, c.user_a AS c_user_a, c.user_b AS c_user_b, c.next_seq AS c_next_seq,
         m.chat_id AS m_chat_id, m.seq AS m_seq, m.id AS m_id, m.sender_id AS m_sender_id,
         m.sender_device_id AS m_sender_device_id, m.body AS m_body, m.created_at AS m_created_at,
         m.deleted AS m_deleted, m.edited_at AS m_edited_at
  FROM user_updates u
  JOIN cloud_chats c ON c.id = u.chat_id
  LEFT JOIN cloud_messages m ON u.kind IN ('message', 'edit', 'react') AND m.id = u.data`;

/**
 * Appends one update-log row per chat member (or only for `only`, a member: their own settings);
 * call inside the write transaction of the change.
 */
export type AppendUpdates = (chat: ChatRow, kind: UpdateKind, data: string, only?: string) => AppendedUpdate[];

export function updateLog(db: Db): AppendUpdates {
  const latestCursor = db.prepare('SELECT max(cursor) AS c FROM user_updates WHERE user_id = ?');
  const insertUpdate = db.prepare('INSERT INTO user_updates (user_id, kind, chat_id, data) VALUES (?, ?, ?, ?)');
  return (chat, kind, data, only) =>
    (only === undefined ? members(chat) : members(chat).filter((u) => u === only)).map((userId) => {
      // Inside the write transaction: nothing can be appended for this user in between.
      const prev = (get(latestCursor, userId)?.c as number | null) ?? 0;
      return { userId, prev, cursor: Number(insertUpdate.run(userId, kind, chat.id, data).lastInsertRowid) };
    });
}
