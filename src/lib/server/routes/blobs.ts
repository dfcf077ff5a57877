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
import { createUploadSlots } from '../upload-slots';
import { DAY_MS, json, limit, noContent, param, type RouteArea } from './shared';

const BlobToken = b64u(32);
/** How long a reservation outlives a dead upload (uploads end within Node's 5-minute requestTimeout). */
const UPLOAD_HOLD_MS = 60 * 60_000;

export const blobRoutes: RouteArea = (router, deps, { requireAuth, checkOrigin }) => {
  const { config, store, log, blobFiles, atRest, now } = deps;

  const uploadSlots = createUploadSlots(config.maxConcurrentUploads);

  /**
   * Reserves quota with `reserve` (the row, sized as the most this upload may store), streams the body
   * into a blob file, then settles the row to the real size. At most `maxConcurrentUploads` per `slot`
   * run at once. Answers 201 {id}.
   */
  const upload = async (
    ctx: Ctx,
    slot: string,
    room: number,
    row: (id: string, size: number, t: number, expiresAt: number) => BlobRow,
    reserve: (b: BlobRow) => Promise<boolean>
  ) => {
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
    // The declared length, else as much as may fit (re-checked atomically by `reserve`).
    const want = declared !== undefined ? Number(declared) : Math.max(0, Math.min(config.maxBlobBytes, room));
    const release = uploadSlots.take(slot);
    if (!release) {
      throw new HttpError(429, 'rate_limited', `Only ${config.maxConcurrentUploads} uploads can run at once. Wait for one to finish and try again.`, {
        'retry-after': '5',
        ...(declared === undefined ? { connection: 'close' } : {})
      });
    }
    try {
      const id = newId();
      const t = now();
      // Held briefly: if this process dies mid-upload, the purge frees the reservation within the hour.
      if (!(await reserve(row(id, want, t, t + UPLOAD_HOLD_MS)))) throw overQuota();
      let tmp: string | null = null;
      try {
        const got = await blobFiles.receive(ctx.req, want, want >= config.maxBlobBytes ? tooLarge : overQuota);
        tmp = got.tmp;
        if (got.size === 0) throw new HttpError(400, 'bad_request', 'blob must not be empty');
        await blobFiles.commit(got.tmp, id);
        tmp = null;
        // Gone when an account involved was deleted meanwhile: the catch removes the file (no purge would).
        if (!(await store.settleBlob(id, got.size, t + config.envelopeTtlDays * DAY_MS))) {
          throw new HttpError(410, 'gone', 'an account involved was deleted during the upload');
        }
        // Neither the uploader nor the recipient: the relay log needs no more than this.
        log.debug('blob stored', { id, size: got.size });
        return json({ id }, 201);
      } catch (e) {
        if (tmp) await blobFiles.remove(tmp);
        await blobFiles.remove(id);
        await store.deleteBlob(id);
        throw e;
      }
    } finally {
      release();
    }
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
    // Slots per recipient device, like its inbound quota: senders share them.
    return upload(
      ctx,
      `inbox:${toDeviceId}`,
      room,
      (id, size, at, expiresAt) => ({ id, ownerDeviceId: null, ownerUserId: null, toDeviceId, size, createdAt: at, expiresAt }),
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
      auth.user.id,
      room,
      (id, size, t, expiresAt) => ({ id, ownerDeviceId: auth.device.id, ownerUserId: auth.user.id, toDeviceId: to.id, size, createdAt: t, expiresAt }),
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
