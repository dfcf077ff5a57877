/**
 * PostgreSQL: secret-chat media blob rows under a per-owner quota (advisory lock per owner), and sealed
 * uploads under a per-recipient-device one (advisory lock per recipient device).
 */
import { num, toBlob } from '../rows';
import type { BlobStore } from '../types';
import { all, LOCK, one, type Pg } from './db';

const SEALED_USAGE = 'SELECT coalesce(sum(size), 0) AS n FROM blobs WHERE to_device_id = $1 AND owner_user_id IS NULL AND expires_at > $2';

export function pgBlobs({ pool, tx }: Pg): BlobStore {
  return {
    async createBlob(blob, quota, now) {
      return tx(async (c) => {
        // Serializes uploads of one owner so two nodes can't both fit under the quota.
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.blobOwner, blob.ownerUserId]);
        const used = num((await one(c, 'SELECT coalesce(sum(size), 0) AS n FROM blobs WHERE owner_user_id = $1 AND expires_at > $2', [blob.ownerUserId, now]))?.n);
        if (used + blob.size > quota) return false;
        await c.query(
          `INSERT INTO blobs (id, owner_device_id, owner_user_id, to_device_id, size, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [blob.id, blob.ownerDeviceId, blob.ownerUserId, blob.toDeviceId, blob.size, blob.createdAt, blob.expiresAt]
        );
        return true;
      });
    },
    async createSealedBlob(blob, quota, now) {
      if (blob.ownerDeviceId !== null || blob.ownerUserId !== null) throw new Error('createSealedBlob: a sealed blob has no owner');
      return tx(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.blobInbox, blob.toDeviceId]);
        const used = num((await one(c, SEALED_USAGE, [blob.toDeviceId, now]))?.n);
        if (used + blob.size > quota) return false;
        await c.query(
          `INSERT INTO blobs (id, owner_device_id, owner_user_id, to_device_id, size, created_at, expires_at)
           VALUES ($1, NULL, NULL, $2, $3, $4, $5)`,
          [blob.id, blob.toDeviceId, blob.size, blob.createdAt, blob.expiresAt]
        );
        return true;
      });
    },
    async sealedBlobUsage(deviceId, now) {
      return num((await one(pool, SEALED_USAGE, [deviceId, now]))?.n);
    },
    async getBlob(id, now) {
      const r = await one(pool, 'SELECT * FROM blobs WHERE id = $1 AND expires_at > $2', [id, now]);
      return r ? toBlob(r) : null;
    },
    async settleBlob(id, size, expiresAt) {
      return ((await pool.query('UPDATE blobs SET size = $1, expires_at = $2 WHERE id = $3', [size, expiresAt, id])).rowCount ?? 0) > 0;
    },
    async deleteBlob(id) {
      return ((await pool.query('DELETE FROM blobs WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    async blobUsage(userId, now) {
      return num((await one(pool, 'SELECT coalesce(sum(size), 0) AS n FROM blobs WHERE owner_user_id = $1 AND expires_at > $2', [userId, now]))?.n);
    },
    async purgeExpiredBlobs(now) {
      return (await all(pool, 'DELETE FROM blobs WHERE expires_at <= $1 RETURNING id', [now])).map((r) => r.id as string);
    }
  };
}
