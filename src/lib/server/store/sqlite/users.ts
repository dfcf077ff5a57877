/** SQLite: accounts. */
import { toUser } from '../rows';
import { UniqueViolation, type LastSeenStore, type NewDevice, type UserRow, type UserStore } from '../types';
import { all, get, isUnique, type Db } from './db';
import { INSERT_DEVICE } from './devices';

/** `@id`'s cloud peers (a chat with a message in it, not with oneself) as `peer`. */
const PEERS =
  'SELECT CASE WHEN user_a = @id THEN user_b ELSE user_a END AS peer FROM cloud_chats WHERE (user_a = @id OR user_b = @id) AND user_a <> user_b AND next_seq > 1';

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
    cloudPeers: db.prepare(`${PEERS} ORDER BY peer`),
    // A list of ids is one JSON array parameter (json_each): one statement whatever its length.
    usersIn: db.prepare('SELECT * FROM users WHERE id IN (SELECT value FROM json_each(?))'),
    blocksWith: db.prepare(
      'SELECT blocker_id, blocked_id FROM user_blocks WHERE (blocker_id = @id AND blocked_id IN (SELECT value FROM json_each(@ids))) OR (blocked_id = @id AND blocker_id IN (SELECT value FROM json_each(@ids)))'
    ),
    sharedChats: db.prepare(`SELECT peer FROM (${PEERS}) WHERE peer IN (SELECT value FROM json_each(@ids))`),
    peerAudience: db.prepare(
      `SELECT p.peer, coalesce(u.last_seen_privacy, 'chats') = 'nobody' AS hides,
              EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = @id AND b.blocked_id = p.peer) AS blocked
       FROM (${PEERS}) p JOIN users u ON u.id = p.peer WHERE u.deleted_at IS NULL ORDER BY p.peer`
    ),
    refreshLastSeen: db.prepare(
      'UPDATE users SET last_seen_at = @at WHERE id IN (SELECT value FROM json_each(@ids)) AND deleted_at IS NULL AND (last_seen_at IS NULL OR last_seen_at < @at)'
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
    },
    async getUsers(ids) {
      return ids.length ? all(q.usersIn, JSON.stringify(ids)).map(toUser) : [];
    },
    async blocksWith(userId, others) {
      const rows = others.length ? all(q.blocksWith, { id: userId, ids: JSON.stringify(others) }) : [];
      return {
        blockedBy: rows.filter((r) => r.blocked_id === userId).map((r) => r.blocker_id as string),
        blocked: rows.filter((r) => r.blocker_id === userId).map((r) => r.blocked_id as string)
      };
    },
    async sharedChats(userId, others) {
      return others.length ? all(q.sharedChats, { id: userId, ids: JSON.stringify(others) }).map((r) => r.peer as string) : [];
    },
    async peerAudience(userId) {
      return all(q.peerAudience, { id: userId }).map((r) => ({ peerId: r.peer as string, hidesOwn: !!r.hides, blockedByUser: !!r.blocked }));
    },
    async refreshLastSeen(userIds, at) {
      return userIds.length ? q.refreshLastSeen.run({ at, ids: JSON.stringify(userIds) }).changes : 0;
    }
  };
}
