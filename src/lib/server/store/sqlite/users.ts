/** SQLite: accounts. */
import { toUser } from '../rows';
import { UniqueViolation, type NewDevice, type UserRow, type UserStore } from '../types';
import { all, get, isUnique, type Db } from './db';
import { INSERT_DEVICE } from './devices';

export function sqliteUsers(db: Db): UserStore {
  const q = {
    insertUser: db.prepare('INSERT INTO users (id, username, display_name, pw_hash, created_at) VALUES (@id, @username, @displayName, @pwHash, @createdAt)'),
    insertDevice: db.prepare(INSERT_DEVICE),
    userById: db.prepare('SELECT * FROM users WHERE id = ?'),
    userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
    searchUsers: db.prepare("SELECT * FROM users WHERE username LIKE ? ESCAPE '\\' ORDER BY username LIMIT ?"),
    setDisplayName: db.prepare('UPDATE users SET display_name = ? WHERE id = ?')
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
    }
  };
}
