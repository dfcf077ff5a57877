/** PostgreSQL: cloud-chat media rows, their quota reservation and self-destruct deadlines. */
import { num, toCloudMedia, toDueMedia } from '../rows';
import type { AppendedUpdate, CloudMediaRow, CloudMediaStore } from '../types';
import { all, appendUpdates, LOCK, lockedChat, one, type Pg } from './db';

export function pgCloudMedia({ pool, tx }: Pg): CloudMediaStore {
  return {
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
      return ((await pool.query('UPDATE cloud_media SET size = $1 WHERE id = $2', [size, id])).rowCount ?? 0) > 0;
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
        const pre = await one(c, 'SELECT m.chat_id FROM cloud_media x JOIN cloud_messages m ON m.id = x.message_id WHERE x.id = $1 AND NOT m.deleted', [id]);
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
        const hit = await c.query(`UPDATE cloud_messages SET deleted = TRUE, body = ''::bytea WHERE id = $1 AND NOT deleted`, [r.message_id]);
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
      // An upload a scheduled message holds stays (one whose row went some other way, a cascade, does not).
      const sql = `DELETE FROM cloud_media WHERE message_id IS NULL AND created_at < $1
                     AND NOT EXISTS (SELECT 1 FROM scheduled_messages s WHERE s.id = cloud_media.scheduled_id)
                   RETURNING id`;
      return (await all(pool, sql, [before])).map((r) => r.id as string);
    }
  };
}
