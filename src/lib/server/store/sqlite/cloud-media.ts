/** SQLite: cloud-chat media rows, their quota reservation and self-destruct deadlines. */
import { toChat, toCloudMedia, toDueMedia } from '../rows';
import type { AppendedUpdate, CloudMediaRow, CloudMediaStore, NewCloudMedia } from '../types';
import { all, get, type AppendUpdates, type Db } from './db';

export function sqliteCloudMedia(db: Db, appendUpdates: AppendUpdates): CloudMediaStore {
  const q = {
    insertMedia: db.prepare(
      `INSERT INTO cloud_media (id, owner_user_id, owner_device_id, to_user_id, meta, size, created_at)
       VALUES (@id, @ownerUserId, @ownerDeviceId, @toUserId, @meta, @size, @createdAt)`
    ),
    mediaById: db.prepare('SELECT * FROM cloud_media WHERE id = ?'),
    mediaUsage: db.prepare('SELECT coalesce(sum(size), 0) AS n FROM cloud_media WHERE owner_user_id = ?'),
    settleMedia: db.prepare('UPDATE cloud_media SET size = ? WHERE id = ?'),
    deleteMedia: db.prepare('DELETE FROM cloud_media WHERE id = ?'),
    openMedia: db.prepare('UPDATE cloud_media SET opened_at = ?, deadline = ? WHERE id = ? AND opened_at IS NULL'),
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
    // An upload a scheduled message holds stays (one whose row went some other way, a cascade, does not).
    purgeUnattachedMedia: db.prepare(
      `DELETE FROM cloud_media WHERE message_id IS NULL AND created_at < ?
         AND NOT EXISTS (SELECT 1 FROM scheduled_messages s WHERE s.id = cloud_media.scheduled_id)
       RETURNING id`
    ),
    // The carrying message: its chat gets the update rows; a due deadline deletes it.
    messageById: db.prepare('SELECT * FROM cloud_messages WHERE id = ?'),
    chatById: db.prepare('SELECT * FROM cloud_chats WHERE id = ?'),
    deleteMessage: db.prepare("UPDATE cloud_messages SET deleted = 1, body = X'' WHERE chat_id = ? AND id = ?")
  };

  const reserveMediaTx = db.transaction((m: NewCloudMedia, quota: number): boolean => {
    if ((get(q.mediaUsage, m.ownerUserId)!.n as number) + m.size > quota) return false;
    q.insertMedia.run(m);
    return true;
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

  return {
    async createCloudMedia(m) {
      q.insertMedia.run(m);
    },
    async reserveCloudMedia(m, quota) {
      return reserveMediaTx(m, quota);
    },
    async settleCloudMedia(id, size) {
      return q.settleMedia.run(size, id).changes > 0;
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
    }
  };
}
