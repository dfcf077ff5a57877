/**
 * The relay as an embeddable unit: the JSON API, /healthz and the /ws endpoint, independent of
 * SvelteKit, so production (main.ts) and tests mount it on a plain node:http server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createAccounts } from './accounts';
import { createApi } from './api';
import { clientAddress } from './auth';
import { createAtRest } from './atrest';
import { createBlobFiles, MEDIA_DIR } from './blobs';
import { createLocalBus, type Bus } from './bus';
import { createCloud } from './cloud';
import { createScheduled } from './cloud-scheduled';
import { restrictDataDir } from './data-perms';
import { createMediaTimers, UNATTACHED_MEDIA_MS } from './cloud-media';
import type { Config } from './config';
import { dispatch, errorBody, requestUrl } from './http';
import { createLogger, type Logger } from './log';
import { instrumentStore, Metrics, runHealth, serveMetrics, storeCheck, type HealthCheck } from './monitor';
import { createPasswordVerifier, DEFAULT_PARAMS, type ScryptParams } from './password';
import { createLastSeen } from './last-seen';
import { createLocalPresence, type Presence } from './presence';
import { perMinute, RateLimiter } from './ratelimit';
import { SessionCache } from './session-cache';
import { createPush, resolveVapidKeys, tapBus } from './push';
import { openSqliteStore } from './store/sqlite';
import type { Store } from './store/types';
import { LOGIN_FORGET_MS } from './throttle';
import { createWakeScheduler } from './wakeups';
import { createWsHub } from './ws';

export interface RelayOptions {
  /** Defaults to SQLite in config.dataDir; a store passed in is not closed by `close()`. */
  store?: Store;
  log?: Logger;
  /** Defaults to the in-process bus. */
  bus?: Bus;
  /** Clock (ms since epoch); tests move it to expire envelopes. */
  now?: () => number;
  /** WebSocket ping interval (ms). */
  heartbeatMs?: number;
  /** scrypt cost; only lowered in tests. */
  scrypt?: ScryptParams;
  /** Counters and gauges for GET /metrics; a fresh registry by default. */
  metrics?: Metrics;
  /** Extra /healthz checks besides the store (e.g. Redis). */
  healthChecks?: HealthCheck[];
  /** Cross-node presence (RedisBus.presence); defaults to this process's sockets only. */
  presence?: Presence;
  /** How often the last seen of the users this node holds is stored (ms); config.lastSeenRefreshMs by default. */
  lastSeenRefreshMs?: number;
  /** Web Push coalescing window per device (ms, default 2000); only changed in tests. */
  pushCoalesceMs?: number;
}

export interface Relay {
  /** Serves /api/* and /healthz; returns false (response untouched) for anything else. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Accepts the /ws upgrade; returns false (socket untouched) for any other path. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Deletes expired envelopes, secret-chat requests, mailboxes, blobs (rows and files) and stale sign-in counts; returns how many envelopes + blobs. */
  purgeExpired(): Promise<number>;
  /** Number of open WebSockets. */
  readonly sockets: number;
  /** The /metrics registry (other modules bump counters, e.g. `cinder_push_sent_total`). */
  readonly metrics: Metrics;
  /** Whether a device holds a live socket on any node. */
  readonly presence: Presence;
  /** Resolves once no push is being decided or sent (tests: a push that did not go, checked without waiting on a timer). */
  pushIdle(): Promise<void>;
  /** Runs the self-destruct wake-up scheduler once now (it also runs on its own timer); pushes sent. */
  runWakeups(): Promise<number>;
  /** Expires due timed cloud media once now (it also runs on its own timer); how many this node deleted. */
  runMediaTimers(): Promise<number>;
  /** Sends the scheduled messages due now (the timer does it by itself; tests with a set clock call it). */
  runScheduled(): Promise<number>;
  /** Stores now as the last seen of the users this node holds online, once (it also runs on its own timer); rows changed. */
  runLastSeenRefresh(): Promise<number>;
  /** Deletes the accounts away longer than their "delete if away" option once now (it also runs hourly); how many. */
  runAccountSweep(): Promise<number>;
  /** Closes sockets (1001), timers, and the store if the relay opened it. */
  close(): Promise<void>;
}

