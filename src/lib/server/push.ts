/**
 * Web Push from the relay to devices that have no open WebSocket (docs/api.md "Web Push").
 *
 * Every push is CONTENT-FREE: the encrypted payload is exactly `{"t":"envelope"}`, `{"t":"update"}` or
 * `{"t":"wake"}` (wire `PushPayload`); the service worker then fetches what is pending over the API
 * itself. The push service (and anyone who breaks the payload encryption) learns only that something
 * happened, never what.
 *
 * - VAPID keys: VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY, else DATA_DIR/vapid.json (generated once, 0600).
 * - Triggers: the relay hands this module every event the API publishes on the bus (`tapBus`): a new
 *   envelope for a device, or a new cloud message for a user (to each of the user's other devices).
 *   Reads, deletes and one's own messages don't push: browsers make every push show a notification.
 *   Nor does a message in a chat the recipient has muted at that moment (`isMuted`: the user's own
 *   cloud chat settings, for all of their devices); a message in another chat in the same coalescing
 *   window still pushes. Secret envelopes are sealed to the device: the relay cannot tell their chat, so
 *   they always push and the service worker filters what it shows (docs/threat-model.md).
 * - Only devices for which `isOnline(deviceId)` is false are pushed (the relay's `Presence`: a socket
 *   on this node, or with the Redis bus on any node).
 * - Coalescing: at most one push per device per `coalesceMs` (2 s); events inside the window set a
 *   pending flag and one trailing push goes out when it closes (if the device is still offline).
 * - Requests are built by web-push (`generateRequestDetails`: aes128gcm + VAPID JWT) and sent here,
 *   with a timeout and no redirects, through agents that refuse internal addresses at connect time
 *   (net-guard.ts), so a public-looking name that resolves inside the relay's network is never reached. 404/410 deletes the subscription. Failures are logged without
 *   the endpoint path or keys and never reach the request that triggered them.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, statSync, chmodSync, unlinkSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { join } from 'node:path';
import webpush, { type RequestDetails } from 'web-push';
import type { PushPayload } from '../api/wire';
import type { Bus, BusEvent } from './bus';
import { ConfigError, type Config } from './config';
import type { Logger } from './log';
import { guardedLookup, isInternalAddress, RefusedAddressError, type GuardOptions } from './net-guard';
import type { Store } from './store/types';

export const VAPID_FILE = 'vapid.json';
export const PUSH_COALESCE_MS = 2000;
/** Per-request timeout; kept well under the wake-up claim staleness (30 s). */
export const PUSH_TIMEOUT_MS = 10_000;

export type PushKind = PushPayload['t'];

const HOUR_S = 3600;
/** Push-service retention per kind (TTL header, seconds) and the Topic that replaces an undelivered one. */
const KINDS: Record<PushKind, { ttl: number; payload: string }> = {
  envelope: { ttl: 24 * HOUR_S, payload: '{"t":"envelope"}' },
  update: { ttl: 24 * HOUR_S, payload: '{"t":"update"}' },
  // Late is still useful: the service worker purges on any wake. Matches the registration horizon.
  wake: { ttl: 8 * 24 * HOUR_S, payload: '{"t":"wake"}' }
};

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

// ---------- VAPID keys ----------

/**
 * DATA_DIR/vapid.json, created on first start. Written to a temp file and hard-linked into place, so a
 * second process starting at the same moment either wins the link or reads a complete file.
 */
export function loadOrCreateVapidKeys(dataDir: string): { keys: VapidKeys; source: 'file' | 'generated' } {
  const path = join(dataDir, VAPID_FILE);
  const read = (): VapidKeys => {
    let parsed: Partial<VapidKeys>;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<VapidKeys>;
    } catch (e) {
      throw new ConfigError(`cannot read ${path}: ${(e as Error).message}`);
    }
    if (typeof parsed.publicKey !== 'string' || typeof parsed.privateKey !== 'string') {
      throw new ConfigError(`${path} must hold {"publicKey","privateKey"}`);
    }
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { publicKey: parsed.publicKey, privateKey: parsed.privateKey };
  };
  try {
    statSync(path);
    return { keys: read(), source: 'file' };
  } catch (e) {
    if (e instanceof ConfigError) throw e;
  }
  const generated = webpush.generateVAPIDKeys();
  const keys: VapidKeys = { publicKey: generated.publicKey, privateKey: generated.privateKey };
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(keys) + '\n', { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
    return { keys, source: 'generated' };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new ConfigError(`cannot create ${path}: ${(e as Error).message}`);
    return { keys: read(), source: 'file' };
  } finally {
    unlinkSync(tmp);
  }
}

