/** PostgreSQL: sealed receive mailboxes (protocol version 2). */
import { num, toMailbox } from '../rows';
import type { MailboxStore, RegisterMailboxesResult } from '../types';
import { LOCK, one, type Pg } from './db';

export function pgMailboxes({ pool, tx }: Pg): MailboxStore {
  return {
    async registerMailboxes(deviceId, rows, sameCap, now, maxLive) {
      if (rows.some((m) => m.deviceId !== deviceId)) throw new Error('registerMailboxes: a row of another device');
      // Sorted, so two calls locking the same ids cannot deadlock.
      const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const insert = 'INSERT INTO mailboxes (id, device_id, cap, expires_at) VALUES ($1, $2, $3, $4)';
      return tx<RegisterMailboxesResult>(async (c) => {
        // Per-device lock: the cap holds exactly even with several nodes registering for one device.
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.mailboxes, deviceId]);
        const conflicts = new Set<string>();
        let added = 0;
        for (const m of sorted) {
          const values = [m.id, deviceId, m.cap, m.expiresAt];
          // Creates the row or locks the existing one; either way it is ours to look at until COMMIT.
          if ((await c.query(`${insert} ON CONFLICT (id) DO NOTHING`, values)).rowCount === 1) {
            added++;
            continue;
          }
          const r = await one(c, 'SELECT * FROM mailboxes WHERE id = $1 FOR UPDATE', [m.id]);
          if (!r) {
            // Dropped or purged meanwhile: insert it after all (a unique violation retries the call).
            await c.query(insert, values);
            added++;
            continue;
          }
          const old = toMailbox(r);
          // An expired row is as good as gone (the purge just has not run yet): replaced outright.
          if (old.expiresAt <= now) {
            await c.query('UPDATE mailboxes SET device_id = $2, cap = $3, expires_at = $4 WHERE id = $1', values);
            added++;
          } else if (old.deviceId === deviceId && sameCap(m.id, old.cap)) {
            await c.query('UPDATE mailboxes SET expires_at = $2 WHERE id = $1', [m.id, m.expiresAt]);
          } else conflicts.add(m.id);
        }
        if (added > 0) {
          const n = num((await one(c, 'SELECT count(*) AS n FROM mailboxes WHERE device_id = $1 AND expires_at > $2', [deviceId, now]))!.n);
          if (n > maxLive) throw new TooMany(); // rolls the whole call back
        }
        return { ok: true, conflicts: rows.filter((m) => conflicts.has(m.id)).map((m) => m.id) };
      }, true).catch((e: unknown) => {
        if (e instanceof TooMany) return { ok: false, reason: 'too_many' } as const;
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

class TooMany extends Error {
  constructor() {
    super('too many mailboxes');
  }
}
