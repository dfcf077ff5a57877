/** PostgreSQL: accounts. */
import { toUser } from '../rows';
import { UniqueViolation, type LastSeenStore, type UserStore } from '../types';
import { all, isUnique, one, type Pg } from './db';
import { deviceArgs, INSERT_DEVICE } from './devices';

/** `$1`'s cloud peers (a chat with a message in it, not with oneself) as `peer`. */
const PEERS =
  'SELECT CASE WHEN user_a = $1 THEN user_b ELSE user_a END AS peer FROM cloud_chats WHERE (user_a = $1 OR user_b = $1) AND user_a <> user_b AND next_seq > 1';

export function pgUsers({ pool, tx }: Pg): UserStore & LastSeenStore {
  return {
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
      return (await all(pool, "SELECT * FROM users WHERE username LIKE $1 ESCAPE '\\' ORDER BY username LIMIT $2", [pattern, limit])).map(toUser);
    },
    async setDisplayName(userId, displayName) {
      await pool.query('UPDATE users SET display_name = $1 WHERE id = $2', [displayName, userId]);
    },
    async setLastSeenAt(userId, at) {
      await pool.query('UPDATE users SET last_seen_at = $1 WHERE id = $2 AND deleted_at IS NULL', [at, userId]);
    },
    async setLastSeenPrivacy(userId, privacy) {
      return ((await pool.query('UPDATE users SET last_seen_privacy = $1 WHERE id = $2 AND deleted_at IS NULL', [privacy, userId])).rowCount ?? 0) > 0;
    },
    async cloudPeers(userId) {
      return (await all(pool, `${PEERS} ORDER BY peer`, [userId])).map((r) => r.peer as string);
    },
    async getUsers(ids) {
      return ids.length ? (await all(pool, 'SELECT * FROM users WHERE id = ANY($1::text[])', [ids])).map(toUser) : [];
    },
    async blocksWith(userId, others) {
      const rows = others.length
        ? await all(
            pool,
            'SELECT blocker_id, blocked_id FROM user_blocks WHERE (blocker_id = $1 AND blocked_id = ANY($2::text[])) OR (blocked_id = $1 AND blocker_id = ANY($2::text[]))',
            [userId, others]
          )
        : [];
      return {
        blockedBy: rows.filter((r) => r.blocked_id === userId).map((r) => r.blocker_id as string),
        blocked: rows.filter((r) => r.blocker_id === userId).map((r) => r.blocked_id as string)
      };
    },
    async sharedChats(userId, others) {
      return others.length ? (await all(pool, `SELECT peer FROM (${PEERS}) p WHERE peer = ANY($2::text[])`, [userId, others])).map((r) => r.peer as string) : [];
    },
    async peerAudience(userId) {
      const rows = await all(
        pool,
        `SELECT p.peer, coalesce(u.last_seen_privacy, 'chats') = 'nobody' AS hides,
                EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = $1 AND b.blocked_id = p.peer) AS blocked
         FROM (${PEERS}) p JOIN users u ON u.id = p.peer WHERE u.deleted_at IS NULL ORDER BY p.peer`,
        [userId]
      );
      return rows.map((r) => ({ peerId: r.peer as string, hidesOwn: !!r.hides, blockedByUser: !!r.blocked }));
    },
    async refreshLastSeen(userIds, at) {
      if (!userIds.length) return 0;
      const r = await pool.query('UPDATE users SET last_seen_at = $1 WHERE id = ANY($2::text[]) AND deleted_at IS NULL AND (last_seen_at IS NULL OR last_seen_at < $1)', [
        at,
        userIds
      ]);
      return r.rowCount ?? 0;
    }
  };
}