export function resolveVapidKeys(config: Config): { keys: VapidKeys; source: 'env' | 'file' | 'generated' } {
  return config.vapidKeys ? { keys: config.vapidKeys, source: 'env' } : loadOrCreateVapidKeys(config.dataDir);
}

// ---------- endpoint policy ----------

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Names that only resolve inside some private network (or are reserved never to resolve publicly). */
const INTERNAL_SUFFIX = /\.(local|localhost|localdomain|internal|intranet|lan|home|corp|private|svc|cluster|arpa|invalid|test|example|onion)$/;

/** Whether `host` is one of `allowed` or a subdomain of one (a leading dot in an entry is ignored). */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowed.some((a) => {
    const d = a.toLowerCase().replace(/^\./, '').replace(/\.$/, '');
    return h === d || h.endsWith('.' + d);
  });
}

/**
 * Why the relay refuses to POST to this endpoint, or null if it is acceptable. Push services are public
 * https hosts on the default port; anything else (IP literals, internal names, other ports) would let a
 * client aim the relay's requests at the relay's own network. This is the syntactic half; the address a
 * name resolves to is checked when connecting (net-guard.ts). With `allowedHosts` (PUSH_SERVICE_HOSTS)
 * the host must also be one of those domains. With PUSH_ALLOW_INSECURE (tests only), http or https on
 * 127.0.0.1 / localhost is accepted.
 */
export function pushEndpointProblem(endpoint: string, allowInsecure: boolean, allowedHosts: readonly string[] | null = null): string | null {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return 'must be a URL';
  }
  if (u.username || u.password) return 'must not contain credentials';
  if (allowInsecure && LOOPBACK.has(u.hostname) && (u.protocol === 'http:' || u.protocol === 'https:')) return null;
  if (u.protocol !== 'https:') return 'must be an https URL';
  if (u.port !== '') return 'must use the default https port';
  // "localhost." is "localhost": a trailing dot must not slip a name past the suffix checks.
  const host = u.hostname.toLowerCase().replace(/\.$/, '');
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return 'must name a push service host, not an IP address';
  if (!host.includes('.') || INTERNAL_SUFFIX.test(host) || host === 'localhost') {
    return 'must name a public push service host';
  }
  if (allowedHosts && !hostAllowed(host, allowedHosts)) return 'is not one of the push services this relay sends to';
  return null;
}

/**
 * Why the subscription keys are unusable, or null. The wire schema checks lengths; this checks that
 * p256dh is a point on P-256 (encryption to anything else fails on every send).
 */
export function pushKeysProblem(p256dh: string, auth: string): string | null {
  const point = Buffer.from(p256dh, 'base64url');
  if (point.length !== 65 || point[0] !== 4) return 'keys.p256dh: must be an uncompressed P-256 point';
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    ecdh.computeSecret(point); // throws for a point that is not on the curve
  } catch {
    return 'keys.p256dh: is not a point on the P-256 curve';
  }
  if (Buffer.from(auth, 'base64url').length !== 16) return 'keys.auth: must be 16 bytes';
  return null;
}

// ---------- sending ----------

export type SendOutcome =
  /** The push service accepted it. */
  | 'sent'
  /** Nothing to send to: no subscription, or the service answered 404/410 (subscription deleted). */
  | 'gone'
  /** A transient failure (network, timeout, 429, 5xx); logged. */
  | 'failed';

export interface PushDeps {
  store: Store;
  log: Logger;
  vapid: VapidKeys;
  subject: string;
  allowInsecure: boolean;
  /** PUSH_SERVICE_HOSTS: the only push-service domains sent to; null: any public host. */
  allowedHosts?: readonly string[] | null;
  /** DNS resolver behind the address guard (tests inject one); dns.lookup by default. */
  resolve?: GuardOptions['resolve'];
  /** Whether the device has a live socket on any node (then it hears about everything there). */
  isOnline(deviceId: string): boolean | Promise<boolean>;
  /** Whether `userId` has muted their cloud chat with `peerId` right now (then its messages push no one). */
  isMuted?(userId: string, peerId: string): Promise<boolean>;
  /** Counters `cinder_push_sent_total` / `cinder_push_failed_total` (monitor.ts `Metrics`). */
  metrics?: { inc(name: 'cinder_push_sent_total' | 'cinder_push_failed_total'): void };
  coalesceMs?: number;
  timeoutMs?: number;
}

