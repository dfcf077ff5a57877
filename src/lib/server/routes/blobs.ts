/** Encrypted secret-chat media blobs: upload under a per-user quota, download, delete. */
import { BLOB_TO_DEVICE_HEADER, Id } from '../../api/wire';
import type { AuthCtx } from '../auth';
import { HttpError } from '../http';
import { newId } from '../ids';
import { DAY_MS, json, limit, noContent, param, type RouteArea } from './shared';

export const blobRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const { config, store, log, blobFiles, now } = deps;

  router.add('POST', '/api/blobs', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const type = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/octet-stream') {
      throw new HttpError(415, 'bad_request', 'content-type must be application/octet-stream');
    }
    const toHeader = ctx.req.headers[BLOB_TO_DEVICE_HEADER];
    const toId = Id.safeParse(toHeader);
    if (!toId.success) throw new HttpError(400, 'bad_request', `${BLOB_TO_DEVICE_HEADER}: must name a device`);
    const to = await store.getDevice(toId.data);
    if (!to || to.revokedAt !== null) throw new HttpError(404, 'not_found', 'no such device');

    const t = now();
    const room = config.blobQuotaBytes - (await store.blobUsage(auth.user.id, t));
    const tooLarge = () => new HttpError(413, 'too_large', `blob exceeds ${config.maxBlobBytes} bytes`, { connection: 'close' });
    const overQuota = () =>
      new HttpError(413, 'quota_exceeded', `blob storage quota of ${config.blobQuotaBytes} bytes exceeded`, {
        connection: 'close'
      });
    const declared = ctx.req.headers['content-length'];
    if (declared !== undefined) {
      if (Number(declared) > config.maxBlobBytes) throw tooLarge();
      if (Number(declared) > room) throw overQuota();
    }
    const cap = Math.max(0, Math.min(config.maxBlobBytes, room));
    const { tmp, size } = await blobFiles.receive(ctx.req, cap, config.maxBlobBytes <= room ? tooLarge : overQuota);
    if (size === 0) {
      await blobFiles.remove(tmp);
      throw new HttpError(400, 'bad_request', 'blob must not be empty');
    }
    const id = newId();
    let stored = false;
    try {
      await blobFiles.commit(tmp, id);
      stored = await store.createBlob(
        {
          id,
          ownerDeviceId: auth.device.id,
          ownerUserId: auth.user.id,
          toDeviceId: to.id,
          size,
          createdAt: t,
          expiresAt: t + config.envelopeTtlDays * DAY_MS
        },
        config.blobQuotaBytes,
        t
      );
    } finally {
      if (!stored) {
        await blobFiles.remove(tmp);
        await blobFiles.remove(id);
      }
    }
    // Only reachable by concurrent uploads racing past the early check.
    if (!stored) throw overQuota();
    log.debug('blob stored', { id, size, deviceId: auth.device.id });
    return json({ id }, 201);
  });

  const visibleBlob = async (auth: AuthCtx, id: string) => {
    const blob = await store.getBlob(id, now());
    if (!blob || (blob.ownerDeviceId !== auth.device.id && blob.toDeviceId !== auth.device.id)) {
      throw new HttpError(404, 'not_found', 'no such blob');
    }
    return blob;
  };

  router.add('GET', '/api/blobs/:id', async (ctx) => {
    const auth = await requireAuth(ctx);
    const blob = await visibleBlob(auth, param(ctx, 'id', Id));
    const handle = await blobFiles.open(blob.id);
    if (!handle) throw new HttpError(404, 'not_found', 'no such blob');
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (e) {
      await handle.close().catch(() => undefined);
      throw e;
    }
    return { status: 200, file: { handle, size } };
  });

  router.add('DELETE', '/api/blobs/:id', async (ctx) => {
    const auth = await requireAuth(ctx);
    const blob = await visibleBlob(auth, param(ctx, 'id', Id));
    await store.deleteBlob(blob.id);
    await blobFiles.remove(blob.id);
    return noContent();
  });
};
