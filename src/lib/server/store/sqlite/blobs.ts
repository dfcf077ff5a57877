/** SQLite: secret-chat media blob rows under a per-owner quota, and sealed uploads under a per-recipient-device one. */
import { toBlob } from '../rows';
import type { BlobRow, BlobStore } from '../types';
import { all, get, type Db } from './db';

export function sqliteBlobs(db: Db): BlobStore {
  const q = {
    insertBlob: db.prepare(
      `INSERT INTO blobs (id, owner_device_id, owner_user_id, to_device_id, size, created_at, expires_at)
       VALUES (@id, @ownerDeviceId, @ownerUserId, @toDeviceId, @size, @createdAt, @expiresAt)`
    ),
    blobById: db.prepare('SELECT * FROM blobs WHERE id = ? AND expires_at > ?'),
    deleteBlob: db.prepare('DELETE FROM blobs WHERE id = ?'),
    settleBlob: db.prepare('UPDATE blobs SET size = ?, expires_at = ? WHERE id = ?'),
    blobUsage: db.prepare('SELECT coalesce(sum(size), 0) AS n FROM blobs WHERE owner_user_id = ? AND expires_at > ?'),
    purgeBlobs: db.prepare('DELETE FROM blobs WHERE expires_at <= ? RETURNING id'),
    sealedUsage: db.prepare('SELECT coalesce(sum(size), 0) AS n FROM blobs WHERE to_device_id = ? AND owner_user_id IS NULL AND expires_at > ?')
  };

  const createBlobTx = db.transaction((b: BlobRow, quota: number, now: number): boolean => {
    const used = get(q.blobUsage, b.ownerUserId, now)!.n as number;
    if (used + b.size > quota) return false;
    q.insertBlob.run(b);
    return true;
  });

  const createSealedTx = db.transaction((b: BlobRow, quota: number, now: number): boolean => {
    if (b.ownerDeviceId !== null || b.ownerUserId !== null) throw new Error('createSealedBlob: a sealed blob has no owner');
    const used = get(q.sealedUsage, b.toDeviceId, now)!.n as number;
    if (used + b.size > quota) return false;
    q.insertBlob.run(b);
    return true;
  });

  return {
    async createBlob(b, quota, now) {
      return createBlobTx(b, quota, now);
    },
    async createSealedBlob(b, quota, now) {
      return createSealedTx(b, quota, now);
    },
    async sealedBlobUsage(deviceId, now) {
      return get(q.sealedUsage, deviceId, now)!.n as number;
    },
    async getBlob(id, now) {
      const r = get(q.blobById, id, now);
      return r ? toBlob(r) : null;
    },
    async settleBlob(id, size, expiresAt) {
      return q.settleBlob.run(size, expiresAt, id).changes > 0;
    },
    async deleteBlob(id) {
      return q.deleteBlob.run(id).changes > 0;
    },
    async blobUsage(userId, now) {
      return get(q.blobUsage, userId, now)!.n as number;
    },
    async purgeExpiredBlobs(now) {
      return all(q.purgeBlobs, now).map((r) => r.id as string);
    }
  };
}