export interface PushService {
  readonly publicKey: string;
  /** Bus tap: pushes for new envelopes and new cloud messages to offline devices. Never throws. */
  onEvent(event: BusEvent): void;
  /** A coalesced content-free push to the device, unless it is online. Never throws. */
  notify(deviceId: string, kind: 'envelope' | 'update'): void;
  /** One push right now, not coalesced, online or not (wake-ups). Never rejects. */
  send(deviceId: string, kind: PushKind): Promise<SendOutcome>;
  /** Resolves when no push is being sent (tests). */
  idle(): Promise<void>;
  /** Stops coalescing timers and waits for in-flight sends. */
  close(): Promise<void>;
}

/** A bus that also hands every published event to `tap` (after publishing). Subscribing is unchanged. */
export function tapBus(bus: Bus, tap: (event: BusEvent) => void): Bus {
  return {
    publish(event) {
      bus.publish(event);
      tap(event);
    },
    subscribe: (listener) => bus.subscribe(listener),
    close: () => bus.close()
  };
}

/** The push service's host, for logs (the endpoint path is a capability; never logged). */
const serviceHost = (endpoint: string) => {
  try {
    return new URL(endpoint).host;
  } catch {
    return '?';
  }
};

interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** Keep-alive agents whose every new connection goes through the address guard (net-guard.ts). */
function guardedAgents(guard: GuardOptions): Agents {
  const lookup = guardedLookup(guard);
  return { http: new HttpAgent({ keepAlive: true, lookup }), https: new HttpsAgent({ keepAlive: true, lookup }) };
}

function post(details: RequestDetails, timeoutMs: number, agents: Agents, allowLoopback: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(details.endpoint);
    // IP literals never reach `lookup`; check them here.
    const literal = u.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) !== 0 && isInternalAddress(literal) && !(allowLoopback && /^(127\.|::1$)/.test(literal))) {
      reject(new RefusedAddressError(u.hostname, literal));
      return;
    }
    const http = u.protocol === 'http:';
    const req = (http ? httpRequest : httpsRequest)(
      u,
      {
        method: 'POST',
        headers: details.headers as Record<string, string | number>,
        timeout: timeoutMs,
        agent: http ? agents.http : agents.https
      },
      (res: IncomingMessage) => {
        res.resume(); // the answer's body is of no interest
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      }
    );
    req.on('timeout', () => req.destroy(new Error('push service timed out')));
    req.on('error', reject);
    req.end(details.body ?? undefined);
  });
}

