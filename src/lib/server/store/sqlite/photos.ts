/** SQLite: profile photos (../types.ts PhotoStore; migration 18). */
import { toChat } from '../rows';
import type { AppendedUpdate, PhotoStore } from '../types';
import { all, get, type AppendUpdates, type Db } from './db';

export function sqlitePhotos(db: Db, appendUpdates: AppendUpdates): PhotoStore {
  const q = {
    user: db.prepare('SELECT photo, photo_version FROM users WHERE id = ? AND deleted_at IS NULL'),
    set: db.prepare('UPDATE users SET photo = ?, photo_version = ? WHERE id = ?'),
    clear: db.prepare('UPDATE users SET photo = NULL WHERE id = ?'),
    put: db.prepare('INSERT OR REPLACE INTO user_photos (user_id, version, type, body) VALUES (?, ?, ?, ?)'),
    drop: db.prepare('DELETE FROM user_photos WHERE user_id = ?'),
    get: db.prepare('SELECT version, type, body FROM user_photos WHERE user_id = ?'),
    // My own chat (Saved Messages) even without a message: my other devices learn my profile through it.
    chatsOf: db.prepare('SELECT * FROM cloud_chats WHERE (user_a = ? OR user_b = ?) AND (next_seq > 1 OR user_a = user_b)'),
    insertSelf: db.prepare('INSERT INTO cloud_chats (user_a, user_b) VALUES (?, ?) ON CONFLICT DO NOTHING')
  };

  /**
   * Each chat partner's log once (a chat with no message yet, made by a scheduled one, tells no one), and
   * mine (through my own chat, made empty if need be: it stays out of every list until a message), in id
   * order (the PostgreSQL store locks them in that order). `only`: that one's log alone.
   */
  const announce = (userId: string, only?: string): AppendedUpdate[] => {
    if (only === undefined || only === userId) q.insertSelf.run(userId, userId);
    return all(q.chatsOf, userId, userId)
      .map((r) => toChat(r))
      .map((chat) => ({ chat, peer: chat.userA === userId ? chat.userB : chat.userA }))
      .filter(({ peer }) => only === undefined || peer === only)
      .sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
      .flatMap(({ chat, peer }) => appendUpdates(chat, 'profile', userId, peer));
  };

  const setTx = db.transaction((userId: string, photo: { type: string; seal: (version: number) => Buffer } | null) => {
    const u = get(q.user, userId);
    if (!u) return { photo: null, updates: [] };
    if (!photo) {
      if (u.photo == null) return { photo: null, updates: [] };
      q.clear.run(userId);
      q.drop.run(userId);
      return { photo: null, updates: announce(userId) };
    }
    const version = (u.photo_version as number) + 1;
    q.put.run(userId, version, photo.type, photo.seal(version));
    q.set.run(version, version, userId);
    return { photo: version, updates: announce(userId) };
  });

  return {
    async setPhoto(userId, photo) {
      return setTx.immediate(userId, photo);
    },
    async getPhoto(userId) {
      const r = get(q.get, userId);
      return r ? { version: r.version as number, type: r.type as string, body: r.body as Buffer } : null;
    },
    async announceProfile(userId, only) {
      return db.transaction(() => announce(userId, only)).immediate();
    }
  };
}
