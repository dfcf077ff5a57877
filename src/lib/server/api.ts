/**
 * The JSON API of docs/api.md. Handlers validate everything with the shared wire schemas, so bad input
 * is always a 4xx; the order inside a handler is: same-origin check, authentication, rate limit, body.
 */
import { z } from 'zod';
import {
  AckReq,
  BLOB_TO_DEVICE_HEADER,
  CLOUD_MEDIA_MIME_HEADER,
  CLOUD_MEDIA_NAME_HEADER,
  CLOUD_MEDIA_TO_USER_HEADER,
  ChangePasswordReq,
  CloudMediaMime,
  CloudMediaName,
  DeleteCloudReq,
  Id,
  LIMITS,
  LoginReq,
  PUSH_LIMITS,
  PushSubscribeReq,
  plainText,
  ReadReq,
  SecretRequestReq,
  SendCloudReq,
  SendEnvelopeReq,
  SignupReq,
  UpdateProfileReq,
  WakeupsReq,
  type DeviceInfo,
  type Envelope,
  type PublicDevice,
  type Session,
  type SignedOutRes
} from '../api/wire';
import type { AtRest } from './atrest';
import type { BlobFiles } from './blobs';
import {
  clearCookie,
  clientAddress,
  hashToken,
  isSecure,
  newToken,
  originAllowed,
  sessionCookie,
  type AuthCtx
} from './auth';
import type { Bus } from './bus';
import { publicUser, type Cloud } from './cloud';
import { sealMediaMeta, type MediaTimers } from './cloud-media';
import type { Config } from './config';
import { HttpError, parse, queryInt, readJson, Router, type Ctx, type Reply } from './http';
import { newId } from './ids';
import type { Logger } from './log';
import { createChunkSealer, openMediaStream } from './media-chunks';
import type { PasswordVerifier } from './password';
import { pushEndpointProblem, pushKeysProblem, type PushService } from './push';
import { addressBucket, type RateLimiter } from './ratelimit';
import type { SessionCache } from './session-cache';
import { createUploadSlots } from './upload-slots';
import { UniqueViolation, type DeviceRow, type EnvelopeRow, type Store, type UserRow } from './store/types';
import { backoffMs, KNOWN_PER_USER, knownCookie, LOGIN_FORGET_MS, loginKey, readKnownToken } from './throttle';
import { wakeTimesProblem, type WakeScheduler } from './wakeups';

export interface ApiDeps {
  config: Config;
  store: Store;
  log: Logger;
  bus: Bus;
  cloud: Cloud;
  atRest: AtRest;
  blobFiles: BlobFiles;
  /** Cloud-chat media files (DATA_DIR/media, sealed at rest) and their self-destruct timers. */
  mediaFiles: BlobFiles;
  mediaTimers: MediaTimers;
  passwords: PasswordVerifier;
  /** Cached session and device lookups (the relay drops revoked devices from it). */
  sessions: SessionCache;
  authLimiter: RateLimiter;
  sendLimiter: RateLimiter;
  now: () => number;
  /** GET /healthz: dependency checks (monitor.ts); plain `{ok: true}` without it. */
  health?: () => Promise<Reply>;
  /** Web Push (push.ts) and self-destruct wake-ups (wakeups.ts). */
  push: PushService;
  wakeups: WakeScheduler;
}