export function createPush(deps: PushDeps): PushService {
  const { store, log, vapid, subject, allowInsecure, isOnline } = deps;
  const coalesceMs = deps.coalesceMs ?? PUSH_COALESCE_MS;
  const timeoutMs = deps.timeoutMs ?? PUSH_TIMEOUT_MS;
  const allowedHosts = deps.allowedHosts ?? null;
  const agents = guardedAgents({ allowLoopback: allowInsecure, resolve: deps.resolve });
  const inflight = new Set<Promise<unknown>>();
  /** Open coalescing windows: a push went out to the device less than `coalesceMs` ago. */
  const windows = new Map<string, { timer: NodeJS.Timeout; pending: 'envelope' | 'update' | null }>();
  let closed = false;

  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => undefined);
    return p;
  };

  async function sendOnce(deviceId: string, kind: PushKind): Promise<SendOutcome> {
    let host = '?';
    try {
      const sub = await store.getPushSubscription(deviceId);
      if (!sub) return 'gone';
      host = serviceHost(sub.endpoint);
      const problem = pushEndpointProblem(sub.endpoint, allowInsecure, allowedHosts) ?? pushKeysProblem(sub.p256dh, sub.auth);
      if (problem) {
        // Stored before these checks existed (or the allowlist changed): it can never work, so drop it.
        await store.deletePushSubscription(deviceId, sub.endpoint);
        log.warn('push subscription refused; deleted', { deviceId, service: host, reason: problem });
        return 'gone';
      }
      const { ttl, payload } = KINDS[kind];
      const details = webpush.generateRequestDetails({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, payload, {
        vapidDetails: { subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
        TTL: ttl,
        urgency: 'high',
        // The push service keeps only the newest undelivered message per topic.
        topic: kind,
        contentEncoding: 'aes128gcm'
      });
      const status = await post(details, timeoutMs, agents, allowInsecure);
      if (status >= 200 && status < 300) {
        log.debug('push sent', { deviceId, kind, service: host, status });
        deps.metrics?.inc('cinder_push_sent_total');
        return 'sent';
      }
      if (status === 404 || status === 410) {
        await store.deletePushSubscription(deviceId, sub.endpoint);
        log.info('push subscription expired; deleted', { deviceId, service: host, status });
        return 'gone';
      }
      log.warn('push refused', { deviceId, kind, service: host, status });
      deps.metrics?.inc('cinder_push_failed_total');
      return 'failed';
    } catch (err) {
      log.warn('push failed', { deviceId, kind, service: host, err: err instanceof Error ? err.message : String(err) });
      deps.metrics?.inc('cinder_push_failed_total');
      return 'failed';
    }
  }

  const stronger = (a: 'envelope' | 'update' | null, b: 'envelope' | 'update') => (a === 'envelope' ? a : b);

  function notify(deviceId: string, kind: 'envelope' | 'update'): void {
    if (closed) return;
    void track(
      (async () => {
        if (await isOnline(deviceId)) return;
        coalesce(deviceId, kind);
      })().catch((err: unknown) => log.error('push presence check failed', { deviceId, err: err instanceof Error ? err : String(err) }))
    );
  }

  /** Sends now and opens the device's window, or marks the open window pending. */
  function coalesce(deviceId: string, kind: 'envelope' | 'update'): void {
    if (closed) return;
    const open = windows.get(deviceId);
    if (open) {
      open.pending = stronger(open.pending, kind);
      return;
    }
    const timer = setTimeout(() => {
      const w = windows.get(deviceId);
      windows.delete(deviceId);
      if (w?.pending) notify(deviceId, w.pending); // still offline? one trailing push, new window
    }, coalesceMs);
    timer.unref();
    windows.set(deviceId, { timer, pending: null });
    void track(sendOnce(deviceId, kind));
  }

  /** Muted, or not known to be (a failed look-up wakes the devices rather than lose a message's push). */
  async function muted(userId: string, peerId: string): Promise<boolean> {
    try {
      return (await deps.isMuted?.(userId, peerId)) ?? false;
    } catch (err) {
      log.error('push mute check failed', { userId, err: err instanceof Error ? err : String(err) });
      return false;
    }
  }

  async function notifyUserDevices(userId: string, peerId: string, exceptDeviceId: string): Promise<void> {
    if (await muted(userId, peerId)) return;
    for (const d of await store.listDevices(userId)) {
      if (d.id !== exceptDeviceId) notify(d.id, 'update');
    }
  }

  return {
    publicKey: vapid.publicKey,

    onEvent(event) {
      try {
        switch (event.to) {
          case 'device':
            if (event.frame.t === 'envelope') notify(event.deviceId, 'envelope');
            break;
          case 'user': {
            const f = event.frame;
            // Only a new message from someone else is worth waking a device (and a notification) for.
            // The message is hydrated for the recipient: its `peerId` names the chat (the sender).
            if (f.t === 'update' && f.update.kind === 'message' && f.update.message.senderId !== event.userId) {
              const { peerId, senderDeviceId } = f.update.message;
              void track(
                notifyUserDevices(event.userId, peerId, senderDeviceId).catch((err: unknown) =>
                  log.error('push fan-out failed', { userId: event.userId, err: err instanceof Error ? err : String(err) })
                )
              );
            }
            break;
          }
          case 'revoke': {
            const w = windows.get(event.deviceId);
            if (w) clearTimeout(w.timer);
            windows.delete(event.deviceId);
            break;
          }
        }
      } catch (err) {
        log.error('push trigger failed', { err: err instanceof Error ? err : String(err) });
      }
    },

    notify,

    send(deviceId, kind) {
      return track(sendOnce(deviceId, kind));
    },

    async idle() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },

    async close() {
      closed = true;
      for (const w of windows.values()) clearTimeout(w.timer);
      windows.clear();
      await this.idle();
      agents.http.destroy();
      agents.https.destroy();
    }
  };
}
