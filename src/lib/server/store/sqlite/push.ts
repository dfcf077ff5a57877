/** SQLite: Web Push subscriptions and self-destruct wake-ups (claimed atomically, see WakeupStore). */
import { toPushSub, toWakeup } from '../rows';
import type { PushStore, WakeupStore } from '../types';
import { all, get, type Db } from './db';

export function sqlitePush(db: Db): PushStore & WakeupStore {
  const q = {
    upsertPushSub: db.prepare(
      `INSERT INTO push_subscriptions (device_id, endpoint, p256dh, auth, created_at)
       VALUES (@deviceId, @endpoint, @p256dh, @auth, @createdAt)
       ON CONFLICT (device_id) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh,
         auth = excluded.auth, created_at = excluded.created_at`
    ),
    pushSubByDevice: db.prepare('SELECT * FROM push_subscriptions WHERE device_id = ?'),
    deletePushSub: db.prepare('DELETE FROM push_subscriptions WHERE device_id = ?'),
    deletePushSubIf: db.prepare('DELETE FROM push_subscriptions WHERE device_id = ? AND endpoint = ?'),
    countWakeups: db.prepare('SELECT count(*) AS n FROM wakeups WHERE device_id = ?'),
    wakeupExists: db.prepare('SELECT 1 AS x FROM wakeups WHERE device_id = ? AND at = ?'),
    insertWakeup: db.prepare('INSERT INTO wakeups (device_id, at) VALUES (?, ?) ON CONFLICT (device_id, at) DO NOTHING'),
    // One statement, so the claim is atomic even against other processes on the same file.
    claimWakeups: db.prepare(
      `UPDATE wakeups SET claimed_by = @node, claimed_at = @now
       WHERE id IN (SELECT id FROM wakeups
                    WHERE at <= @dueBy AND (claimed_by IS NULL OR claimed_at < @staleBefore)
                    ORDER BY at, id LIMIT @limit)
       RETURNING id, device_id, at`
    ),
    deleteWakeup: db.prepare('DELETE FROM wakeups WHERE id = ? AND claimed_by = ?'),
    nextWakeup: db.prepare(
      `WITH r AS (SELECT CASE WHEN claimed_by IS NULL THEN at ELSE max(at, claimed_at + @stale) END AS t FROM wakeups)
       SELECT max(t) AS t FROM r WHERE t <= (SELECT min(t) FROM r) + @group`
    )
  };

  const addWakeupsTx = db.transaction((deviceId: string, times: number[], maxPending: number): boolean => {
    const fresh = [...new Set(times)].filter((t) => get(q.wakeupExists, deviceId, t) === undefined);
    if ((get(q.countWakeups, deviceId)!.n as number) + fresh.length > maxPending) return false;
    for (const t of fresh) q.insertWakeup.run(deviceId, t);
    return true;
  });

  const deleteWakeupsTx = db.transaction((ids: number[], node: string) => {
    for (const id of ids) q.deleteWakeup.run(id, node);
  });

  return {
    async setPushSubscription(sub) {
      q.upsertPushSub.run(sub);
    },
    async getPushSubscription(deviceId) {
      const r = get(q.pushSubByDevice, deviceId);
      return r ? toPushSub(r) : null;
    },
    async deletePushSubscription(deviceId, endpoint) {
      return (endpoint === undefined ? q.deletePushSub.run(deviceId) : q.deletePushSubIf.run(deviceId, endpoint)).changes > 0;
    },
    async addWakeups(deviceId, times, maxPending) {
      return addWakeupsTx(deviceId, times, maxPending);
    },
    async claimWakeups(node, now, dueBy, staleBefore, limit) {
      return all(q.claimWakeups, { node, now, dueBy, staleBefore, limit }).map(toWakeup);
    },
    async deleteWakeups(ids, node) {
      deleteWakeupsTx(ids, node);
    },
    async nextWakeupAt(staleMs, groupMs) {
      return (get(q.nextWakeup, { stale: staleMs, group: groupMs })?.t as number | null) ?? null;
    }
  };
}