const DAY_MS = 86_400_000;
const mib = (n: number) => (n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MB` : `${Math.ceil(n / 1024)} KB`);
const envelopeAad = (toDeviceId: string, id: string) => `env:${toDeviceId}:${id}`;
const UsernameParam = plainText(z.string().min(1).max(LIMITS.usernameMax)).transform((s) => s.toLowerCase());
const SearchQuery = z.string().min(1, 'must not be empty').max(LIMITS.usernameMax).transform((s) => s.toLowerCase());

const session = (user: UserRow, device: DeviceRow | { id: string; name: string }): Session => ({
  user: publicUser(user),
  device: { id: device.id, name: device.name }
});

export function createApi(deps: ApiDeps): Router {
  const { config, store, log, bus, cloud, atRest, blobFiles, passwords, now } = deps;
  const router = new Router();
  const uploadSlots = createUploadSlots(config.maxConcurrentUploads);

  /** Browsers always send Origin on unsafe requests; a foreign one is a cross-site request. */
  const checkOrigin = (ctx: Ctx) => {
    if (!originAllowed(ctx.req, config.trustProxy)) throw new HttpError(403, 'forbidden', 'cross-origin request refused');
  };

  const requireAuth = async (ctx: Ctx): Promise<AuthCtx> => {
    if (ctx.req.method !== 'GET') checkOrigin(ctx);
    const auth = await deps.sessions.authenticate(ctx.req);
    if (!auth) throw new HttpError(401, 'unauthorized', 'sign in required');
    return auth;
  };

  const limit = (limiter: RateLimiter, key: string) => {
    const r = limiter.take(key);
    if (!r.ok) {
      throw new HttpError(429, 'rate_limited', 'too many requests, slow down', { 'retry-after': String(r.retryAfterSec) });
    }
  };

  const param = <S extends z.ZodType>(ctx: Ctx, name: string, schema: S): z.output<S> => parse(schema, ctx.params[name]);

  const json = (body: unknown, status = 200, headers?: Reply['headers']): Reply => ({ status, body, headers });
  const noContent = (headers?: Reply['headers']): Reply => ({ status: 204, headers });

  const revoke = async (auth: AuthCtx, deviceId: string): Promise<boolean> => {
    const done = await store.revokeDevice(auth.user.id, deviceId, now());
    if (done) {
      bus.publish({ to: 'revoke', deviceId });
      log.info('device revoked', { userId: auth.user.id, deviceId });
    }
    return done;
  };

  /** Tells every node (sockets, session caches) that these devices are gone. */
  const revoked = (userId: string, deviceIds: string[], why: string) => {
    for (const deviceId of deviceIds) bus.publish({ to: 'revoke', deviceId });
    log.info('other devices revoked', { userId, count: deviceIds.length, why });
  };

  /** Counts a password attempt against the account's sign-in backoff (throttle.ts); 429 while it runs. */
  const takeAttempt = async (key: string) => {
    const t = now();
    const delay = (n: number) => backoffMs(n, config.loginBackoffAfter, config.loginBackoffMaxSec);
    const r = await store.takeLoginAttempt(key, t, t - LOGIN_FORGET_MS, delay);
    if (!r.ok) {
      const wait = Math.max(1, Math.ceil((r.nextAt - t) / 1000));
      log.info('login throttled', { wait });
      throw new HttpError(429, 'rate_limited', `too many failed sign-ins for this account; try again in ${wait} s`, {
        'retry-after': String(wait)
      });
    }
  };

  const openEnvelope = (e: EnvelopeRow): Envelope => ({
    seq: e.seq,
    id: e.id,
    fromDeviceId: e.fromDeviceId,
    fromUserId: e.fromUserId,
    body: atRest.open(e.body, envelopeAad(e.toDeviceId, e.id)).toString('base64url'),
    createdAt: e.createdAt,
    requestId: e.requestId
  });

  // ---------- health ----------
  router.add('GET', '/healthz', async () => (deps.health ? deps.health() : json({ ok: true })));

  // ---------- auth ----------
  router.add('POST', '/api/auth/signup', async (ctx) => {
    checkOrigin(ctx);
    limit(deps.authLimiter, addressBucket(clientAddress(ctx.req, config.trustProxy)));
    const body = await readJson(ctx.req, SignupReq);
    // Cheap early answer; the UNIQUE constraint below still settles races.
    if (await store.getUserByName(body.username)) throw new HttpError(409, 'username_taken', 'that username is taken');
    const t = now();
    const user: UserRow = {
      id: newId(),
      username: body.username,
      displayName: body.displayName ?? body.username,
      pwHash: await passwords.hash(body.password),
      createdAt: t
    };
    const { token, hash } = newToken();
    const device = { id: newId(), userId: user.id, ...body.device, tokenHash: hash, createdAt: t };
    try {
      await store.createUser(user, device);
    } catch (e) {
      if (e instanceof UniqueViolation) throw new HttpError(409, 'username_taken', 'that username is taken');
      throw e;
    }
    log.info('signup', { userId: user.id, deviceId: device.id });
    return json(session(user, device), 201, { 'set-cookie': sessionCookie(token, isSecure(ctx.req, config.trustProxy)) });
  });

  /** Mints a fresh known-device token for the user (rotating the one presented) and its cookie. */
  const rememberDevice = async (ctx: Ctx, userId: string, presented: string | null): Promise<string> => {
    const { token, hash } = newToken();
    await store.rememberKnownDevice(userId, hash, presented === null ? null : hashToken(presented), now(), KNOWN_PER_USER);
    return knownCookie(token, isSecure(ctx.req, config.trustProxy));
  };

  router.add('POST', '/api/auth/login', async (ctx) => {
    checkOrigin(ctx);
    limit(deps.authLimiter, addressBucket(clientAddress(ctx.req, config.trustProxy)));
    const body = await readJson(ctx.req, LoginReq);
    const user = await store.getUserByName(body.username);
    const presented = readKnownToken(ctx.req);
    // Looked up for unknown users too, so the timing doesn't tell them apart.
    const known = presented !== null && (await store.isKnownDevice(user?.id ?? '', hashToken(presented)));
    const key = loginKey(body.username);
    if (!known) await takeAttempt(key);
    // Unknown users are checked against a dummy hash: same cost, same answer as a wrong password.
    const ok = await passwords.verify(body.password, user?.pwHash ?? null);
    if (!user || !ok) throw new HttpError(401, 'bad_credentials', 'wrong username or password');
    // A known device's success leaves the count alone: it would hand an attacker fresh free guesses.
    if (!known) await store.clearLoginAttempts(key);
    const { token, hash } = newToken();
    const device = { id: newId(), userId: user.id, ...body.device, tokenHash: hash, createdAt: now() };
    if (!(await store.createDevice(device, config.maxDevicesPerAccount))) {
      throw new HttpError(
        409,
        'conflict',
        `This account is already signed in on ${config.maxDevicesPerAccount} devices, the most allowed. Sign out on one of them (Settings → Devices) and try again.`
      );
    }
    log.info('login', { userId: user.id, deviceId: device.id, knownDevice: known });
    const cookies = [sessionCookie(token, isSecure(ctx.req, config.trustProxy)), await rememberDevice(ctx, user.id, presented)];
    return json(session(user, device), 200, { 'set-cookie': cookies });
  });

  router.add('POST', '/api/auth/logout', async (ctx) => {
    const auth = await requireAuth(ctx);
    await revoke(auth, auth.device.id);
    // The browser signed in as this user: it can prove so at its next login (see throttle.ts).
    const known = await rememberDevice(ctx, auth.user.id, readKnownToken(ctx.req));
    return noContent({ 'set-cookie': [clearCookie(isSecure(ctx.req, config.trustProxy)), known] });
  });

  // Always counted, even from a known device: a stolen session must not get free guesses.
  router.add('POST', '/api/auth/password', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.authLimiter, addressBucket(clientAddress(ctx.req, config.trustProxy)));
    const body = await readJson(ctx.req, ChangePasswordReq);
    // Fresh from the store: the cached row may hold a hash another node has replaced.
    const user = await store.getUser(auth.user.id);
    if (!user) throw new HttpError(401, 'unauthorized', 'sign in required');
    const key = loginKey(user.username);
    await takeAttempt(key);
    if (!(await passwords.verify(body.currentPassword, user.pwHash))) {
      throw new HttpError(401, 'bad_credentials', 'the current password is wrong');
    }
    await store.clearLoginAttempts(key);
    const gone = await store.changePassword(user.id, user.pwHash, await passwords.hash(body.newPassword), auth.device.id, now());
    if (!gone) throw new HttpError(409, 'conflict', 'the password was changed at the same time on another device; sign in again');
    deps.sessions.forgetUser(user.id);
    revoked(user.id, gone, 'password changed');
    const res: SignedOutRes = { signedOut: gone.length };
    // Known-device tokens were all dropped with the old password; this browser gets a fresh one.
    return json(res, 200, { 'set-cookie': await rememberDevice(ctx, user.id, null) });
  });

  router.add('GET', '/api/me', async (ctx) => {
    const auth = await requireAuth(ctx);
    // Fresh from the store: the cached row may predate a rename made through another node.
    return json(session((await store.getUser(auth.user.id)) ?? auth.user, auth.device));
  });

  router.add('PATCH', '/api/me', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { displayName } = await readJson(ctx.req, UpdateProfileReq);
    await store.setDisplayName(auth.user.id, displayName);
    deps.sessions.forgetUser(auth.user.id);
    return json(session({ ...auth.user, displayName }, auth.device));
  });

  router.add('GET', '/api/devices', async (ctx) => {
    const auth = await requireAuth(ctx);
    const devices: DeviceInfo[] = (await store.listDevices(auth.user.id)).map((d) => ({
      id: d.id,
      name: d.name,
      createdAt: d.createdAt,
      lastSeenAt: d.lastSeenAt,
      current: d.id === auth.device.id
    }));
    return json({ devices });
  });

  router.add('DELETE', '/api/devices/:id', async (ctx) => {
    const auth = await requireAuth(ctx);
    const id = param(ctx, 'id', Id);
    if (!(await revoke(auth, id))) throw new HttpError(404, 'not_found', 'no such device');
    const self = id === auth.device.id;
    return noContent(self ? { 'set-cookie': clearCookie(isSecure(ctx.req, config.trustProxy)) } : undefined);
  });

  router.add('POST', '/api/devices/revoke-others', async (ctx) => {
    const auth = await requireAuth(ctx);
    const gone = await store.revokeOtherDevices(auth.user.id, auth.device.id, now());
    revoked(auth.user.id, gone, 'signed out elsewhere');
    const res: SignedOutRes = { signedOut: gone.length };
    return json(res);
  });

  // ---------- directory ----------
  router.add('GET', '/api/users', async (ctx) => {
    await requireAuth(ctx);
    const q = parse(SearchQuery, ctx.url.searchParams.get('q') ?? '');
    // Usernames are [a-z0-9_]; any other character can't match anything.
    const users = /^[a-z0-9_]+$/.test(q) ? await store.searchUsers(q, 20) : [];
    return json({ users: users.map(publicUser) });
  });

  router.add('GET', '/api/users/by-name/:username', async (ctx) => {
    await requireAuth(ctx);
    const user = await store.getUserByName(param(ctx, 'username', UsernameParam));
    if (!user) throw new HttpError(404, 'not_found', 'no such user');
    return json({ user: publicUser(user) });
  });

  router.add('GET', '/api/users/:id', async (ctx) => {
    await requireAuth(ctx);
    const user = await store.getUser(param(ctx, 'id', Id));
    if (!user) throw new HttpError(404, 'not_found', 'no such user');
    return json({ user: publicUser(user) });
  });

  router.add('GET', '/api/users/:id/devices', async (ctx) => {
    await requireAuth(ctx);
    const id = param(ctx, 'id', Id);
    if (!(await store.getUser(id))) throw new HttpError(404, 'not_found', 'no such user');
    const devices: PublicDevice[] = (await store.listDevices(id)).map((d) => ({ id: d.id, signPub: d.signPub, dhPub: d.dhPub }));
    return json({ devices });
  });

  // ---------- cloud chats ----------
  router.add('POST', '/api/cloud/messages', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const body = await readJson(ctx.req, SendCloudReq);
    const message = await cloud.send(auth.user.id, auth.device.id, body);
    return json({ message });
  });

  // ---------- cloud media (photos and videos of cloud chats; cloud-media.ts) ----------
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
    if (!(await store.getUser(toId.data))) throw new HttpError(404, 'not_found', 'no such user');
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
        meta: sealMediaMeta(atRest, id, { mime: mime.data, name: name.data }),
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
        await store.settleCloudMedia(id, got.size);
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
    const member =
      !!media &&
      (media.ownerUserId === auth.user.id || (media.toUserId === auth.user.id && media.messageId !== null));
    if (!media || !member || (media.deadline !== null && media.deadline <= now())) {
      throw new HttpError(404, 'not_found', 'no such media');
    }
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

  router.add('GET', '/api/cloud/chats', async (ctx) => {
    const auth = await requireAuth(ctx);
    return json({ chats: await cloud.chats(auth.user.id) });
  });

  router.add('GET', '/api/cloud/chats/:peerId/messages', async (ctx) => {
    const auth = await requireAuth(ctx);
    const peerId = param(ctx, 'peerId', Id);
    const before = queryInt(ctx.url, 'before', { min: 1, max: Number.MAX_SAFE_INTEGER, def: null });
    const n = queryInt(ctx.url, 'limit', { min: 1, max: LIMITS.pageMax, def: 50 });
    return json({ messages: await cloud.history(auth.user.id, peerId, before, n) });
  });

  router.add('POST', '/api/cloud/chats/:peerId/read', async (ctx) => {
    const auth = await requireAuth(ctx);
    const peerId = param(ctx, 'peerId', Id);
    const { seq } = await readJson(ctx.req, ReadReq);
    await cloud.read(auth.user.id, peerId, seq);
    return noContent();
  });

  router.add('POST', '/api/cloud/chats/:peerId/delete', async (ctx) => {
    const auth = await requireAuth(ctx);
    const peerId = param(ctx, 'peerId', Id);
    const { ids } = await readJson(ctx.req, DeleteCloudReq);
    await cloud.remove(auth.user.id, peerId, ids);
    return noContent();
  });

  router.add('GET', '/api/sync', async (ctx) => {
    const auth = await requireAuth(ctx);
    const after = queryInt(ctx.url, 'after', { min: 0, max: Number.MAX_SAFE_INTEGER, def: 0 });
    const n = queryInt(ctx.url, 'limit', { min: 1, max: LIMITS.syncPageMax, def: 200 });
    return json(await cloud.sync(auth.user.id, after, n));
  });

  // ---------- envelopes ----------
  router.add('POST', '/api/envelopes', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const body = await readJson(ctx.req, SendEnvelopeReq);
    if (body.body.length === 0 || body.body.length % 4 === 1) {
      throw new HttpError(400, 'bad_request', 'body: must be non-empty base64url');
    }
    const bytes = Buffer.from(body.body, 'base64url');
    if (bytes.length > LIMITS.envelopeMax) {
      throw new HttpError(413, 'too_large', `envelope body exceeds ${LIMITS.envelopeMax} bytes`);
    }
    const to = await deps.sessions.device(body.toDeviceId);
    if (!to || to.revokedAt !== null) throw new HttpError(404, 'not_found', 'no such device');
    const t = now();
    const requestId = body.requestId ?? null;
    const r = await store.putEnvelope(
      {
        id: body.id,
        toDeviceId: to.id,
        fromDeviceId: auth.device.id,
        fromUserId: auth.user.id,
        body: atRest.seal(bytes, envelopeAad(to.id, body.id)),
        createdAt: t,
        expiresAt: t + config.envelopeTtlDays * DAY_MS,
        requestId
      },
      requestId === null ? undefined : { toUserId: to.userId }
    );
    if (!r.ok) {
      switch (r.reason) {
        case 'id_conflict':
          throw new HttpError(409, 'conflict', 'envelope id is already used by another sender or request');
        case 'request_conflict':
          throw new HttpError(409, 'conflict', 'requestId belongs to another sender device or another user');
        case 'request_gone':
          throw new HttpError(410, 'gone', 'the request was already claimed or withdrawn');
      }
    }
    if (r.created) {
      // From the bytes in hand (canonical base64url, as a later GET would give); no need to open what was just sealed.
      const { seq, id, fromDeviceId, fromUserId, createdAt } = r.envelope;
      const envelope: Envelope = { seq, id, fromDeviceId, fromUserId, body: bytes.toString('base64url'), createdAt, requestId };
      bus.publish({ to: 'device', deviceId: to.id, frame: { t: 'envelope', envelope } });
    }
    return json({ seq: r.envelope.seq });
  });

  router.add('GET', '/api/envelopes', async (ctx) => {
    const auth = await requireAuth(ctx);
    const after = queryInt(ctx.url, 'after', { min: 0, max: Number.MAX_SAFE_INTEGER, def: 0 });
    const n = queryInt(ctx.url, 'limit', { min: 1, max: LIMITS.pageMax, def: LIMITS.pageMax });
    const rows = await store.listEnvelopes(auth.device.id, after, n, now());
    return json({ envelopes: rows.map(openEnvelope) });
  });

  router.add('POST', '/api/envelopes/ack', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { upTo } = await readJson(ctx.req, AckReq);
    await store.ackEnvelopes(auth.device.id, upTo);
    return noContent();
  });

  // ---------- secret-chat requests ----------
  router.add('POST', '/api/secret/claim', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { requestId } = await readJson(ctx.req, SecretRequestReq);
    const r = await store.claimSecretRequest(requestId, auth.user.id, auth.device.id);
    switch (r) {
      case 'claimed':
        log.debug('secret request claimed', { requestId, deviceId: auth.device.id });
        return noContent();
      case 'already':
        return noContent();
      case 'conflict':
        throw new HttpError(409, 'conflict', 'another device already claimed this request');
      case 'gone':
        throw new HttpError(410, 'gone', 'the request was withdrawn');
      case 'not_found':
        throw new HttpError(404, 'not_found', 'no such request');
    }
  });

  router.add('POST', '/api/secret/withdraw', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { requestId } = await readJson(ctx.req, SecretRequestReq);
    if (!(await store.withdrawSecretRequest(requestId, auth.device.id))) {
      throw new HttpError(404, 'not_found', 'no such request');
    }
    return noContent();
  });

  // ---------- encrypted media blobs ----------
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
    const tooLarge = () =>
      new HttpError(413, 'too_large', `blob exceeds ${config.maxBlobBytes} bytes`, { connection: 'close' });
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

  // ---------- Web Push and self-destruct wake-ups (push.ts, wakeups.ts; content-free pushes) ----------
  router.add('GET', '/api/push/key', async () => json({ publicKey: deps.push.publicKey }));

  router.add('POST', '/api/push/subscribe', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { endpoint, keys } = await readJson(ctx.req, PushSubscribeReq);
    const problem = pushEndpointProblem(endpoint, config.pushAllowInsecure, config.pushServiceHosts);
    if (problem) throw new HttpError(400, 'bad_request', `endpoint: ${problem}`);
    const keysProblem = pushKeysProblem(keys.p256dh, keys.auth);
    if (keysProblem) throw new HttpError(400, 'bad_request', keysProblem);
    await store.setPushSubscription({ deviceId: auth.device.id, endpoint, p256dh: keys.p256dh, auth: keys.auth, createdAt: now() });
    return noContent();
  });

  router.add('DELETE', '/api/push/subscribe', async (ctx) => {
    const auth = await requireAuth(ctx);
    await store.deletePushSubscription(auth.device.id);
    return noContent();
  });

  router.add('POST', '/api/wakeups', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { at } = await readJson(ctx.req, WakeupsReq);
    const problem = wakeTimesProblem(at, now());
    if (problem) throw new HttpError(400, 'bad_request', problem);
    if (!(await store.addWakeups(auth.device.id, at, PUSH_LIMITS.wakeupsPerDevice))) {
      throw new HttpError(409, 'conflict', `too many pending wake-ups (at most ${PUSH_LIMITS.wakeupsPerDevice} per device)`);
    }
    deps.wakeups.scheduled();
    return noContent();
  });

  return router;
}
