/** SQLite: devices, sessions, sign-out (with the device's envelopes, push subscription, wake-ups and mailboxes) and password change. */
import { toDevice, toUser } from '../rows';
import type { DeviceStore, NewDevice } from '../types';
import { all, get, type Db } from './db';

export const INSERT_DEVICE = `INSERT INTO devices (id, user_id, name, sign_pub, dh_pub, token_hash, created_at, last_seen_at)
       VALUES (@id, @userId, @name, @signPub, @dhPub, @tokenHash, @createdAt, @createdAt)`;

export function sqliteDevices(db: Db): DeviceStore {
  const q = {
    insertDevice: db.prepare(INSERT_DEVICE),
    deviceById: db.prepare('SELECT * FROM devices WHERE id = ?'),
    session: db.prepare(
      `SELECT u.*, d.id AS d_id, d.user_id AS d_user_id, d.name AS d_name, d.sign_pub AS d_sign_pub,
              d.dh_pub AS d_dh_pub, d.created_at AS d_created_at, d.last_seen_at AS d_last_seen_at,
              d.revoked_at AS d_revoked_at, d.protocol AS d_protocol
       FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = ?`
    ),
    liveDevices: db.prepare('SELECT * FROM devices WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at, id'),
    countLiveDevices: db.prepare('SELECT count(*) AS n FROM devices WHERE user_id = ? AND revoked_at IS NULL'),
    revokeDevice: db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL'),
    dropDeviceEnvelopes: db.prepare('DELETE FROM envelopes WHERE to_device_id = ?'),
    deletePushSub: db.prepare('DELETE FROM push_subscriptions WHERE device_id = ?'),
    dropDeviceWakeups: db.prepare('DELETE FROM wakeups WHERE device_id = ?'),
    dropDeviceContacts: db.prepare('DELETE FROM secret_contacts WHERE device_a = ? OR device_b = ?'),
    dropDeviceMailboxes: db.prepare('DELETE FROM mailboxes WHERE device_id = ?'),
    setProtocol: db.prepare('UPDATE devices SET protocol = ? WHERE id = ? AND revoked_at IS NULL'),
    renameDevice: db.prepare('UPDATE devices SET name = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL'),
    touchDevice: db.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?'),
    setPwHash: db.prepare('UPDATE users SET pw_hash = ? WHERE id = ? AND pw_hash = ?'),
    pwHash: db.prepare('SELECT pw_hash FROM users WHERE id = ?'),
    forgetKnown: db.prepare('DELETE FROM known_devices WHERE user_id = ?'),
    liveDevice: db.prepare('SELECT 1 FROM devices WHERE id = ? AND user_id = ? AND revoked_at IS NULL')
  };

  const createDeviceTx = db.transaction((device: NewDevice, maxLive: number, pwHash?: string): boolean | 'password_changed' => {
    if (pwHash !== undefined && get(q.pwHash, device.userId)?.pw_hash !== pwHash) return 'password_changed';
    if ((get(q.countLiveDevices, device.userId)!.n as number) >= maxLive) return false;
    q.insertDevice.run(device);
    return true;
  });

  const revokeTx = db.transaction((userId: string, deviceId: string, at: number) => {
    if (q.revokeDevice.run(at, deviceId, userId).changes === 0) return false;
    q.dropDeviceEnvelopes.run(deviceId);
    q.deletePushSub.run(deviceId);
    q.dropDeviceWakeups.run(deviceId);
    q.dropDeviceContacts.run(deviceId, deviceId);
    q.dropDeviceMailboxes.run(deviceId);
    return true;
  });

  const revokeOthersTx = db.transaction((userId: string, keepDeviceId: string, at: number): string[] =>
    all(q.liveDevices, userId)
      .map((r) => r.id as string)
      .filter((id) => id !== keepDeviceId && revokeTx(userId, id, at))
  );

  const changePasswordTx = db.transaction((userId: string, oldHash: string, newHash: string, keepDeviceId: string, at: number): string[] | null => {
    if (get(q.liveDevice, keepDeviceId, userId) === undefined) return null;
    if (q.setPwHash.run(newHash, userId, oldHash).changes === 0) return null;
    q.forgetKnown.run(userId);
    return revokeOthersTx(userId, keepDeviceId, at);
  });

  return {
    async createDevice(device, maxLive, pwHash) {
      if (maxLive === undefined && pwHash === undefined) {
        q.insertDevice.run(device);
        return true;
      }
      return createDeviceTx(device, maxLive ?? Infinity, pwHash);
    },
    async getDevice(id) {
      const r = get(q.deviceById, id);
      return r ? toDevice(r) : null;
    },
    async getSession(tokenHash) {
      const r = get(q.session, tokenHash);
      return r ? { user: toUser(r), device: toDevice(r, 'd_') } : null;
    },
    async listDevices(userId) {
      return all(q.liveDevices, userId).map((r) => toDevice(r));
    },
    async revokeDevice(userId, deviceId, at) {
      return revokeTx(userId, deviceId, at);
    },
    async renameDevice(userId, deviceId, name) {
      return q.renameDevice.run(name, deviceId, userId).changes > 0;
    },
    async touchDevice(deviceId, at) {
      q.touchDevice.run(at, deviceId, at);
    },
    async setDeviceProtocol(deviceId, protocol) {
      return q.setProtocol.run(protocol, deviceId).changes > 0;
    },
    async revokeOtherDevices(userId, keepDeviceId, at) {
      return revokeOthersTx.immediate(userId, keepDeviceId, at);
    },
    async changePassword(userId, oldHash, newHash, keepDeviceId, at) {
      return changePasswordTx.immediate(userId, oldHash, newHash, keepDeviceId, at);
    }
  };
}
