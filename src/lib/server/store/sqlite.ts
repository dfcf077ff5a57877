/**
 * The SQLite backend (better-sqlite3) in DATA_DIR/cinder.db. better-sqlite3 is synchronous, which makes
 * each transaction trivially atomic within this process; the async wrappers only satisfy `Store`.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { prepareDbFile } from '../data-perms';
import { startCheckpointer, type Checkpointer } from './checkpointer';
import { MIGRATIONS, type Migration } from './migrations';
import {
  UniqueViolation,
  type AppendedUpdate,
  type BlobRow,
  type ChatRow,
  type ClaimResult,
  type ChatSummaryRow,
  type CloudMediaRow,
  type DueMediaRow,
  type DeviceRow,
  type EnvelopeRequestCtx,
  type EnvelopeRow,
  type LoginAttempt,
  type MessageRow,
  type NewCloudMedia,
  type NewDevice,
  type NewEnvelope,
  type PushSubscriptionRow,
  type PutEnvelopeResult,
  type SecretRequestRow,
  type SendMessageInput,
  type SendMessageResult,
  type Store,
  type UpdateKind,
  type UpdateRow,
  type UserRow,
  type WakeupRow
} from './types';

export const DB_FILE = 'cinder.db';

type Row = Record<string, unknown>;

const toUser = (r: Row): UserRow => ({
  id: r.id as string,
  username: r.username as string,
  displayName: r.display_name as string,
  pwHash: r.pw_hash as string,
  createdAt: r.created_at as number
});

const toDevice = (r: Row, p = ''): DeviceRow => ({
  id: r[p + 'id'] as string,
  userId: r[p + 'user_id'] as string,
  name: r[p + 'name'] as string,
  signPub: r[p + 'sign_pub'] as string,
  dhPub: r[p + 'dh_pub'] as string,
  createdAt: r[p + 'created_at'] as number,
  lastSeenAt: r[p + 'last_seen_at'] as number,
  revokedAt: (r[p + 'revoked_at'] as number | null) ?? null
});

const toChat = (r: Row, p = ''): ChatRow => ({
  id: r[p + 'id'] as number,
  userA: r[p + 'user_a'] as string,
  userB: r[p + 'user_b'] as string,
  nextSeq: r[p + 'next_seq'] as number
});

const toMessage = (r: Row, p = ''): MessageRow => ({
  chatId: r[p + 'chat_id'] as number,
  seq: r[p + 'seq'] as number,
  id: r[p + 'id'] as string,
  senderId: r[p + 'sender_id'] as string,
  senderDeviceId: r[p + 'sender_device_id'] as string,
  body: r[p + 'body'] as Buffer,
  createdAt: r[p + 'created_at'] as number,
  deleted: (r[p + 'deleted'] as number) !== 0
});

const toEnvelope = (r: Row): EnvelopeRow => ({
  seq: r.seq as number,
  id: r.id as string,
  toDeviceId: r.to_device_id as string,
  fromDeviceId: r.from_device_id as string,
  fromUserId: r.from_user_id as string,
  body: r.body as Buffer,
  createdAt: r.created_at as number,
  expiresAt: r.expires_at as number,
  requestId: (r.request_id as string | null) ?? null
});

const toSecretRequest = (r: Row): SecretRequestRow => ({
  id: r.id as string,
  fromDeviceId: r.from_device_id as string,
  toUserId: r.to_user_id as string,
  claimedByDeviceId: (r.claimed_by_device_id as string | null) ?? null,
  withdrawn: (r.withdrawn as number) !== 0,
  createdAt: r.created_at as number,
  expiresAt: r.expires_at as number
});

const toBlob = (r: Row): BlobRow => ({
  id: r.id as string,
  ownerDeviceId: r.owner_device_id as string,
  ownerUserId: r.owner_user_id as string,
  toDeviceId: r.to_device_id as string,
  size: r.size as number,
  createdAt: r.created_at as number,
  expiresAt: r.expires_at as number
});

const toPushSub = (r: Row): PushSubscriptionRow => ({
  deviceId: r.device_id as string,
  endpoint: r.endpoint as string,
  p256dh: r.p256dh as string,
  auth: r.auth as string,
  createdAt: r.created_at as number
});

const toCloudMedia = (r: Row): CloudMediaRow => ({
  id: r.id as string,
  ownerUserId: r.owner_user_id as string,
  ownerDeviceId: r.owner_device_id as string,
  toUserId: r.to_user_id as string,
  meta: r.meta as Buffer,
  size: r.size as number,
  createdAt: r.created_at as number,
  messageId: (r.message_id as string | null) ?? null,
  ttl: r.ttl as number,
  openedAt: (r.opened_at as number | null) ?? null,
  deadline: (r.deadline as number | null) ?? null
});

const toDueMedia = (r: Row): DueMediaRow => ({
  id: r.id as string,
  messageId: (r.message_id as string | null) ?? null,
  deadline: r.deadline as number
});

const toWakeup = (r: Row): WakeupRow => ({ id: r.id as number, deviceId: r.device_id as string, at: r.at as number });

/** Members of a chat, sorted, as stored (user_a <= user_b). */
const pair = (x: string, y: string): [string, string] => (x <= y ? [x, y] : [y, x]);
const members = (c: ChatRow): string[] => (c.userA === c.userB ? [c.userA] : [c.userA, c.userB]);

