/** PostgreSQL: sealed receive mailboxes (protocol version 2). */
import { toMailbox } from '../rows';
import type { MailboxStore, RegisterMailboxesResult } from '../types';
import { one, type Pg } from './db';

export function pgMailboxes({ pool, tx }: Pg): MailboxStore {
  return {
    async registerMailboxes(deviceId, rows, sameCap, now) {
      if (rows.some((m) => m.deviceId !== deviceId)) throw new Error('registerMailboxes: a row of another device');
      // Sorted, so two calls locking the same ids cannot deadlock.
      const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return tx<RegisterMailboxesResult>(async (c) => {
        for (const m of sorted) {
          // Creates the row or locks the existing one; either way it is ours to look at until COMMIT.
          const inserted = await c.query('INSERT INTO mailboxes (id, device_id, cap, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [
            m.id,
            deviceId,
            m.cap,
            m.expiresAt
          ]);
          if (inserted.rowCount === 1) continue;
          const old = toMailbox((await one(c, 'SELECT * FROM mailboxes WHERE id = $1 FOR UPDATE', [m.id]))!);
          // An expired row is as good as gone (the purge just has not run yet): replaced outright.
          if (old.expiresAt <= now) {
            await c.query('UPDATE mailboxes SET device_id = $2, cap = $3, expires_at = $4 WHERE id = $1', [m.id, deviceId, m.cap, m.expiresAt]);
          } else if (old.deviceId === deviceId && sameCap(m.id, old.cap)) {
            await c.query('UPDATE mailboxes SET expires_at = $2 WHERE id = $1', [m.id, m.expiresAt]);
          } else throw new Conflict(m.id); // rolls the whole call back
        }
        return { ok: true };
      }, true).catch((e: unknown) => {
        if (e instanceof Conflict) return { ok: false, conflict: e.id };
        throw e;
      });
    },
    async dropMailboxes(deviceId, ids) {
      return (await pool.query('DELETE FROM mailboxes WHERE device_id = $1 AND id = ANY($2::text[])', [deviceId, ids])).rowCount ?? 0;
    },
    async getMailbox(id, now) {
      const r = await one(pool, 'SELECT * FROM mailboxes WHERE id = $1 AND expires_at > $2', [id, now]);
      return r ? toMailbox(r) : null;
    },
    async purgeExpiredMailboxes(now) {
      return (await pool.query('DELETE FROM mailboxes WHERE expires_at <= $1', [now])).rowCount ?? 0;
    }
  };
}

class Conflict extends Error {
  constructor(readonly id: string) {
    super(`mailbox ${id} conflicts`);
  }
}
