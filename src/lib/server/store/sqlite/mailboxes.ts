/** SQLite: sealed receive mailboxes (protocol version 2). */
import { toMailbox } from '../rows';
import type { MailboxRow, MailboxStore, RegisterMailboxesResult } from '../types';
import { get, type Db } from './db';

export function sqliteMailboxes(db: Db): MailboxStore {
  const q = {
    byId: db.prepare('SELECT * FROM mailboxes WHERE id = ?'),
    live: db.prepare('SELECT * FROM mailboxes WHERE id = ? AND expires_at > ?'),
    countLive: db.prepare('SELECT count(*) AS n FROM mailboxes WHERE device_id = ? AND expires_at > ?'),
    upsert: db.prepare(
      `INSERT INTO mailboxes (id, device_id, cap, expires_at) VALUES (@id, @deviceId, @cap, @expiresAt)
       ON CONFLICT (id) DO UPDATE SET device_id = excluded.device_id, cap = excluded.cap, expires_at = excluded.expires_at`
    ),
    extend: db.prepare('UPDATE mailboxes SET expires_at = ? WHERE id = ?'),
    drop: db.prepare('DELETE FROM mailboxes WHERE id = ? AND device_id = ?'),
    purge: db.prepare('DELETE FROM mailboxes WHERE expires_at <= ?')
  };

  const registerTx = db.transaction(
    (deviceId: string, rows: MailboxRow[], sameCap: (id: string, stored: Buffer) => boolean, now: number, maxLive: number): RegisterMailboxesResult => {
      const conflicts: string[] = [];
      let added = 0;
      for (const m of rows) {
        if (m.deviceId !== deviceId) throw new Error('registerMailboxes: a row of another device');
        const r = get(q.byId, m.id);
        const old = r && toMailbox(r);
        // An expired row is as good as gone (the purge just has not run yet): replaced outright.
        if (!old || old.expiresAt <= now) {
          q.upsert.run(m);
          added++;
        } else if (old.deviceId === deviceId && sameCap(m.id, old.cap)) q.extend.run(m.expiresAt, m.id);
        else conflicts.push(m.id);
      }
      // Counted after the writes, so ids listed twice or already held are not counted twice.
      if (added > 0 && (get(q.countLive, deviceId, now)!.n as number) > maxLive) throw new TooMany();
      return { ok: true, conflicts };
    }
  );

  return {
    async registerMailboxes(deviceId, rows, sameCap, now, maxLive) {
      try {
        return registerTx(deviceId, rows, sameCap, now, maxLive);
      } catch (e) {
        // Thrown to roll the whole call back.
        if (e instanceof TooMany) return { ok: false, reason: 'too_many' };
        throw e;
      }
    },
    async dropMailboxes(deviceId, ids) {
      let n = 0;
      db.transaction(() => {
        for (const id of ids) n += q.drop.run(id, deviceId).changes;
      })();
      return n;
    },
    async getMailbox(id, now) {
      const r = get(q.live, id, now);
      return r ? toMailbox(r) : null;
    },
    async purgeExpiredMailboxes(now) {
      return q.purge.run(now).changes;
    }
  };
}

class TooMany extends Error {
  constructor() {
    super('too many mailboxes');
  }
}
