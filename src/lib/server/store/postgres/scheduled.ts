/**
 * PostgreSQL: scheduled messages of cloud chats (../types.ts ScheduledStore; migration 17). A row is
 * sent by deleting it inside the send's transaction (./cloud.ts sendMessage): of several nodes sending
 * it at once, one deletes it and the others wait on its row lock, then find it gone.
 */
import { num, pair, toChat, toScheduled } from '../rows';
import type { ScheduledStore } from '../types';
import { all, appendUpdates, one, type Pg } from './db';

export function pgScheduled({ pool, tx }: Pg): ScheduledStore {
  const chatOf = async (c: Parameters<Parameters<Pg['tx']>[0]>[0], id: number) => toChat((await one(c, 'SELECT * FROM cloud_chats WHERE id = $1', [id]))!);
  return {
    async createScheduled(row, peerId, max, mediaId) {
      const [a, b] = pair(row.senderId, peerId);
      return tx(async (c) => {
        const had = await one(c, 'SELECT * FROM scheduled_messages WHERE id = $1', [row.id]);
        if (had) {
          const r = toScheduled(had);
          const chat = await one(c, 'SELECT id FROM cloud_chats WHERE user_a = $1 AND user_b = $2', [a, b]);
          return r.senderId === row.senderId && chat && num(chat.id) === r.chatId ? { created: false, row: r, updates: [] } : ('id_conflict' as const);
        }
        if (await one(c, 'SELECT 1 FROM cloud_messages WHERE id = $1', [row.id])) return 'id_conflict' as const;
        // The chat row, created if need be and locked: it serialises this chat's count below.
        await c.query('INSERT INTO cloud_chats (user_a, user_b) VALUES ($1, $2) ON CONFLICT DO NOTHING', [a, b]);
        const chat = toChat((await one(c, 'SELECT * FROM cloud_chats WHERE user_a = $1 AND user_b = $2 FOR UPDATE', [a, b]))!);
        const n = num((await one(c, 'SELECT count(*) AS n FROM scheduled_messages WHERE sender_id = $1 AND chat_id = $2', [row.senderId, chat.id]))?.n);
        if (n >= max) return 'too_many' as const;
        // The upload it carries (migration 20): held for it, and deleted with it.
        if (mediaId !== undefined) {
          const held = await c.query(
            `UPDATE cloud_media SET scheduled_id = $1
             WHERE id = $2 AND owner_user_id = $3 AND to_user_id = $4 AND message_id IS NULL AND scheduled_id IS NULL`,
            [row.id, mediaId, row.senderId, peerId]
          );
          if (!held.rowCount) return 'media_unavailable' as const;
        }
        const r = await one(
          c,
          `INSERT INTO scheduled_messages (id, chat_id, sender_id, recipient_id, sender_device_id, body, at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
          [row.id, chat.id, row.senderId, peerId, row.senderDeviceId, row.body, row.at, row.createdAt]
        );
        return { created: true, row: toScheduled(r!), updates: await appendUpdates(c, chat, 'scheduled', row.id, row.senderId) };
      }, true);
    },
    async getScheduled(id) {
      const r = await one(pool, 'SELECT * FROM scheduled_messages WHERE id = $1', [id]);
      return r ? toScheduled(r) : null;
    },
    async listScheduled(senderId, chatId) {
      return (await all(pool, 'SELECT * FROM scheduled_messages WHERE sender_id = $1 AND chat_id = $2 ORDER BY at, created_at, id', [senderId, chatId])).map(toScheduled);
    },
    async editScheduled(id, senderId, change) {
      return tx(async (c) => {
        const r = await one(
          c,
          `UPDATE scheduled_messages SET body = coalesce($1, body), at = coalesce($2, at), version = version + 1, failed = NULL
           WHERE id = $3 AND sender_id = $4 RETURNING *`,
          [change.body ?? null, change.at ?? null, id, senderId]
        );
        if (!r) return null;
        const row = toScheduled(r);
        return { row, updates: await appendUpdates(c, await chatOf(c, row.chatId), 'scheduled', id, senderId) };
      });
    },
    async deleteScheduled(id, senderId) {
      return tx(async (c) => {
        const r = await one(c, 'DELETE FROM scheduled_messages WHERE id = $1 AND sender_id = $2 RETURNING chat_id', [id, senderId]);
        if (!r) return null;
        const media = (await all(c, 'DELETE FROM cloud_media WHERE scheduled_id = $1 AND message_id IS NULL RETURNING id', [id])).map((m) => m.id as string);
        return { updates: await appendUpdates(c, await chatOf(c, num(r.chat_id)), 'scheduled', id, senderId), media };
      });
    },
    async dueScheduled(now, limit) {
      return (await all(pool, 'SELECT * FROM scheduled_messages WHERE failed IS NULL AND at <= $1 ORDER BY at, id LIMIT $2', [now, limit])).map(toScheduled);
    },
    async nextScheduledAt() {
      const r = await one(pool, 'SELECT min(at) AS at FROM scheduled_messages WHERE failed IS NULL');
      return r?.at == null ? null : num(r.at);
    },
    async failScheduled(id, version, reason) {
      return tx(async (c) => {
        const r = await one(
          c,
          // A new reason replaces an older one (a send now failing again); the same one changes nothing.
          'UPDATE scheduled_messages SET failed = $1, version = version + 1 WHERE id = $2 AND version = $3 AND failed IS DISTINCT FROM $1 RETURNING chat_id, sender_id',
          [reason, id, version]
        );
        if (!r) return null;
        return { updates: await appendUpdates(c, await chatOf(c, num(r.chat_id)), 'scheduled', id, r.sender_id as string) };
      });
    }
  };
}
