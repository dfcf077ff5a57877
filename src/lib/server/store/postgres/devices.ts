/** PostgreSQL: devices, sessions, sign-out (with the device's envelopes, push subscription, wake-ups and mailboxes) and password change. */
import type pg from 'pg';
import { num, toDevice, toUser } from '../rows';
import type { DeviceStore, NewDevice } from '../types';
import { all, LOCK, one, type Pg } from './db';

export const INSERT_DEVICE = `INSERT INTO devices (id, user_id, name, sign_pub, dh_pub, token_hash, created_at, last_seen_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`;
export const deviceArgs = (d: NewDevice) => [d.id, d.userId, d.name, d.signPub, d.dhPub, d.tokenHash, d.createdAt];

/** Revokes one live device of the user with its envelopes, push subscription, wake-ups and mailboxes. */
const revokeOne = async (c: pg.PoolClient, userId: string, deviceId: string, at: number): Promise<boolean> => {
  const r = await c.query('UPDATE devices SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL', [at, deviceId, userId]);
  if (r.rowCount === 0) return false;
  await c.query('DELETE FROM envelopes WHERE to_device_id = $1', [deviceId]);
  await c.query('DELETE FROM push_subscriptions WHERE device_id = $1', [deviceId]);
  await c.query('DELETE FROM wakeups WHERE device_id = $1', [deviceId]);
  await c.query('DELETE FROM secret_contacts WHERE device_a = $1 OR device_b = $1', [deviceId]);
  await c.query('DELETE FROM mailboxes WHERE device_id = $1', [deviceId]);
  return true;
};

const revokeOthers = async (c: pg.PoolClient, userId: string, keepDeviceId: string, at: number): Promise<string[]> => {
  const rows = await all(c, 'SELECT id FROM devices WHERE user_id = $1 AND revoked_at IS NULL AND id <> $2 ORDER BY created_at, id FOR UPDATE', [userId, keepDeviceId]);
  const out: string[] = [];
  for (const r of rows) if (await revokeOne(c, userId, r.id as string, at)) out.push(r.id as string);
  return out;
};

export function pgDevices({ pool, tx }: Pg): DeviceStore {
  return {
    async createDevice(device, maxLive, pwHash) {
      if (maxLive === undefined && pwHash === undefined) {
        await pool.query(INSERT_DEVICE, deviceArgs(device));
        return true;
      }
      return tx(async (c) => {
        // Serializes logins of one user so two nodes can't both take the last slot.
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.deviceCap, device.userId]);
        if (pwHash !== undefined) {
          // FOR SHARE: a password change (UPDATE of this row) waits for this login to commit, and then
          // signs out the device it adds; one that committed first is seen here.
          const user = await one(c, 'SELECT pw_hash FROM users WHERE id = $1 FOR SHARE', [device.userId]);
          if (user?.pw_hash !== pwHash) return 'password_changed' as const;
        }
        if (maxLive === undefined) {
          await c.query(INSERT_DEVICE, deviceArgs(device));
          return true;
        }
        const live = num((await one(c, 'SELECT count(*) AS n FROM devices WHERE user_id = $1 AND revoked_at IS NULL', [device.userId]))?.n);
        if (live >= maxLive) return false;
        await c.query(INSERT_DEVICE, deviceArgs(device));
        return true;
      });
    },
    async getDevice(id) {
      const r = await one(pool, 'SELECT * FROM devices WHERE id = $1', [id]);
      return r ? toDevice(r) : null;
    },
    async getSession(tokenHash) {
      const r = await one(
        pool,
        `SELECT u.*, d.id AS d_id, d.user_id AS d_user_id, d.name AS d_name, d.sign_pub AS d_sign_pub,
                d.dh_pub AS d_dh_pub, d.created_at AS d_created_at, d.last_seen_at AS d_last_seen_at,
                d.revoked_at AS d_revoked_at, d.protocol AS d_protocol
         FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = $1`,
        [tokenHash]
      );
      return r ? { user: toUser(r), device: toDevice(r, 'd_') } : null;
    },
    async listDevices(userId) {
      return (await all(pool, 'SELECT * FROM devices WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, id', [userId])).map((r) => toDevice(r));
    },
    async revokeDevice(userId, deviceId, at) {
      return tx((c) => revokeOne(c, userId, deviceId, at));
    },
    async revokeOtherDevices(userId, keepDeviceId, at) {
      return tx((c) => revokeOthers(c, userId, keepDeviceId, at));
    },
    async changePassword(userId, oldHash, newHash, keepDeviceId, at) {
      return tx(async (c) => {
        const live = await c.query('SELECT 1 FROM devices WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [keepDeviceId, userId]);
        if (live.rowCount === 0) return null;
        const r = await c.query('UPDATE users SET pw_hash = $1 WHERE id = $2 AND pw_hash = $3', [newHash, userId, oldHash]);
        if (r.rowCount === 0) return null;
        await c.query('DELETE FROM known_devices WHERE user_id = $1', [userId]);
        return revokeOthers(c, userId, keepDeviceId, at);
      });
    },
    async renameDevice(userId, deviceId, name) {
      const r = await pool.query('UPDATE devices SET name = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL', [name, deviceId, userId]);
      return (r.rowCount ?? 0) > 0;
    },
    async touchDevice(deviceId, at) {
      await pool.query('UPDATE devices SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1', [at, deviceId]);
    },
    async setDeviceProtocol(deviceId, protocol) {
      return ((await pool.query('UPDATE devices SET protocol = $1 WHERE id = $2 AND revoked_at IS NULL', [protocol, deviceId])).rowCount ?? 0) > 0;
    }
  };
}
