/** PostgreSQL: profile photos (../types.ts PhotoStore; migration 18). */
import type pg from 'pg';
import { num, toChat } from '../rows';
import type { AppendedUpdate, PhotoStore } from '../types';
import { all, appendUpdates, one, type Pg } from './db';

/**
 * Each chat partner's log once (a chat with no message yet, made by a scheduled one, tells no one), and
 * mine (through my own chat, made empty if need be: it stays out of every list until a message), in id
 * order (so two announcements take the logs' locks in one order). `only`: that one's log alone.
 */
async function announce(c: pg.PoolClient, userId: string, only?: string): Promise<AppendedUpdate[]> {
  // Before any log lock: a concurrent first message to myself holds this row until its COMMIT.
  if (only === undefined || only === userId) await c.query('INSERT INTO cloud_chats (user_a, user_b) VALUES ($1, $1) ON CONFLICT DO NOTHING', [userId]);
  const chats = (await all(c, 'SELECT * FROM cloud_chats WHERE (user_a = $1 OR user_b = $1) AND (next_seq > 1 OR user_a = user_b)', [userId]))
    .map((r) => toChat(r))
    .map((chat) => ({ chat, peer: chat.userA === userId ? chat.userB : chat.userA }))
    .filter(({ peer }) => only === undefined || peer === only)
    .sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
  const out: AppendedUpdate[] = [];
  for (const { chat, peer } of chats) out.push(...(await appendUpdates(c, chat, 'profile', userId, peer)));
  return out;
}

export function pgPhotos({ pool, tx }: Pg): PhotoStore {
  return {
    async setPhoto(userId, photo) {
      return tx(async (c) => {
        const u = await one(c, 'SELECT photo, photo_version FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE', [userId]);
        if (!u) return { photo: null, updates: [] };
        if (!photo) {
          if (u.photo == null) return { photo: null, updates: [] };
          await c.query('UPDATE users SET photo = NULL WHERE id = $1', [userId]);
          await c.query('DELETE FROM user_photos WHERE user_id = $1', [userId]);
          return { photo: null, updates: await announce(c, userId) };
        }
        const version = num(u.photo_version) + 1;
        await c.query(
          `INSERT INTO user_photos (user_id, version, type, body) VALUES ($1, $2, $3, $4)
           ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, type = excluded.type, body = excluded.body`,
          [userId, version, photo.type, photo.seal(version)]
        );
        await c.query('UPDATE users SET photo = $1, photo_version = $1 WHERE id = $2', [version, userId]);
        return { photo: version, updates: await announce(c, userId) };
      });
    },
    async getPhoto(userId) {
      const r = await one(pool, 'SELECT version, type, body FROM user_photos WHERE user_id = $1', [userId]);
      return r ? { version: num(r.version), type: r.type as string, body: r.body as Buffer } : null;
    },
    async announceProfile(userId, only) {
      return tx((c) => announce(c, userId, only));
    }
  };
}
