/** SQLite: accounts. */
import { toUser } from '../rows';
import { UniqueViolation, type LastSeenStore, type NewDevice, type UserRow, type UserStore } from '../types';
import { all, get, isUnique, type Db } from './db';
import { INSERT_DEVICE } from './devices';

export function sqliteUsers(db: Db): UserStore & LastSeenStore {
  const q = {
    insertUser: db.prepare('INSERT INTO users (id, username, display_name, pw_hash, created_at) VALUES (@id, @username, @displayName, @pwHash, @createdAt)'),
    insertDevice: db.prepare(INSERT_DEVICE),
    userById: db.prepare('SELECT * FROM users WHERE id = ?'),
    userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
    searchUsers: db.prepare("SELECT * FROM users WHERE username LIKE ? ESCAPE '\\' ORDER BY username LIMIT ?"),
    setDisplayName: db.prepare('UPDATE users SET display_name = ? WHERE id = ?'),
    setLastSeenAt: db.prepare('UPDATE users SET last_seen_at = ? WHERE id = ? AND deleted_at IS NULL'),
    setLastSeenPrivacy: db.prepare('UPDATE users SET last_seen_privacy = ? WHERE id = ? AND deleted_at IS NULL'),
    cloudPeers: db.prepare(
      'SELECT CASE WHEN user_a = @id THEN user_b ELSE user_a END AS peer FROM cloud_chats WHERE (user_a = @id OR user_b = @id) AND user_a <> user_b AND next_seq > 1 ORDER BY peer'
    )
  };

  const createUserTx = db.transaction((user: UserRow, device: NewDevice) => {
    q.insertUser.run(user);
    q.insertDevice.run(device);
  });

  return {
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
    async setLastSeenAt(userId, at) {
      q.setLastSeenAt.run(at, userId);
    },
    async setLastSeenPrivacy(userId, privacy) {
      return q.setLastSeenPrivacy.run(privacy, userId).changes > 0;
    },
    async cloudPeers(userId) {
      return all(q.cloudPeers, { id: userId }).map((r) => r.peer as string);
    }
  };
}
