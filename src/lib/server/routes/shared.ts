/**
 * What every route area (./*.ts) shares: the dependencies, the guards (same-origin check,
 * authentication, rate limit), parameter parsing, replies, and the device sign-out helpers.
 * The order inside a handler is: same-origin check, authentication, rate limit, body.
 */
import type { z } from '$lib/api/zod';
import type { Session } from '../../api/wire';
import type { Accounts } from '../accounts';
import type { AtRest } from '../atrest';
import { originAllowed, type AuthCtx } from '../auth';
import type { BlobFiles } from '../blobs';
import type { Bus } from '../bus';
import { publicUser, type Cloud } from '../cloud';
import type { MediaTimers } from '../cloud-media';
import type { Scheduled } from '../cloud-scheduled';
import type { Config } from '../config';
import { HttpError, parse, type Ctx, type Reply, type Router } from '../http';
import type { LastSeenService } from '../last-seen';
import type { Logger } from '../log';
import type { PasswordVerifier } from '../password';
import type { PushService } from '../push';
import type { RateLimiter } from '../ratelimit';
import type { SessionCache } from '../session-cache';
import type { DeviceRow, Store, UserRow } from '../store/types';
import { backoffMs, LOGIN_FORGET_MS } from '../throttle';
import type { WakeScheduler } from '../wakeups';

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
  /** Scheduled messages and their timer (../cloud-scheduled.ts). */
  scheduled: Scheduled;
  passwords: PasswordVerifier;
  /** Cached session and device lookups (the relay drops revoked devices from it). */
  sessions: SessionCache;
  authLimiter: RateLimiter;
  sendLimiter: RateLimiter;
  /** Anonymous sealed posts and uploads: per mailbox (./sealed.ts), and per client address (addressBucket). */
  mailboxLimiter: RateLimiter;
  addressLimiter: RateLimiter;
  now: () => number;
  /** GET /healthz: dependency checks (monitor.ts); plain `{ok: true}` without it. */
  health?: () => Promise<Reply>;
  /** Web Push (push.ts) and self-destruct wake-ups (wakeups.ts). */
  push: PushService;
  wakeups: WakeScheduler;
  /** Account deletion and its fan-out (../accounts.ts). */
  accounts: Accounts;
  /** "Last seen" as each viewer may see it, and its privacy setting's fan-out (../last-seen.ts). */
  lastSeen: LastSeenService;
}

/** The deps-bound helpers of `createKit`. */
export interface Kit {
  /** Browsers always send Origin on unsafe requests; a foreign one is a cross-site request. */
  checkOrigin(ctx: Ctx): void;
  /** The signed-in device (401 otherwise); unsafe methods are origin-checked first. */
  requireAuth(ctx: Ctx): Promise<AuthCtx>;
  /** Revokes one of the user's devices and tells every node; false if it was not a live device. */
  revoke(auth: AuthCtx, deviceId: string): Promise<boolean>;
  /** Tells every node (sockets, session caches) that these devices are gone. */
  revoked(userId: string, deviceIds: string[], why: string): void;
}

/** One area of the API: registers its routes on the router. */
export type RouteArea = (router: Router, deps: ApiDeps, kit: Kit) => void;

export const DAY_MS = 86_400_000;
export const mib = (n: number) => (n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MB` : `${Math.ceil(n / 1024)} KB`);

/**
 * Counts a password attempt against the account's sign-in backoff (../throttle.ts): 429 while it runs.
 * Sign-in, password change and account deletion share it, so no route gives free guesses.
 */
export async function takeAttempt(deps: ApiDeps, key: string): Promise<void> {
  const { config, store, log, now } = deps;
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
}

/** 429 unless the limiter has a token for `key`. */
/** Takes `cost` tokens (a request that does the work of several, e.g. a forward of many messages). */
export const limit = (limiter: RateLimiter, key: string, cost = 1) => {
  const r = limiter.take(key, cost);
  if (!r.ok) {
    throw new HttpError(429, 'rate_limited', 'too many requests, slow down', { 'retry-after': String(r.retryAfterSec) });
  }
};

export const param = <S extends z.ZodMiniType>(ctx: Ctx, name: string, schema: S): z.output<S> => parse(schema, ctx.params[name]);

export const json = (body: unknown, status = 200, headers?: Reply['headers']): Reply => ({ status, body, headers });
/** JSON that may be compressed: no secret beside attacker-chosen text in it (BREACH, see compress.ts). */
export const compressibleJson = (body: unknown): Reply => ({ status: 200, body, compress: true });
export const noContent = (headers?: Reply['headers']): Reply => ({ status: 204, headers });

export const session = (user: UserRow, device: DeviceRow | { id: string; name: string }): Session => ({
  user: publicUser(user),
  device: { id: device.id, name: device.name }
});

export function createKit(deps: ApiDeps): Kit {
  const { config, store, log, bus, now } = deps;

  const checkOrigin = (ctx: Ctx) => {
    if (!originAllowed(ctx.req, config.trustProxy)) throw new HttpError(403, 'forbidden', 'cross-origin request refused');
  };

  return {
    checkOrigin,
    async requireAuth(ctx) {
      if (ctx.req.method !== 'GET') checkOrigin(ctx);
      const auth = await deps.sessions.authenticate(ctx.req);
      if (!auth) throw new HttpError(401, 'unauthorized', 'sign in required');
      return auth;
    },
    async revoke(auth, deviceId) {
      const done = await store.revokeDevice(auth.user.id, deviceId, now());
      if (done) {
        bus.publish({ to: 'revoke', deviceId });
        log.info('device revoked', { userId: auth.user.id, deviceId });
      }
      return done;
    },
    revoked(userId, deviceIds, why) {
      for (const deviceId of deviceIds) bus.publish({ to: 'revoke', deviceId });
      log.info('other devices revoked', { userId, count: deviceIds.length, why });
    }
  };
}
