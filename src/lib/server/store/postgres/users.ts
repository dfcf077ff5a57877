/** PostgreSQL: accounts. */
import { toUser } from '../rows';
import { UniqueViolation, type LastSeenStore, type UserStore } from '../types';
import { all, isUnique, one, type Pg } from './db';
import { deviceArgs, INSERT_DEVICE } from './devices';

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
      const rows = await all(
        pool,
        'SELECT CASE WHEN user_a = $1 THEN user_b ELSE user_a END AS peer FROM cloud_chats WHERE (user_a = $1 OR user_b = $1) AND user_a <> user_b AND next_seq > 1 ORDER BY peer',
        [userId]
      );
      return rows.map((r) => r.peer as string);
    }
  };
}
