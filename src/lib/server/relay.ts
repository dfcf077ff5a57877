/**
 * The relay as an embeddable unit: the JSON API, /healthz and the /ws endpoint, independent of
 * SvelteKit, so production (main.ts) and tests mount it on a plain node:http server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createApi } from './api';
import { createAtRest } from './atrest';
import { createBlobFiles } from './blobs';
import { createLocalBus, type Bus } from './bus';
import { createCloud } from './cloud';
import type { Config } from './config';
import { dispatch, errorBody, requestUrl } from './http';
import { createLogger, type Logger } from './log';
import { createPasswordVerifier, DEFAULT_PARAMS, type ScryptParams } from './password';
import { perMinute, RateLimiter } from './ratelimit';
import { openSqliteStore } from './store/sqlite';
import type { Store } from './store/types';
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
}

export interface Relay {
  /** Serves /api/* and /healthz; returns false (response untouched) for anything else. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Accepts the /ws upgrade; returns false (socket untouched) for any other path. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Deletes expired envelopes, secret-chat requests and blobs (rows and files); returns how many envelopes + blobs. */
  purgeExpired(): Promise<number>;
  /** Number of open WebSockets. */
  readonly sockets: number;
  /** Closes sockets (1001), timers, and the store if the relay opened it. */
  close(): Promise<void>;
}

export function isRelayPath(pathname: string): boolean {
  return pathname === '/healthz' || pathname === '/api' || pathname.startsWith('/api/');
}

export function createRelay(config: Config, opts: RelayOptions = {}): Relay {
  const log = opts.log ?? createLogger(config.logLevel);
  const ownsStore = !opts.store;
  const store = opts.store ?? openSqliteStore(config.dataDir);
  const bus = opts.bus ?? createLocalBus((err) => log.error('bus listener failed', { err: err as Error }));
  const now = opts.now ?? Date.now;
  const atRest = createAtRest(config.atRestKey);
  const blobFiles = createBlobFiles(config.dataDir);

  const authLimiter = perMinute(config.authRateLimit, now);
  const sendLimiter = new RateLimiter({ capacity: config.sendRateBurst, refillPerSec: config.sendRatePerSec, now });
  const cloud = createCloud({ store, atRest, bus, now });
  const router = createApi({
    config,
    store,
    log,
    bus,
    cloud,
    atRest,
    blobFiles,
    passwords: createPasswordVerifier(opts.scrypt ?? DEFAULT_PARAMS),
    authLimiter,
    sendLimiter,
    now
  });
  const hub = createWsHub({ config, store, log, bus, now, heartbeatMs: opts.heartbeatMs });
  let closed = false;

  return {
    handle(req, res) {
      if (!isRelayPath(requestUrl(req).pathname)) return false;
      dispatch(router, req, res, log).catch((err: unknown) => {
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
      const blobs = await store.purgeExpiredBlobs(t);
      for (const id of blobs) {
        await blobFiles.remove(id).catch((err: unknown) =>
          log.error('blob file removal failed', { id, err: err instanceof Error ? err : String(err) })
        );
      }
      return envelopes + blobs.length;
    },
    get sockets() {
      return hub.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      await hub.close();
      authLimiter.close();
      sendLimiter.close();
      if (!opts.bus) await bus.close();
      if (ownsStore) await store.close();
    }
  };
}
