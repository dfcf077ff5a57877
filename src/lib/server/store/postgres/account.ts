/** PostgreSQL: account deletion (one transaction), the username quarantine, auto-delete and secret-chat contacts. */
import { num, pair, toChat, toEnvelope } from '../rows';
import type { AccountStore, AppendedUpdate, EnvelopeRow } from '../types';
import { DELETE_BATCH, DELETED_NAME, tombstoneName } from '../tombstone';
import { all, appendUpdates, LOCK, one, type Pg } from './db';

export function pgAccount({ pool, tx }: Pg): AccountStore {
  return {
    async deleteAccount(userId, at, usernameFreeAt, notice) {
      return tx(async (c) => {
        // The row lock makes a second deletion (another node's sweep) wait here, then find it deleted.
        const user = await one(c, 'SELECT username, photo FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE', [userId]);
        if (!user) return null;
        const devices = await all(c, 'SELECT id, revoked_at FROM devices WHERE user_id = $1 ORDER BY id FOR UPDATE', [userId]);
        const ids = devices.map((d) => d.id as string);
        const liveDeviceIds = devices.filter((d) => d.revoked_at === null).map((d) => d.id as string);
        await c.query("UPDATE devices SET revoked_at = coalesce(revoked_at, $1), name = '' WHERE user_id = $2", [at, userId]);

        // Chat rows first (the lock order: chat rows, then user locks, then device locks).
        const chats = (await all(c, 'SELECT * FROM cloud_chats WHERE user_a = $1 OR user_b = $1 ORDER BY id FOR UPDATE', [userId])).map((r) => toChat(r));
        const updates: AppendedUpdate[] = [];
        const media: string[] = [];
        for (const chat of chats) {
          // Its photo leaves the peers' devices too (a 'profile' update, served as the deleted account's).
          const peer = chat.userA === userId ? chat.userB : chat.userA;
          if (user.photo != null && peer !== userId && chat.nextSeq > 1) updates.push(...(await appendUpdates(c, chat, 'profile', userId, peer)));
          const gone = (
            await all(c, "UPDATE cloud_messages SET deleted = TRUE, body = ''::bytea WHERE chat_id = $1 AND sender_id = $2 AND deleted = FALSE RETURNING id", [
              chat.id,
              userId
            ])
          ).map((m) => m.id as string);
          // Its reactions to the messages that stay (the peer's); those on its own went with them (a trigger).
          const unreacted = await all(
            c,
            'DELETE FROM cloud_reactions WHERE user_id = $1 AND message_id IN (SELECT id FROM cloud_messages WHERE chat_id = $2) RETURNING message_id',
            [userId, chat.id]
          );
          for (const r of unreacted) updates.push(...(await appendUpdates(c, chat, 'react', r.message_id as string)));
          // Its pins of the peer's messages too (those of its own go with them, a trigger): one 'pin' update tells the pins now.
          const unpinned = await all(c, 'DELETE FROM cloud_pins WHERE pinned_by = $1 AND chat_id = $2 RETURNING message_id', [userId, chat.id]);
          if (unpinned.length) updates.push(...(await appendUpdates(c, chat, 'pin', unpinned[0].message_id as string)));
          if (gone.length === 0) continue;
          for (const m of await all(c, 'DELETE FROM cloud_media WHERE message_id = ANY($1::text[]) RETURNING id', [gone])) media.push(m.id as string);
          for (let i = 0; i < gone.length; i += DELETE_BATCH) {
            updates.push(...(await appendUpdates(c, chat, 'delete', JSON.stringify(gone.slice(i, i + DELETE_BATCH)))));
          }
        }
        for (const m of await all(c, 'DELETE FROM cloud_media WHERE owner_user_id = $1 RETURNING id', [userId])) media.push(m.id as string);
        const blobs = (await all(c, 'DELETE FROM blobs WHERE owner_user_id = $1 OR to_device_id = ANY($2::text[]) RETURNING id', [userId, ids])).map(
          (b) => b.id as string
        );

        // Peers to tell, before the contact rows go.
        const peers = (
          await all(
            c,
            `SELECT c.device_a AS mine, c.device_b AS peer FROM secret_contacts c JOIN devices d ON d.id = c.device_b
               WHERE c.device_a = ANY($1::text[]) AND d.revoked_at IS NULL AND NOT (c.device_b = ANY($1::text[]))
             UNION
             SELECT c.device_b AS mine, c.device_a AS peer FROM secret_contacts c JOIN devices d ON d.id = c.device_a
               WHERE c.device_b = ANY($1::text[]) AND d.revoked_at IS NULL AND NOT (c.device_a = ANY($1::text[]))`,
            [ids]
          )
        ).map((r) => [r.mine as string, r.peer as string] as const);
        await c.query('DELETE FROM envelopes WHERE to_device_id = ANY($1::text[]) OR from_user_id = $2', [ids, userId]);
        await c.query('DELETE FROM secret_requests WHERE to_user_id = $1 OR from_device_id = ANY($2::text[])', [userId, ids]);
        await c.query('DELETE FROM push_subscriptions WHERE device_id = ANY($1::text[])', [ids]);
        await c.query('DELETE FROM wakeups WHERE device_id = ANY($1::text[])', [ids]);
        await c.query('DELETE FROM secret_contacts WHERE device_a = ANY($1::text[]) OR device_b = ANY($1::text[])', [ids]);
        await c.query('DELETE FROM mailboxes WHERE device_id = ANY($1::text[])', [ids]);
        await c.query('DELETE FROM known_devices WHERE user_id = $1', [userId]);
        await c.query('DELETE FROM scheduled_messages WHERE sender_id = $1', [userId]);
        await c.query('DELETE FROM user_updates WHERE user_id = $1', [userId]);
        await c.query('DELETE FROM cloud_chat_settings WHERE user_id = $1', [userId]);
        // Both sides of its blocks; those who had blocked it are told their list changed.
        await c.query('DELETE FROM user_blocks WHERE blocker_id = $1', [userId]);
        const blockedBy = (await all(c, 'DELETE FROM user_blocks WHERE blocked_id = $1 RETURNING blocker_id', [userId])).map((r) => r.blocker_id as string);

        // Each recipient's device lock before its seq is drawn (sorted: two deletions cannot deadlock).
        const notices: EnvelopeRow[] = [];
        for (const [from, to] of [...peers].sort((x, y) => (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0))) {
          await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.device, to]);
          const e = notice(from, to);
          const r = await one(
            c,
            `INSERT INTO envelopes (id, to_device_id, from_device_id, from_user_id, body, created_at, expires_at, request_id, notice)
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 'account_deleted') ON CONFLICT (to_device_id, id) DO NOTHING RETURNING *`,
            [e.id, e.toDeviceId, e.fromDeviceId, e.fromUserId, e.body, e.createdAt, e.expiresAt]
          );
          if (r) notices.push(toEnvelope(r));
        }
        await c.query("UPDATE users SET deleted_at = $1, username = $2, display_name = $3, pw_hash = '!', away_months = 0, photo = NULL WHERE id = $4", [
          at,
          tombstoneName(userId),
          DELETED_NAME,
          userId
        ]);
        await c.query('DELETE FROM user_photos WHERE user_id = $1', [userId]);
        await c.query(
          `INSERT INTO username_quarantine (username, free_at) VALUES ($1, $2)
           ON CONFLICT (username) DO UPDATE SET free_at = GREATEST(username_quarantine.free_at, excluded.free_at)`,
          [user.username, usernameFreeAt]
        );
        return { liveDeviceIds, updates: updates.filter((u) => u.userId !== userId), media, blobs, notices, blockedBy };
      });
    },
    async usernameQuarantine(username, now) {
      const r = await one(pool, 'SELECT free_at FROM username_quarantine WHERE username = $1 AND free_at > $2', [username.toLowerCase(), now]);
      return r ? num(r.free_at) : null;
    },
    async purgeUsernameQuarantine(now) {
      return (await pool.query('DELETE FROM username_quarantine WHERE free_at <= $1', [now])).rowCount ?? 0;
    },
    async getAutoDelete(userId) {
      return num((await one(pool, 'SELECT away_months FROM users WHERE id = $1 AND deleted_at IS NULL', [userId]))?.away_months);
    },
    async setAutoDelete(userId, months) {
      await pool.query('UPDATE users SET away_months = $1 WHERE id = $2 AND deleted_at IS NULL', [months, userId]);
    },
    async listAwayUsers(now, monthMs, limit) {
      const rows = await all(
        pool,
        `SELECT u.id FROM users u
         WHERE u.away_months > 0 AND u.deleted_at IS NULL
           AND GREATEST(u.created_at, coalesce((SELECT max(d.last_seen_at) FROM devices d WHERE d.user_id = u.id), 0)) < $1 - u.away_months::bigint * $2
         ORDER BY u.id LIMIT $3`,
        [now, monthMs, limit]
      );
      return rows.map((r) => r.id as string);
    },
    async noteSecretContact(deviceA, deviceB, at) {
      if (deviceA === deviceB) return;
      await pool.query(
        `INSERT INTO secret_contacts (device_a, device_b, last_at) VALUES ($1, $2, $3)
         ON CONFLICT (device_a, device_b) DO UPDATE SET last_at = GREATEST(secret_contacts.last_at, excluded.last_at)`,
        [...pair(deviceA, deviceB), at]
      );
    }
  };
}
