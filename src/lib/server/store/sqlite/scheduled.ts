/** SQLite: scheduled messages of cloud chats (../types.ts ScheduledStore; migration 17). */
import { pair, toChat, toScheduled } from '../rows';
import type { ScheduledRow, ScheduledStore } from '../types';
import { all, get, type AppendUpdates, type Db } from './db';

export function sqliteScheduled(db: Db, appendUpdates: AppendUpdates): ScheduledStore {
  const q = {
    chatById: db.prepare('SELECT * FROM cloud_chats WHERE id = ?'),
    chatByPair: db.prepare('SELECT * FROM cloud_chats WHERE user_a = ? AND user_b = ?'),
    insertChat: db.prepare('INSERT INTO cloud_chats (user_a, user_b) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    byId: db.prepare('SELECT * FROM scheduled_messages WHERE id = ?'),
    messageById: db.prepare('SELECT 1 FROM cloud_messages WHERE id = ?'),
    count: db.prepare('SELECT count(*) AS n FROM scheduled_messages WHERE sender_id = ? AND chat_id = ?'),
    insert: db.prepare(
      `INSERT INTO scheduled_messages (id, chat_id, sender_id, recipient_id, sender_device_id, body, at, created_at)
       VALUES (@id, @chatId, @senderId, @recipientId, @senderDeviceId, @body, @at, @createdAt)`
    ),
    list: db.prepare('SELECT * FROM scheduled_messages WHERE sender_id = ? AND chat_id = ? ORDER BY at, created_at, id'),
    edit: db.prepare(
      'UPDATE scheduled_messages SET body = coalesce(?, body), at = coalesce(?, at), version = version + 1, failed = NULL WHERE id = ? AND sender_id = ? RETURNING *'
    ),
    drop: db.prepare('DELETE FROM scheduled_messages WHERE id = ? AND sender_id = ? RETURNING chat_id'),
    due: db.prepare('SELECT * FROM scheduled_messages WHERE failed IS NULL AND at <= ? ORDER BY at, id LIMIT ?'),
    next: db.prepare('SELECT min(at) AS at FROM scheduled_messages WHERE failed IS NULL'),
    // A new reason replaces an older one (a send now failing again); the same one changes nothing.
    fail: db.prepare('UPDATE scheduled_messages SET failed = ?, version = version + 1 WHERE id = ? AND version = ? AND failed IS NOT ? RETURNING chat_id, sender_id'),
    // The upload a scheduled message carries (migration 20): held for it, and deleted with it.
    holdMedia: db.prepare(
      `UPDATE cloud_media SET scheduled_id = @id
       WHERE id = @mediaId AND owner_user_id = @senderId AND to_user_id = @peerId AND message_id IS NULL AND scheduled_id IS NULL`
    ),
    dropMedia: db.prepare('DELETE FROM cloud_media WHERE scheduled_id = ? AND message_id IS NULL RETURNING id')
  };
  const chatOf = (id: number) => toChat(get(q.chatById, id)!);

  const createTx = db.transaction((row: Omit<ScheduledRow, 'chatId' | 'version' | 'failed'>, peerId: string, max: number, mediaId?: string) => {
    const [a, b] = pair(row.senderId, peerId);
    const had = get(q.byId, row.id);
    const chatRow = get(q.chatByPair, a, b);
    if (had) {
      const r = toScheduled(had);
      return r.senderId === row.senderId && r.chatId === (chatRow?.id as number | undefined) ? { created: false, row: r, updates: [] } : ('id_conflict' as const);
    }
    if (get(q.messageById, row.id)) return 'id_conflict' as const;
    q.insertChat.run(a, b);
    const chat = toChat(get(q.chatByPair, a, b)!);
    if ((get(q.count, row.senderId, chat.id)!.n as number) >= max) return 'too_many' as const;
    if (mediaId !== undefined && q.holdMedia.run({ id: row.id, mediaId, senderId: row.senderId, peerId }).changes === 0) return 'media_unavailable' as const;
    q.insert.run({ ...row, chatId: chat.id });
    return { created: true, row: toScheduled(get(q.byId, row.id)!), updates: appendUpdates(chat, 'scheduled', row.id, row.senderId) };
  });

  const editTx = db.transaction((id: string, senderId: string, change: { body?: Buffer; at?: number }) => {
    const r = get(q.edit, change.body ?? null, change.at ?? null, id, senderId);
    if (!r) return null;
    const row = toScheduled(r);
    return { row, updates: appendUpdates(chatOf(row.chatId), 'scheduled', id, senderId) };
  });

  const deleteTx = db.transaction((id: string, senderId: string) => {
    const r = get(q.drop, id, senderId);
    if (!r) return null;
    const media = all(q.dropMedia, id).map((m) => m.id as string);
    return { updates: appendUpdates(chatOf(r.chat_id as number), 'scheduled', id, senderId), media };
  });

  const failTx = db.transaction((id: string, version: number, reason: string) => {
    const r = get(q.fail, reason, id, version, reason);
    if (!r) return null;
    return { updates: appendUpdates(chatOf(r.chat_id as number), 'scheduled', id, r.sender_id as string) };
  });

  return {
    async createScheduled(row, peerId, max, mediaId) {
      return createTx(row, peerId, max, mediaId);
    },
    async getScheduled(id) {
      const r = get(q.byId, id);
      return r ? toScheduled(r) : null;
    },
    async listScheduled(senderId, chatId) {
      return all(q.list, senderId, chatId).map(toScheduled);
    },
    async editScheduled(id, senderId, change) {
      return editTx(id, senderId, change);
    },
    async deleteScheduled(id, senderId) {
      return deleteTx(id, senderId);
    },
    async dueScheduled(now, limit) {
      return all(q.due, now, limit).map(toScheduled);
    },
    async nextScheduledAt() {
      return (get(q.next)?.at as number | null | undefined) ?? null;
    },
    async failScheduled(id, version, reason) {
      return failTx(id, version, reason);
    }
  };
}
