/**
 * Encrypted secret-chat media blobs: upload under a per-user quota, download, delete. A sealed upload
 * (protocol version 2) carries a mailbox id and its blob token instead of a session: the blob is for
 * the mailbox's device, has no owner, and counts against that device's inbound quota.
 */
import { BLOB_MAILBOX_HEADER, BLOB_TO_DEVICE_HEADER, BLOB_TOKEN_HEADER, b64u, Id, MailboxId } from '../../api/wire';
import { clientAddress, type AuthCtx } from '../auth';
import { HttpError, type Ctx } from '../http';
import { newId } from '../ids';
import { addressBucket } from '../ratelimit';
import { blobToken, macEqual, mailboxAad } from '../sealed';
import type { BlobRow } from '../store/types';
import { DAY_MS, json, limit, noContent, param, type RouteArea } from './shared';

const BlobToken = b64u(32);

export const blobRoutes: RouteArea = (router, deps, { requireAuth, checkOrigin }) => {
  const { config, store, log, blobFiles, atRest, now } = deps;

  /**
   * Streams the body into a blob file under `room` bytes of quota and stores its row with `create`
   * (which re-checks the quota atomically). Answers 201 {id}.
   */
  const upload = async (ctx: Ctx, room: number, row: (id: string, size: number, t: number) => BlobRow, create: (b: BlobRow) => Promise<boolean>) => {
    const type = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/octet-stream') {
      throw new HttpError(415, 'bad_request', 'content-type must be application/octet-stream');
    }
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
      stored = await create(row(id, size, now()));
    } finally {
      if (!stored) {
        await blobFiles.remove(tmp);
        await blobFiles.remove(id);
      }
    }
    // Only reachable by concurrent uploads racing past the early check.
    if (!stored) throw overQuota();
    // Neither the uploader nor the recipient: the relay log needs no more than this.
    log.debug('blob stored', { id, size });
    return json({ id }, 201);
  };

  /** A sealed upload: no session is read, nothing naming a device or user is logged. */
  const sealedUpload = async (ctx: Ctx, mailboxHeader: string | string[]) => {
    checkOrigin(ctx);
    limit(deps.addressLimiter, addressBucket(clientAddress(ctx.req, config.trustProxy)));
    const mailboxId = MailboxId.safeParse(mailboxHeader);
    if (!mailboxId.success) throw new HttpError(400, 'bad_request', `${BLOB_MAILBOX_HEADER}: must be a mailbox id`);
    const token = BlobToken.safeParse(ctx.req.headers[BLOB_TOKEN_HEADER]);
    if (!token.success) throw new HttpError(400, 'bad_request', `${BLOB_TOKEN_HEADER}: must be 32 bytes in base64url`);
    limit(deps.mailboxLimiter, mailboxId.data);
    const t = now();
    const mailbox = await store.getMailbox(mailboxId.data, t);
    if (!mailbox) throw new HttpError(404, 'not_found', 'no such mailbox');
    const cap = atRest.open(mailbox.cap, mailboxAad(mailbox.deviceId, mailbox.id));
    if (!macEqual(blobToken(cap), Buffer.from(token.data, 'base64url'))) throw new HttpError(403, 'forbidden', 'bad blob token');
    const toDeviceId = mailbox.deviceId;
    const room = config.blobQuotaBytes - (await store.sealedBlobUsage(toDeviceId, t));
    return upload(
      ctx,
      room,
      (id, size, at) => ({ id, ownerDeviceId: null, ownerUserId: null, toDeviceId, size, createdAt: at, expiresAt: at + config.envelopeTtlDays * DAY_MS }),
      (b) => store.createSealedBlob(b, config.blobQuotaBytes, b.createdAt)
    );
  };

  router.add('POST', '/api/blobs', async (ctx) => {
    const mailboxHeader = ctx.req.headers[BLOB_MAILBOX_HEADER];
    if (mailboxHeader !== undefined) return sealedUpload(ctx, mailboxHeader);
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const toId = Id.safeParse(ctx.req.headers[BLOB_TO_DEVICE_HEADER]);
    if (!toId.success) throw new HttpError(400, 'bad_request', `${BLOB_TO_DEVICE_HEADER}: must name a device`);
    const to = await store.getDevice(toId.data);
    if (!to || to.revokedAt !== null) throw new HttpError(404, 'not_found', 'no such device');
    const room = config.blobQuotaBytes - (await store.blobUsage(auth.user.id, now()));
    return upload(
      ctx,
      room,
      (id, size, t) => ({
        id,
        ownerDeviceId: auth.device.id,
        ownerUserId: auth.user.id,
        toDeviceId: to.id,
        size,
        createdAt: t,
        expiresAt: t + config.envelopeTtlDays * DAY_MS
      }),
      (b) => store.createBlob(b, config.blobQuotaBytes, b.createdAt)
    );
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