/** How many devices' worth of sealed posts one client address may make (see createRelay). */
export const SEALED_ADDRESS_FACTOR = 8;

export function isRelayPath(pathname: string): boolean {
  return pathname === '/healthz' || pathname === '/metrics' || pathname === '/api' || pathname.startsWith('/api/');
}

export function createRelay(config: Config, opts: RelayOptions = {}): Relay {
  const log = opts.log ?? createLogger(config.logLevel);
  const ownsStore = !opts.store;
  const metrics = opts.metrics ?? new Metrics();
  // Counts created messages and envelopes for /metrics; otherwise transparent.
  const store = instrumentStore(opts.store ?? openSqliteStore(config.dataDir), metrics);
  const presence = opts.presence ?? createLocalPresence();
  const healthChecks = [storeCheck(store), ...(opts.healthChecks ?? [])];
  const bus = opts.bus ?? createLocalBus((err) => log.error('bus listener failed', { err: err as Error }));
  const now = opts.now ?? Date.now;
  const atRest = createAtRest(config.atRestKey);
  const blobFiles = createBlobFiles(config.dataDir);
  const mediaFiles = createBlobFiles(config.dataDir, MEDIA_DIR);
  // Other local users must not read the database, keys or blobs (data-perms.ts).
  for (const problem of restrictDataDir(config.dataDir)) log.warn('data directory permissions', { problem });

  const sessions = new SessionCache(store, { now });
  // Revocations made on any node reach every node's cache through the bus.
  const unsubscribeSessions = bus.subscribe((event) => {
    if (event.to === 'revoke') sessions.forgetDevice(event.deviceId);
  });
  const authLimiter = perMinute(config.authRateLimit, now);
  const sendLimiter = new RateLimiter({ capacity: config.sendRateBurst, refillPerSec: config.sendRatePerSec, now });
  // Sealed posts have no device to count against: each mailbox (one chat direction, one day) gets a
  // device's send rate, and each client address eight times that (several devices may share one).
  const mailboxLimiter = new RateLimiter({ capacity: config.sendRateBurst, refillPerSec: config.sendRatePerSec, now });
  const addressLimiter = new RateLimiter({ capacity: config.sendRateBurst * SEALED_ADDRESS_FACTOR, refillPerSec: config.sendRatePerSec * SEALED_ADDRESS_FACTOR, now });
  // Web Push to devices without a socket (push.ts) and self-destruct wake-ups (wakeups.ts).
  const vapid = resolveVapidKeys(config);
  const push = createPush({
    store,
    log,
    vapid: vapid.keys,
    subject: config.vapidSubject,
    allowInsecure: config.pushAllowInsecure,
    allowedHosts: config.pushServiceHosts,
    isOnline: (deviceId) => presence.isOnline(deviceId),
    // Called only once events flow, after `cloud` below exists.
    isMuted: (userId, peerId) => cloud.mutedNow(userId, peerId),
    metrics,
    coalesceMs: opts.pushCoalesceMs
  });
  const wakeups = createWakeScheduler({ store, push, log, now });
  // The API and cloud publish through this tap, so each new envelope or message can push offline devices.
  const apiBus = tapBus(bus, (event) => push.onEvent(event));
  const lastSeen = createLastSeen({ store, presence, bus, log, now });
  // Users left "online" by a node that died: this node may be the one to record it (redis-bus.ts sweep).
  presence.onUserExpired?.((userId, at) => void lastSeen.expired(userId, at));
  presence.onUserBack?.((userId) => void lastSeen.back(userId));
  const cloud = createCloud({ store, atRest, bus: apiBus, now, mediaFiles, onChatStarted: (a, b) => void lastSeen.chatStarted(a, b) });
  const scheduled = createScheduled({ store, atRest, cloud, log, now, mediaFiles });
  const mediaTimers = createMediaTimers({ store, files: mediaFiles, publish: cloud.publish, log, now });
  const accounts = createAccounts({
    config,
    store,
    atRest,
    bus: apiBus,
    sessions,
    blobFiles,
    mediaFiles,
    publish: cloud.publish,
    gone: (id) => lastSeen.gone(id),
    log,
    now
  });
  const router = createApi({
    config,
    store,
    log,
    bus: apiBus,
    cloud,
    atRest,
    blobFiles,
    mediaFiles,
    mediaTimers,
    scheduled,
    passwords: createPasswordVerifier(opts.scrypt ?? DEFAULT_PARAMS),
    sessions,
    authLimiter,
    sendLimiter,
    mailboxLimiter,
    addressLimiter,
    now,
    push,
    wakeups,
    accounts,
    lastSeen,
    health: async () => {
      const report = await runHealth(healthChecks);
      return { status: report.ok ? 200 : 503, body: { ...report, sockets: hub.size } };
    }
  });
  const hub = createWsHub({
    config,
    store,
    log,
    bus,
    now,
    heartbeatMs: opts.heartbeatMs,
    presence,
    onUser: (userId, online) => void lastSeen.socket(userId, online),
    authenticate: (req) => sessions.authenticate(req)
  });
  wakeups.start();
  mediaTimers.start();
  scheduled.start();
  accounts.start();
  lastSeen.start(opts.lastSeenRefreshMs ?? config.lastSeenRefreshMs);
  log.debug('web push ready', { vapid: vapid.source });
  metrics.gauge('cinder_ws_connected_sockets', 'Open WebSockets on this node.', () => hub.size);
  let closed = false;

  return {
    handle(req, res) {
      const url = requestUrl(req);
      const pathname = url.pathname;
      if (!isRelayPath(pathname)) return false;
      if (pathname === '/metrics') {
        serveMetrics(req, res, metrics, config.metricsToken ?? null, clientAddress(req, config.trustProxy));
        return true;
      }
      dispatch(router, req, res, log, url).catch((err: unknown) => {
        // Only reachable if writing the response itself failed.
        log.error('response failed', { err: err instanceof Error ? err : String(err) });
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(errorBody('internal', 'internal error')));
        else res.destroy();
      });
      return true;
    },
    upgrade: (req, socket, head) => hub.upgrade(req, socket, head),
    async purgeExpired() {
      const t = now();
      const envelopes = await store.purgeExpiredEnvelopes(t);
      await store.purgeExpiredMailboxes(t);
      const blobs = await store.purgeExpiredBlobs(t);
      for (const id of blobs) {
        await blobFiles.remove(id).catch((err: unknown) => log.error('blob file removal failed', { id, err: err instanceof Error ? err : String(err) }));
      }
      // Cloud media uploaded but never sent.
      for (const id of await store.purgeUnattachedMedia(t - UNATTACHED_MEDIA_MS)) {
        await mediaFiles.remove(id).catch((err: unknown) => log.error('media file removal failed', { id, err: err instanceof Error ? err : String(err) }));
      }
      // Sign-in attempt counts nobody added to for a day (throttle.ts).
      await store.purgeLoginAttempts(t - LOGIN_FORGET_MS);
      // Usernames of deleted accounts whose quarantine ended: nothing about them is kept longer.
      await store.purgeUsernameQuarantine(t);
      return envelopes + blobs.length;
    },
    get sockets() {
      return hub.size;
    },
    metrics,
    presence,
    pushIdle: () => push.idle(),
    runWakeups: () => wakeups.run(),
    runMediaTimers: () => mediaTimers.run(),
    runScheduled: () => scheduled.run(),
    runAccountSweep: () => accounts.sweep(),
    runLastSeenRefresh: () => lastSeen.refresh(),
    async close() {
      if (closed) return;
      closed = true;
      await wakeups.close();
      await mediaTimers.close();
      await scheduled.close();
      await accounts.close();
      await push.close();
      await hub.close();
      lastSeen.close();
      await lastSeen.idle();
      unsubscribeSessions();
      authLimiter.close();
      sendLimiter.close();
      mailboxLimiter.close();
      addressLimiter.close();
      if (!opts.bus) await bus.close();
      if (ownsStore) await store.close();
    }
  };
}