const UPDATE_SELECT = `
  SELECT u.cursor AS u_cursor, u.kind AS u_kind, u.data AS u_data,
         c.id AS c_id, c.user_a AS c_user_a, c.user_b AS c_user_b, c.next_seq AS c_next_seq,
         m.chat_id AS m_chat_id, m.seq AS m_seq, m.id AS m_id, m.sender_id AS m_sender_id,
         m.sender_device_id AS m_sender_device_id, m.body AS m_body, m.created_at AS m_created_at,
         m.deleted AS m_deleted
  FROM user_updates u
  JOIN cloud_chats c ON c.id = u.chat_id
  LEFT JOIN cloud_messages m ON u.kind = 'message' AND m.id = u.data`;

const toUpdate = (r: Row): UpdateRow => ({
  cursor: r.u_cursor as number,
  kind: r.u_kind as UpdateKind,
  data: r.u_data as string,
  chat: toChat(r, 'c_'),
  message: r.m_id == null ? null : toMessage(r, 'm_')
});

/** Applies pending migrations, all in one transaction. Returns the versions applied now. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
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
   * WAL checkpoints on a worker thread (default true): see checkpointer.ts. False keeps SQLite's
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

  const q = {
    insertUser: db.prepare(
      'INSERT INTO users (id, username, display_name, pw_hash, created_at) VALUES (@id, @username, @displayName, @pwHash, @createdAt)'
    ),
    userById: db.prepare('SELECT * FROM users WHERE id = ?'),
    userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
    searchUsers: db.prepare("SELECT * FROM users WHERE username LIKE ? ESCAPE '\\' ORDER BY username LIMIT ?"),
    setDisplayName: db.prepare('UPDATE users SET display_name = ? WHERE id = ?'),
    insertDevice: db.prepare(
      `INSERT INTO devices (id, user_id, name, sign_pub, dh_pub, token_hash, created_at, last_seen_at)
       VALUES (@id, @userId, @name, @signPub, @dhPub, @tokenHash, @createdAt, @createdAt)`
    ),
    deviceById: db.prepare('SELECT * FROM devices WHERE id = ?'),
    session: db.prepare(
      `SELECT u.*, d.id AS d_id, d.user_id AS d_user_id, d.name AS d_name, d.sign_pub AS d_sign_pub,
              d.dh_pub AS d_dh_pub, d.created_at AS d_created_at, d.last_seen_at AS d_last_seen_at,
              d.revoked_at AS d_revoked_at
       FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = ?`
    ),
    liveDevices: db.prepare('SELECT * FROM devices WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at, id'),
    revokeDevice: db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL'),
    dropDeviceEnvelopes: db.prepare('DELETE FROM envelopes WHERE to_device_id = ?'),
    touchDevice: db.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?'),
    setPwHash: db.prepare('UPDATE users SET pw_hash = ? WHERE id = ? AND pw_hash = ?'),
    forgetKnown: db.prepare('DELETE FROM known_devices WHERE user_id = ?'),
    liveDevice: db.prepare('SELECT 1 FROM devices WHERE id = ? AND user_id = ? AND revoked_at IS NULL'),

    chatByPair: db.prepare('SELECT * FROM cloud_chats WHERE user_a = ? AND user_b = ?'),
    chatById: db.prepare('SELECT * FROM cloud_chats WHERE id = ?'),
    chatsOf: db.prepare('SELECT * FROM cloud_chats WHERE user_a = ? OR user_b = ?'),
    insertChat: db.prepare('INSERT INTO cloud_chats (user_a, user_b) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    bumpSeq: db.prepare('UPDATE cloud_chats SET next_seq = next_seq + 1 WHERE id = ? RETURNING next_seq - 1 AS seq'),
    messageById: db.prepare('SELECT * FROM cloud_messages WHERE id = ?'),
    insertMessage: db.prepare(
      `INSERT INTO cloud_messages (chat_id, seq, id, sender_id, sender_device_id, body, created_at)
       VALUES (@chatId, @seq, @id, @senderId, @senderDeviceId, @body, @createdAt)`
    ),
    messagesBefore: db.prepare(
      'SELECT * FROM cloud_messages WHERE chat_id = ? AND seq < ? AND deleted = 0 ORDER BY seq DESC LIMIT ?'
    ),
    lastMessage: db.prepare('SELECT * FROM cloud_messages WHERE chat_id = ? AND deleted = 0 ORDER BY seq DESC LIMIT 1'),
    unread: db.prepare(
      'SELECT count(*) AS n FROM cloud_messages WHERE chat_id = ? AND seq > ? AND sender_id <> ? AND deleted = 0'
    ),
    readSeq: db.prepare('SELECT read_seq FROM chat_reads WHERE chat_id = ? AND user_id = ?'),
    upsertRead: db.prepare(
      `INSERT INTO chat_reads (chat_id, user_id, read_seq) VALUES (?, ?, ?)
       ON CONFLICT (chat_id, user_id) DO UPDATE SET read_seq = excluded.read_seq`
    ),
    liveMessageInChat: db.prepare('SELECT id FROM cloud_messages WHERE chat_id = ? AND id = ? AND deleted = 0'),
    deleteMessage: db.prepare("UPDATE cloud_messages SET deleted = 1, body = X'' WHERE chat_id = ? AND id = ?"),
    insertUpdate: db.prepare('INSERT INTO user_updates (user_id, kind, chat_id, data) VALUES (?, ?, ?, ?)'),
    updatesAfter: db.prepare(`${UPDATE_SELECT} WHERE u.user_id = ? AND u.cursor > ? ORDER BY u.cursor LIMIT ?`),
    updateByCursor: db.prepare(`${UPDATE_SELECT} WHERE u.cursor = ?`),
    latestCursor: db.prepare('SELECT max(cursor) AS c FROM user_updates WHERE user_id = ?'),

    envelopeByKey: db.prepare('SELECT * FROM envelopes WHERE to_device_id = ? AND id = ?'),
    insertEnvelope: db.prepare(
      `INSERT INTO envelopes (id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, request_id)
       VALUES (@id, @toDeviceId, @fromDeviceId, @fromUserId, @body, @createdAt, @expiresAt, @requestId)`
    ),
    // The common case in one statement: a fresh id inserts, a repeated one returns no row.
    insertEnvelopeIfNew: db.prepare(
      `INSERT INTO envelopes (id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, request_id)
       VALUES (@id, @toDeviceId, @fromDeviceId, @fromUserId, @body, @createdAt, @expiresAt, @requestId)
       ON CONFLICT (to_device_id, id) DO NOTHING RETURNING seq`
    ),
    envelopesAfter: db.prepare(
      'SELECT * FROM envelopes WHERE to_device_id = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?'
    ),
    countEnvelopes: db.prepare('SELECT count(*) AS n FROM envelopes WHERE to_device_id = ? AND expires_at > ?'),
    ackEnvelopes: db.prepare('DELETE FROM envelopes WHERE to_device_id = ? AND seq <= ?'),
    purgeEnvelopes: db.prepare('DELETE FROM envelopes WHERE expires_at <= ?'),

    requestById: db.prepare('SELECT * FROM secret_requests WHERE id = ?'),
    insertRequest: db.prepare(
      `INSERT INTO secret_requests (id, from_device_id, to_user_id, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?)`
    ),
    extendRequest: db.prepare('UPDATE secret_requests SET expires_at = max(expires_at, ?) WHERE id = ?'),
    claimRequest: db.prepare('UPDATE secret_requests SET claimed_by_device_id = ? WHERE id = ? AND claimed_by_device_id IS NULL'),
    withdrawRequest: db.prepare('UPDATE secret_requests SET withdrawn = 1 WHERE id = ?'),
    dropRequestEnvelopesExcept: db.prepare('DELETE FROM envelopes WHERE request_id = ? AND to_device_id <> ?'),
    dropRequestEnvelopes: db.prepare('DELETE FROM envelopes WHERE request_id = ?'),
    purgeRequests: db.prepare('DELETE FROM secret_requests WHERE expires_at <= ?'),

    insertBlob: db.prepare(
      `INSERT INTO blobs (id, owner_device_id, owner_user_id, to_device_id, size, created_at, expires_at)
       VALUES (@id, @ownerDeviceId, @ownerUserId, @toDeviceId, @size, @createdAt, @expiresAt)`
    ),
    blobById: db.prepare('SELECT * FROM blobs WHERE id = ? AND expires_at > ?'),
    deleteBlob: db.prepare('DELETE FROM blobs WHERE id = ?'),
    blobUsage: db.prepare('SELECT coalesce(sum(size), 0) AS n FROM blobs WHERE owner_user_id = ? AND expires_at > ?'),
    purgeBlobs: db.prepare('DELETE FROM blobs WHERE expires_at <= ? RETURNING id'),

    upsertPushSub: db.prepare(
      `INSERT INTO push_subscriptions (device_id, endpoint, p256dh, auth, created_at)
       VALUES (@deviceId, @endpoint, @p256dh, @auth, @createdAt)
       ON CONFLICT (device_id) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh,
         auth = excluded.auth, created_at = excluded.created_at`
    ),
    pushSubByDevice: db.prepare('SELECT * FROM push_subscriptions WHERE device_id = ?'),
    deletePushSub: db.prepare('DELETE FROM push_subscriptions WHERE device_id = ?'),
    deletePushSubIf: db.prepare('DELETE FROM push_subscriptions WHERE device_id = ? AND endpoint = ?'),
    countWakeups: db.prepare('SELECT count(*) AS n FROM wakeups WHERE device_id = ?'),
    wakeupExists: db.prepare('SELECT 1 AS x FROM wakeups WHERE device_id = ? AND at = ?'),
    insertWakeup: db.prepare('INSERT INTO wakeups (device_id, at) VALUES (?, ?) ON CONFLICT (device_id, at) DO NOTHING'),
    // One statement, so the claim is atomic even against other processes on the same file.
    claimWakeups: db.prepare(
      `UPDATE wakeups SET claimed_by = @node, claimed_at = @now
       WHERE id IN (SELECT id FROM wakeups
                    WHERE at <= @dueBy AND (claimed_by IS NULL OR claimed_at < @staleBefore)
                    ORDER BY at, id LIMIT @limit)
       RETURNING id, device_id, at`
    ),
    deleteWakeup: db.prepare('DELETE FROM wakeups WHERE id = ? AND claimed_by = ?'),
    nextWakeup: db.prepare(
      `WITH r AS (SELECT CASE WHEN claimed_by IS NULL THEN at ELSE max(at, claimed_at + @stale) END AS t FROM wakeups)
       SELECT max(t) AS t FROM r WHERE t <= (SELECT min(t) FROM r) + @group`
    ),
    dropDeviceWakeups: db.prepare('DELETE FROM wakeups WHERE device_id = ?'),

    insertMedia: db.prepare(
      `INSERT INTO cloud_media (id, owner_user_id, owner_device_id, to_user_id, meta, size, created_at)
       VALUES (@id, @ownerUserId, @ownerDeviceId, @toUserId, @meta, @size, @createdAt)`
    ),
    mediaById: db.prepare('SELECT * FROM cloud_media WHERE id = ?'),
    mediaUsage: db.prepare('SELECT coalesce(sum(size), 0) AS n FROM cloud_media WHERE owner_user_id = ?'),
    settleMedia: db.prepare('UPDATE cloud_media SET size = ? WHERE id = ?'),
    deleteMedia: db.prepare('DELETE FROM cloud_media WHERE id = ?'),
    countLiveDevices: db.prepare('SELECT count(*) AS n FROM devices WHERE user_id = ? AND revoked_at IS NULL'),
    attachMedia: db.prepare('UPDATE cloud_media SET message_id = ?, ttl = ? WHERE id = ? AND message_id IS NULL'),
    openMedia: db.prepare('UPDATE cloud_media SET opened_at = ?, deadline = ? WHERE id = ? AND opened_at IS NULL'),
    dropMessageMedia: db.prepare('DELETE FROM cloud_media WHERE message_id = ? RETURNING id'),
    // One statement, so the claim is atomic even against other processes on the same file.
    claimDueMedia: db.prepare(
      `UPDATE cloud_media SET claimed_by = @node, claimed_at = @now
       WHERE id IN (SELECT id FROM cloud_media
                    WHERE deadline IS NOT NULL AND deadline <= @now AND (claimed_by IS NULL OR claimed_at < @staleBefore)
                    ORDER BY deadline, id LIMIT @limit)
       RETURNING id, message_id, deadline`
    ),
    finishMedia: db.prepare('DELETE FROM cloud_media WHERE id = ? AND claimed_by = ? RETURNING message_id'),
    nextMediaDeadline: db.prepare(
      `SELECT min(CASE WHEN claimed_by IS NULL THEN deadline ELSE max(deadline, claimed_at + ?) END) AS t
       FROM cloud_media WHERE deadline IS NOT NULL`
    ),
    purgeUnattachedMedia: db.prepare('DELETE FROM cloud_media WHERE message_id IS NULL AND created_at < ? RETURNING id'),

    throttleByKey: db.prepare('SELECT * FROM login_throttle WHERE key = ?'),
    upsertThrottle: db.prepare(
      `INSERT INTO login_throttle (key, failures, next_at, last_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, next_at = excluded.next_at, last_at = excluded.last_at`
    ),
    clearThrottle: db.prepare('DELETE FROM login_throttle WHERE key = ?'),
    purgeThrottle: db.prepare('DELETE FROM login_throttle WHERE last_at < ?'),
    rotateKnown: db.prepare('UPDATE known_devices SET token_hash = ? WHERE token_hash = ?'),
    upsertKnown: db.prepare(
      'INSERT INTO known_devices (user_id, token_hash, last_at) VALUES (?, ?, ?) ON CONFLICT (user_id, token_hash) DO UPDATE SET last_at = excluded.last_at'
    ),
    trimKnown: db.prepare(
      `DELETE FROM known_devices WHERE user_id = @userId AND token_hash NOT IN
         (SELECT token_hash FROM known_devices WHERE user_id = @userId ORDER BY last_at DESC, token_hash LIMIT @keep)`
    ),
    knownExists: db.prepare('SELECT 1 AS x FROM known_devices WHERE user_id = ? AND token_hash = ?')
  };

  const get = (stmt: Database.Statement, ...args: unknown[]) => stmt.get(...args) as Row | undefined;
  const all = (stmt: Database.Statement, ...args: unknown[]) => stmt.all(...args) as Row[];

  const appendUpdates = (chat: ChatRow, kind: UpdateKind, data: string): AppendedUpdate[] =>
    members(chat).map((userId) => {
      // Inside the write transaction: nothing can be appended for this user in between.
      const prev = (get(q.latestCursor, userId)?.c as number | null) ?? 0;
      return { userId, prev, cursor: Number(q.insertUpdate.run(userId, kind, chat.id, data).lastInsertRowid) };
    });

  const isUnique = (e: unknown) =>
    e instanceof Database.SqliteError && (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');

  const sendMessageTx = db.transaction((input: SendMessageInput): SendMessageResult => {
    const [a, b] = pair(input.senderId, input.recipientId);
    const existing = get(q.messageById, input.id);
    if (existing) {
      const message = toMessage(existing);
      const chat = toChat(get(q.chatById, message.chatId)!);
      if (message.senderId !== input.senderId || chat.userA !== a || chat.userB !== b) {
        return { ok: false, reason: 'id_conflict' };
      }
      return { ok: true, created: false, chat, message, updates: [] };
    }
    if (input.media) {
      const media = get(q.mediaById, input.media.id);
      if (
        !media ||
        media.owner_user_id !== input.senderId ||
        media.to_user_id !== input.recipientId ||
        media.message_id !== null
      ) {
        return { ok: false, reason: 'media_unavailable' };
      }
    }
    q.insertChat.run(a, b);
    const chatId = get(q.chatByPair, a, b)!.id as number;
    const seq = get(q.bumpSeq, chatId)!.seq as number;
    const message: MessageRow = {
      chatId,
      seq,
      id: input.id,
      senderId: input.senderId,
      senderDeviceId: input.senderDeviceId,
      body: input.body,
      createdAt: input.createdAt,
      deleted: false
    };
    q.insertMessage.run({
      chatId,
      seq,
      id: message.id,
      senderId: message.senderId,
      senderDeviceId: message.senderDeviceId,
      body: message.body,
      createdAt: message.createdAt
    });
    if (input.media) q.attachMedia.run(message.id, input.media.ttl, input.media.id);
    const chat = toChat(get(q.chatById, chatId)!);
    return { ok: true, created: true, chat, message, updates: appendUpdates(chat, 'message', message.id) };
  });

  const markReadTx = db.transaction((chatId: number, readerId: string, seq: number) => {
    const chat = toChat(get(q.chatById, chatId)!);
    const capped = Math.min(seq, chat.nextSeq - 1);
    const current = (get(q.readSeq, chatId, readerId)?.read_seq as number | undefined) ?? 0;
    if (capped <= current) return null;
    q.upsertRead.run(chatId, readerId, capped);
    return { seq: capped, updates: appendUpdates(chat, 'read', JSON.stringify({ readerId, seq: capped })) };
  });

  const deleteTx = db.transaction((chatId: number, ids: string[]) => {
    const chat = toChat(get(q.chatById, chatId)!);
    const done = [...new Set(ids)].filter((id) => get(q.liveMessageInChat, chatId, id) !== undefined);
    const media: string[] = [];
    for (const id of done) {
      q.deleteMessage.run(chatId, id);
      for (const r of all(q.dropMessageMedia, id)) media.push(r.id as string);
    }
    // `media` only when some went (so callers comparing the plain result keep working).
    const extra = media.length ? { media } : {};
    if (done.length === 0) return { ids: done, updates: [], ...extra };
    return { ids: done, updates: appendUpdates(chat, 'delete', JSON.stringify(done)), ...extra };
  });

  const openMediaTx = db.transaction((id: string, now: number) => {
    const r = get(q.mediaById, id);
    if (!r || r.message_id === null) return null;
    const media = toCloudMedia(r);
    if (media.openedAt !== null) return { media, updates: [] as AppendedUpdate[] };
    const deadline = media.ttl > 0 ? now + media.ttl * 1000 : null;
    q.openMedia.run(now, deadline, id);
    const opened: CloudMediaRow = { ...media, openedAt: now, deadline };
    const m = deadline === null ? undefined : get(q.messageById, media.messageId);
    if (!m || (m.deleted as number) !== 0) return { media: opened, updates: [] as AppendedUpdate[] };
    const chat = toChat(get(q.chatById, m.chat_id)!);
    return { media: opened, updates: appendUpdates(chat, 'message', media.messageId!) };
  });

  const finishMediaTx = db.transaction((id: string, node: string) => {
    const r = get(q.finishMedia, id, node);
    if (!r) return { done: false, updates: [] as AppendedUpdate[] };
    const m = r.message_id === null ? undefined : get(q.messageById, r.message_id);
    if (!m || (m.deleted as number) !== 0) return { done: true, updates: [] as AppendedUpdate[] };
    const chat = toChat(get(q.chatById, m.chat_id)!);
    q.deleteMessage.run(chat.id, m.id);
    return { done: true, updates: appendUpdates(chat, 'delete', JSON.stringify([m.id])) };
  });

  const createUserTx = db.transaction((user: UserRow, device: NewDevice) => {
    q.insertUser.run(user);
    q.insertDevice.run(device);
  });

  const putEnvelopeTx = db.transaction((e: NewEnvelope, request?: EnvelopeRequestCtx): PutEnvelopeResult => {
    const existing = get(q.envelopeByKey, e.toDeviceId, e.id);
    if (existing) {
      const env = toEnvelope(existing);
      return env.fromDeviceId === e.fromDeviceId && env.requestId === e.requestId
        ? { ok: true, created: false, envelope: env }
        : { ok: false, reason: 'id_conflict' };
    }
    if (e.requestId !== null) {
      if (!request) throw new Error('putEnvelope: a request envelope needs its target user');
      const r = get(q.requestById, e.requestId);
      if (!r) {
        q.insertRequest.run(e.requestId, e.fromDeviceId, request.toUserId, e.createdAt, e.expiresAt);
      } else {
        const req = toSecretRequest(r);
        if (req.fromDeviceId !== e.fromDeviceId || req.toUserId !== request.toUserId) {
          return { ok: false, reason: 'request_conflict' };
        }
        if (req.withdrawn || req.claimedByDeviceId !== null) return { ok: false, reason: 'request_gone' };
        q.extendRequest.run(e.expiresAt, e.requestId);
      }
    }
    const seq = Number(q.insertEnvelope.run(e).lastInsertRowid);
    return { ok: true, created: true, envelope: { ...e, seq } };
  });

  /**
   * Group commit: envelopes posted in the same turn of the event loop are written in ONE transaction
   * (each in its own savepoint, so one bad envelope fails alone). Every caller still gets its answer
   * only after the commit, so an acknowledged envelope is durable; the saving is one WAL commit per
   * burst instead of one per message.
   */
  type Pending = { e: NewEnvelope; request?: EnvelopeRequestCtx; resolve: (r: PutEnvelopeResult) => void; reject: (err: unknown) => void };
  let pending: Pending[] = [];
  /** Without a request there is only one write, which is atomic by itself: no savepoint needed. */
  const putPlainEnvelope = (e: NewEnvelope): PutEnvelopeResult => {
    const r = get(q.insertEnvelopeIfNew, e);
    if (r) return { ok: true, created: true, envelope: { ...e, seq: r.seq as number } };
    const env = toEnvelope(get(q.envelopeByKey, e.toDeviceId, e.id)!);
    return env.fromDeviceId === e.fromDeviceId && env.requestId === null
      ? { ok: true, created: false, envelope: env }
      : { ok: false, reason: 'id_conflict' };
  };
  const commitBatch = db.transaction((items: Pending[]) =>
    items.map((it) => {
      try {
        const value = it.e.requestId === null ? putPlainEnvelope(it.e) : putEnvelopeTx(it.e, it.request);
        return { ok: true as const, value };
      } catch (err) {
        return { ok: false as const, err };
      }
    })
  );
  const runBatch = () => {
    const items = pending;
    pending = [];
    try {
      const results = commitBatch(items);
      results.forEach((r, i) => (r.ok ? items[i].resolve(r.value) : items[i].reject(r.err)));
    } catch (err) {
      for (const it of items) it.reject(err);
    }
  };
  const groupCommit = (e: NewEnvelope, request?: EnvelopeRequestCtx) =>
    new Promise<PutEnvelopeResult>((resolve, reject) => {
      pending.push({ e, request, resolve, reject });
      if (pending.length === 1) setImmediate(runBatch);
    });

  const claimTx = db.transaction((id: string, userId: string, deviceId: string): ClaimResult => {
    const r = get(q.requestById, id);
    if (!r) return 'not_found';
    const req = toSecretRequest(r);
    if (req.toUserId !== userId) return 'not_found';
    if (req.withdrawn) return 'gone';
    if (req.claimedByDeviceId !== null) return req.claimedByDeviceId === deviceId ? 'already' : 'conflict';
    q.claimRequest.run(deviceId, id);
    q.dropRequestEnvelopesExcept.run(id, deviceId);
    return 'claimed';
  });

  const withdrawTx = db.transaction((id: string, fromDeviceId: string): boolean => {
    const r = get(q.requestById, id);
    if (!r || (r.from_device_id as string) !== fromDeviceId) return false;
    q.withdrawRequest.run(id);
    q.dropRequestEnvelopes.run(id);
    return true;
  });

  const reserveMediaTx = db.transaction((m: NewCloudMedia, quota: number): boolean => {
    if ((get(q.mediaUsage, m.ownerUserId)!.n as number) + m.size > quota) return false;
    q.insertMedia.run(m);
    return true;
  });

  const createDeviceTx = db.transaction((device: NewDevice, maxLive: number): boolean => {
    if ((get(q.countLiveDevices, device.userId)!.n as number) >= maxLive) return false;
    q.insertDevice.run(device);
    return true;
  });

  const createBlobTx = db.transaction((b: BlobRow, quota: number, now: number): boolean => {
    const used = get(q.blobUsage, b.ownerUserId, now)!.n as number;
    if (used + b.size > quota) return false;
    q.insertBlob.run(b);
    return true;
  });

  const purgeEnvelopesTx = db.transaction((now: number): number => {
    const n = q.purgeEnvelopes.run(now).changes;
    q.purgeRequests.run(now);
    return n;
  });

  const takeLoginTx = db.transaction(
    (key: string, now: number, forgetBefore: number, delayMs: (failures: number) => number): LoginAttempt => {
      const r = get(q.throttleByKey, key);
      const live = r !== undefined && (r.last_at as number) >= forgetBefore;
      if (live && (r.next_at as number) > now) return { ok: false, nextAt: r.next_at as number };
      const failures = (live ? (r.failures as number) : 0) + 1;
      q.upsertThrottle.run(key, failures, now + delayMs(failures), now);
      return { ok: true };
    }
  );

  const rememberKnownTx = db.transaction((userId: string, tokenHash: string, replaces: string | null, at: number, keep: number) => {
    if (replaces !== null) q.rotateKnown.run(tokenHash, replaces);
    q.upsertKnown.run(userId, tokenHash, at);
    q.trimKnown.run({ userId, keep });
  });

  const revokeTx = db.transaction((userId: string, deviceId: string, at: number) => {
    if (q.revokeDevice.run(at, deviceId, userId).changes === 0) return false;
    q.dropDeviceEnvelopes.run(deviceId);
    q.deletePushSub.run(deviceId);
    q.dropDeviceWakeups.run(deviceId);
    return true;
  });

  const revokeOthersTx = db.transaction((userId: string, keepDeviceId: string, at: number): string[] =>
    all(q.liveDevices, userId)
      .map((r) => r.id as string)
      .filter((id) => id !== keepDeviceId && revokeTx(userId, id, at))
  );

  const changePasswordTx = db.transaction(
    (userId: string, oldHash: string, newHash: string, keepDeviceId: string, at: number): string[] | null => {
      if (get(q.liveDevice, keepDeviceId, userId) === undefined) return null;
      if (q.setPwHash.run(newHash, userId, oldHash).changes === 0) return null;
      q.forgetKnown.run(userId);
      return revokeOthersTx(userId, keepDeviceId, at);
    }
  );

  const addWakeupsTx = db.transaction((deviceId: string, times: number[], maxPending: number): boolean => {
    const fresh = [...new Set(times)].filter((t) => get(q.wakeupExists, deviceId, t) === undefined);
    if ((get(q.countWakeups, deviceId)!.n as number) + fresh.length > maxPending) return false;
    for (const t of fresh) q.insertWakeup.run(deviceId, t);
    return true;
  });

  const deleteWakeupsTx = db.transaction((ids: number[], node: string) => {
    for (const id of ids) q.deleteWakeup.run(id, node);
  });


  return {
    db,
    migrated,

    async createUser(user, device) {
      try {
        createUserTx(user, device);
      } catch (e) {
        if (isUnique(e)) throw new UniqueViolation('username taken');
        throw e;
      }
    },
    async getUser(id) {
      const r = get(q.userById, id);
      return r ? toUser(r) : null;
    },
    async getUserByName(username) {
      const r = get(q.userByName, username.toLowerCase());
      return r ? toUser(r) : null;
    },
    async searchUsers(prefix, limit) {
      const pattern = prefix.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';
      return all(q.searchUsers, pattern, limit).map(toUser);
    },
    async setDisplayName(userId, displayName) {
      q.setDisplayName.run(displayName, userId);
    },

    async createDevice(device, maxLive) {
      if (maxLive === undefined) {
        q.insertDevice.run(device);
        return true;
      }
      return createDeviceTx(device, maxLive);
    },
    async getDevice(id) {
      const r = get(q.deviceById, id);
      return r ? toDevice(r) : null;
    },
    async getSession(tokenHash) {
      const r = get(q.session, tokenHash);
      return r ? { user: toUser(r), device: toDevice(r, 'd_') } : null;
    },
    async listDevices(userId) {
      return all(q.liveDevices, userId).map((r) => toDevice(r));
    },
    async revokeDevice(userId, deviceId, at) {
      return revokeTx(userId, deviceId, at);
    },
    async touchDevice(deviceId, at) {
      q.touchDevice.run(at, deviceId, at);
    },
    async revokeOtherDevices(userId, keepDeviceId, at) {
      return revokeOthersTx.immediate(userId, keepDeviceId, at);
    },
    async changePassword(userId, oldHash, newHash, keepDeviceId, at) {
      return changePasswordTx.immediate(userId, oldHash, newHash, keepDeviceId, at);
    },

    async getChat(x, y) {
      const r = get(q.chatByPair, ...pair(x, y));
      return r ? toChat(r) : null;
    },
    async sendMessage(input) {
      return sendMessageTx(input);
    },
    async listMessages(chatId, before, limit) {
      return all(q.messagesBefore, chatId, before ?? Number.MAX_SAFE_INTEGER, limit)
        .map((r) => toMessage(r))
        .reverse();
    },
    async listChats(userId) {
      const out: ChatSummaryRow[] = all(q.chatsOf, userId, userId).map((r) => {
        const chat = toChat(r);
        const peerId = chat.userA === userId ? chat.userB : chat.userA;
        const last = get(q.lastMessage, chat.id);
        const myReadSeq = (get(q.readSeq, chat.id, userId)?.read_seq as number | undefined) ?? 0;
        const peerReadSeq =
          peerId === userId ? myReadSeq : ((get(q.readSeq, chat.id, peerId)?.read_seq as number | undefined) ?? 0);
        const unread = get(q.unread, chat.id, myReadSeq, userId)!.n as number;
        return { chat, peerId, lastMessage: last ? toMessage(last) : null, myReadSeq, peerReadSeq, unread };
      });
      // Newest activity first; chats whose messages were all deleted sink to the bottom.
      return out.sort(
        (x, y) => (y.lastMessage?.createdAt ?? -1) - (x.lastMessage?.createdAt ?? -1) || y.chat.id - x.chat.id
      );
    },
    async markRead(chatId, readerId, seq) {
      return markReadTx(chatId, readerId, seq);
    },
    async deleteMessages(chatId, ids) {
      return deleteTx(chatId, ids);
    },
    async listUpdates(userId, after, limit) {
      return all(q.updatesAfter, userId, after, limit).map(toUpdate);
    },
    async getUpdate(cursor) {
      const r = get(q.updateByCursor, cursor);
      return r ? toUpdate(r) : null;
    },
    async latestCursor(userId) {
      return (get(q.latestCursor, userId)?.c as number | null) ?? 0;
    },

    putEnvelope(e, request) {
      return groupCommit(e, request);
    },
    async listEnvelopes(deviceId, after, limit, now) {
      return all(q.envelopesAfter, deviceId, after, now, limit).map(toEnvelope);
    },
    async countEnvelopes(deviceId, now) {
      return get(q.countEnvelopes, deviceId, now)!.n as number;
    },
    async ackEnvelopes(deviceId, upTo) {
      return q.ackEnvelopes.run(deviceId, upTo).changes;
    },
    async purgeExpiredEnvelopes(now) {
      return purgeEnvelopesTx(now);
    },

    async getSecretRequest(id) {
      const r = get(q.requestById, id);
      return r ? toSecretRequest(r) : null;
    },
    async claimSecretRequest(id, userId, deviceId) {
      return claimTx(id, userId, deviceId);
    },
    async withdrawSecretRequest(id, fromDeviceId) {
      return withdrawTx(id, fromDeviceId);
    },

    async createBlob(b, quota, now) {
      return createBlobTx(b, quota, now);
    },
    async getBlob(id, now) {
      const r = get(q.blobById, id, now);
      return r ? toBlob(r) : null;
    },
    async deleteBlob(id) {
      return q.deleteBlob.run(id).changes > 0;
    },
    async blobUsage(userId, now) {
      return get(q.blobUsage, userId, now)!.n as number;
    },
    async purgeExpiredBlobs(now) {
      return all(q.purgeBlobs, now).map((r) => r.id as string);
    },

    async setPushSubscription(sub) {
      q.upsertPushSub.run(sub);
    },
    async getPushSubscription(deviceId) {
      const r = get(q.pushSubByDevice, deviceId);
      return r ? toPushSub(r) : null;
    },
    async deletePushSubscription(deviceId, endpoint) {
      return (endpoint === undefined ? q.deletePushSub.run(deviceId) : q.deletePushSubIf.run(deviceId, endpoint)).changes > 0;
    },
    async addWakeups(deviceId, times, maxPending) {
      return addWakeupsTx(deviceId, times, maxPending);
    },
    async claimWakeups(node, now, dueBy, staleBefore, limit) {
      return all(q.claimWakeups, { node, now, dueBy, staleBefore, limit }).map(toWakeup);
    },
    async deleteWakeups(ids, node) {
      deleteWakeupsTx(ids, node);
    },
    async nextWakeupAt(staleMs, groupMs) {
      return (get(q.nextWakeup, { stale: staleMs, group: groupMs })?.t as number | null) ?? null;
    },

    async createCloudMedia(m) {
      q.insertMedia.run(m);
    },
    async reserveCloudMedia(m, quota) {
      return reserveMediaTx(m, quota);
    },
    async settleCloudMedia(id, size) {
      q.settleMedia.run(size, id);
    },
    async deleteCloudMedia(id) {
      return q.deleteMedia.run(id).changes > 0;
    },
    async cloudMediaUsage(userId) {
      return get(q.mediaUsage, userId)!.n as number;
    },
    async getCloudMedia(id) {
      const r = get(q.mediaById, id);
      return r ? toCloudMedia(r) : null;
    },
    async openCloudMedia(id, now) {
      return openMediaTx(id, now);
    },
    async claimDueMedia(node, now, staleBefore, limit) {
      return all(q.claimDueMedia, { node, now, staleBefore, limit }).map(toDueMedia);
    },
    async finishDueMedia(id, node) {
      return finishMediaTx(id, node);
    },
    async nextMediaDeadline(staleMs) {
      return (get(q.nextMediaDeadline, staleMs)?.t as number | null) ?? null;
    },
    async purgeUnattachedMedia(before) {
      return all(q.purgeUnattachedMedia, before).map((r) => r.id as string);
    },

    async takeLoginAttempt(key, now, forgetBefore, delayMs) {
      // IMMEDIATE: takes the write lock before reading, so processes sharing the file can't both pass.
      return takeLoginTx.immediate(key, now, forgetBefore, delayMs);
    },
    async clearLoginAttempts(key) {
      q.clearThrottle.run(key);
    },
    async purgeLoginAttempts(before) {
      return q.purgeThrottle.run(before).changes;
    },
    async rememberKnownDevice(userId, tokenHash, replaces, at, keep) {
      rememberKnownTx.immediate(userId, tokenHash, replaces, at, keep);
    },
    async isKnownDevice(userId, tokenHash) {
      return get(q.knownExists, userId, tokenHash) !== undefined;
    },

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
