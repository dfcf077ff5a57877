/** PostgreSQL: Web Push subscriptions and self-destruct wake-ups (claimed with SKIP LOCKED, see WakeupStore). */
import { num, toPushSub, toWakeup } from '../rows';
import type { PushStore, WakeupStore } from '../types';
import { all, LOCK, one, type Pg } from './db';

export function pgPush({ pool, tx }: Pg): PushStore & WakeupStore {
  return {
    async setPushSubscription(sub) {
      await pool.query(
        `INSERT INTO push_subscriptions (device_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (device_id) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh,
           auth = excluded.auth, created_at = excluded.created_at`,
        [sub.deviceId, sub.endpoint, sub.p256dh, sub.auth, sub.createdAt]
      );
    },
    async getPushSubscription(deviceId) {
      const r = await one(pool, 'SELECT * FROM push_subscriptions WHERE device_id = $1', [deviceId]);
      return r ? toPushSub(r) : null;
    },
    async deletePushSubscription(deviceId, endpoint) {
      const r =
        endpoint === undefined
          ? await pool.query('DELETE FROM push_subscriptions WHERE device_id = $1', [deviceId])
          : await pool.query('DELETE FROM push_subscriptions WHERE device_id = $1 AND endpoint = $2', [deviceId, endpoint]);
      return (r.rowCount ?? 0) > 0;
    },
    async addWakeups(deviceId, times, maxPending) {
      const wanted = [...new Set(times)];
      return tx(async (c) => {
        // Per-device lock: the cap holds exactly even with several nodes adding at once.
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.wakeups, deviceId]);
        const existing = new Set((await all(c, 'SELECT at FROM wakeups WHERE device_id = $1', [deviceId])).map((r) => num(r.at)));
        const fresh = wanted.filter((t) => !existing.has(t));
        if (existing.size + fresh.length > maxPending) return false;
        if (fresh.length > 0) {
          await c.query(
            `INSERT INTO wakeups (device_id, at) SELECT $1, t FROM unnest($2::bigint[]) AS t
             ON CONFLICT (device_id, at) DO NOTHING`,
            [deviceId, fresh]
          );
        }
        return true;
      });
    },
    async claimWakeups(node, now, dueBy, staleBefore, limit) {
      // SKIP LOCKED: concurrent claimers on other nodes take disjoint rows instead of waiting; the
      // re-check in the outer WHERE (after the row lock) keeps a just-claimed row from being taken twice.
      const rows = await all(
        pool,
        `UPDATE wakeups w SET claimed_by = $1, claimed_at = $2
         WHERE w.id IN (SELECT id FROM wakeups
                        WHERE at <= $3 AND (claimed_by IS NULL OR claimed_at < $4)
                        ORDER BY at, id LIMIT $5 FOR UPDATE SKIP LOCKED)
           AND w.at <= $3 AND (w.claimed_by IS NULL OR w.claimed_at < $4)
         RETURNING w.id, w.device_id, w.at`,
        [node, now, dueBy, staleBefore, limit]
      );
      return rows.map(toWakeup).sort((a, b) => a.at - b.at || a.id - b.id);
    },
    async deleteWakeups(ids, node) {
      if (ids.length === 0) return;
      await pool.query('DELETE FROM wakeups WHERE id = ANY($1::bigint[]) AND claimed_by = $2', [ids, node]);
    },
    async nextWakeupAt(staleMs, groupMs) {
      const r = await one(
        pool,
        `WITH r AS (SELECT CASE WHEN claimed_by IS NULL THEN at ELSE greatest(at, claimed_at + $1) END AS t FROM wakeups)
         SELECT max(t) AS t FROM r WHERE t <= (SELECT min(t) FROM r) + $2`,
        [staleMs, groupMs]
      );
      return r?.t == null ? null : num(r.t);
    }
  };
}
