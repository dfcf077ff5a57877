/** Cloud-chat media (photos, videos, voice and any other file; ../cloud-media.ts): sealed upload under a quota, download, opened. */
import { CLOUD_MEDIA_MIME_HEADER, CLOUD_MEDIA_NAME_HEADER, CLOUD_MEDIA_TO_USER_HEADER, CloudMediaMime, CloudMediaName, Id } from '../../api/wire';
import { CLOUD_MEDIA_VOICE_HEADER, isAudioMime, parseVoiceHeader } from '../../api/voice';
import { CLOUD_MEDIA_DIMS_HEADER, hasDims, parseDimsHeader } from '../../api/media-dims';
import type { AuthCtx } from '../auth';
import { refuseBlocked } from '../blocks';
import { sealMediaMeta } from '../cloud-media';
import { HttpError } from '../http';
import { newId } from '../ids';
import { createChunkSealer, openMediaStream } from '../media-chunks';
import { createUploadSlots } from '../upload-slots';
import { json, limit, mib, param, type RouteArea } from './shared';

export const cloudMediaRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const { config, store, log, cloud, atRest, now } = deps;
  const uploadSlots = createUploadSlots(config.maxConcurrentUploads);

  router.add('POST', '/api/cloud/media', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const type = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/octet-stream') {
      ctx.req.resume();
      throw new HttpError(415, 'bad_request', 'content-type must be application/octet-stream');
    }
    const header = (name: string) => {
      const v = ctx.req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const toId = Id.safeParse(header(CLOUD_MEDIA_TO_USER_HEADER));
    if (!toId.success) throw new HttpError(400, 'bad_request', `${CLOUD_MEDIA_TO_USER_HEADER}: must name a user`);
    const mime = CloudMediaMime.safeParse(header(CLOUD_MEDIA_MIME_HEADER) ?? '');
    if (!mime.success) throw new HttpError(400, 'bad_request', `${CLOUD_MEDIA_MIME_HEADER}: ${mime.error.issues[0]?.message}`);
    let rawName: string;
    try {
      rawName = decodeURIComponent(header(CLOUD_MEDIA_NAME_HEADER) ?? '');
    } catch {
      throw new HttpError(400, 'bad_request', `${CLOUD_MEDIA_NAME_HEADER}: must be URL-encoded`);
    }
    const name = CloudMediaName.safeParse(rawName);
    if (!name.success) throw new HttpError(400, 'bad_request', `${CLOUD_MEDIA_NAME_HEADER}: ${name.error.issues[0]?.message}`);
    // A voice clip's duration and waveform (optional): only on audio.
    const voice = parseVoiceHeader(header(CLOUD_MEDIA_VOICE_HEADER));
    if (!voice.ok) throw new HttpError(400, 'bad_request', `${CLOUD_MEDIA_VOICE_HEADER}: ${voice.error}`);
    if (voice.voice && !isAudioMime(mime.data)) throw new HttpError(400, 'bad_request', `${CLOUD_MEDIA_VOICE_HEADER}: only audio can be a voice message`);
    // A photo's or video's size in pixels (optional): the recipient reserves its box before the bytes.
    const dims = parseDimsHeader(header(CLOUD_MEDIA_DIMS_HEADER));
    if (!dims.ok) throw new HttpError(400, 'bad_request', `${CLOUD_MEDIA_DIMS_HEADER}: ${dims.error}`);
    if (dims.dims && !hasDims(mime.data)) throw new HttpError(400, 'bad_request', `${CLOUD_MEDIA_DIMS_HEADER}: only photos and videos have a size`);
    if (!(await store.getUser(toId.data))) throw new HttpError(404, 'not_found', 'no such user');
    // Nothing is uploaded for someone who blocked me, or whom I blocked (../blocks.ts).
    await refuseBlocked(store, auth.user.id, toId.data);
    const declared = header('content-length');
    // Without a declared length the unread rest can't be drained: close the connection after refusing.
    const close = declared === undefined ? { connection: 'close' } : undefined;
    const tooLarge = () => new HttpError(413, 'too_large', `media exceeds ${config.maxBlobBytes} bytes`, { connection: 'close' });
    if (declared !== undefined && Number(declared) > config.maxBlobBytes) throw tooLarge();
    const release = uploadSlots.take(auth.user.id);
    if (!release) {
      throw new HttpError(429, 'rate_limited', `Only ${config.maxConcurrentUploads} uploads can run at once. Wait for one to finish and try again.`, {
        'retry-after': '5',
        ...close
      });
    }
    try {
      const id = newId();
      // The quota is reserved before a byte is written: the declared length, else the largest allowed.
      const reserved = declared !== undefined ? Number(declared) : config.maxBlobBytes;
      const row = {
        id,
        ownerUserId: auth.user.id,
        ownerDeviceId: auth.device.id,
        toUserId: toId.data,
        meta: sealMediaMeta(atRest, id, { mime: mime.data, name: name.data, ...(voice.voice ? { voice: voice.voice } : {}), ...(dims.dims ?? {}) }),
        size: reserved,
        createdAt: now()
      };
      if (!(await store.reserveCloudMedia(row, config.cloudMediaQuotaBytes))) {
        throw new HttpError(
          413,
          'quota_exceeded',
          `Your storage for photos and videos on the server is full (${mib(config.cloudMediaQuotaBytes)}). Delete some you sent, or wait for timed ones to expire, and try again.`,
          close
        );
      }
      let tmp: string | null = null;
      try {
        // Sealed chunk by chunk on the way to a temp file: never whole in memory, never plaintext on disk.
        const got = await deps.mediaFiles.receive(ctx.req, reserved, tooLarge, createChunkSealer(atRest, id));
        tmp = got.tmp;
        if (got.size === 0) throw new HttpError(400, 'bad_request', 'media must not be empty');
        await deps.mediaFiles.commit(got.tmp, id);
        tmp = null;
        // The row is gone when the account was deleted meanwhile: the catch removes the file (no purge would).
        // 410, not a retryable status: the client reports the upload failed and stops.
        if (!(await store.settleCloudMedia(id, got.size))) throw new HttpError(410, 'gone', 'the account was deleted during the upload');
        log.debug('cloud media stored', { id, size: got.size, deviceId: auth.device.id });
        return json({ id }, 201);
      } catch (e) {
        if (tmp) await deps.mediaFiles.remove(tmp);
        await deps.mediaFiles.remove(id);
        await store.deleteCloudMedia(id);
        throw e;
      }
    } finally {
      release();
    }
  });

  /** The media, if `auth` is a member of its chat and it is still live; 404 otherwise (no existence oracle). */
  const visibleMedia = async (auth: AuthCtx, id: string) => {
    const media = await store.getCloudMedia(id);
    const member = !!media && (media.ownerUserId === auth.user.id || (media.toUserId === auth.user.id && media.messageId !== null));
    if (!media || !member || (media.deadline !== null && media.deadline <= now())) {
      throw new HttpError(404, 'not_found', 'no such media');
    }
    // Nor the file of a message this user cleared from their history.
    const message = media.messageId !== null ? await store.getMessage(media.messageId) : null;
    if (message && (await cloud.clearedFor(auth.user.id, message))) throw new HttpError(404, 'not_found', 'no such media');
    return media;
  };

  router.add('GET', '/api/cloud/media/:id', async (ctx) => {
    const auth = await requireAuth(ctx);
    const media = await visibleMedia(auth, param(ctx, 'id', Id));
    const handle = await deps.mediaFiles.open(media.id);
    if (!handle) throw new HttpError(404, 'not_found', 'no such media');
    return { status: 200, stream: { body: await openMediaStream(atRest, media.id, handle, config.maxBlobBytes), size: media.size } };
  });

  router.add('POST', '/api/cloud/media/:id/opened', async (ctx) => {
    const auth = await requireAuth(ctx);
    const media = await visibleMedia(auth, param(ctx, 'id', Id));
    if (media.toUserId !== auth.user.id || media.messageId === null) {
      throw new HttpError(403, 'forbidden', 'only the recipient can open this media');
    }
    const r = await store.openCloudMedia(media.id, now());
    if (!r) throw new HttpError(404, 'not_found', 'no such media');
    if (r.updates.length) {
      deps.mediaTimers.scheduled();
      await cloud.publish(r.updates);
    }
    return json({ media: await cloud.mediaWire(media.id) });
  });
};
