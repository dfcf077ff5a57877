/**
 * The /ws endpoint: authenticated upgrade, a hub from users and devices to their live sockets, and
 * delivery of bus events. Sockets only carry notifications; everything they announce can also be
 * fetched over HTTP (sync, envelopes), so a dropped socket loses nothing.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ClientFrame, LIMITS, type ErrorCode, type ServerFrame } from '../api/wire';
import { originAllowed, type AuthCtx } from './auth';
import { eitherBlocked } from './blocks';
import { chatOf } from './chat-of';
import type { Bus, BusEvent } from './bus';
import type { Config } from './config';
import { errorBody, requestUrl } from './http';
import type { Logger } from './log';
import { TokenBucket } from './ratelimit';
import type { Presence } from './presence';
import type { Store } from './store/types';

export const WS_PATH = '/ws';
/** Close code for a socket whose device was revoked (application range 4000-4999). */
export const CLOSE_REVOKED = 4001;
/** Bad frames tolerated per socket before it is closed with 1008. */
export const MAX_BAD_FRAMES = 10;
/**
 * Open sockets per device (one per tab of the app, plus half-dead ones awaiting the heartbeat); more
 * are refused with 429 so one token cannot pin unbounded server memory.
 */
export const MAX_SOCKETS_PER_DEVICE = 16;
/** A peer that lets this much pile up unsent is too slow to keep. */
const MAX_BUFFERED = 8 * 1024 * 1024;

export interface WsDeps {
  config: Config;
  store: Store;
  log: Logger;
  bus: Bus;
  now: () => number;
  /** Ping interval; a socket that misses one whole interval is terminated. */
  heartbeatMs?: number;
  /** Told when this node gets its first / loses its last socket of a device (cross-node presence). */
  presence?: Presence;
  /** Told when this node gets its first (`online`) / loses its last socket of a user ("last seen": ./last-seen.ts). */
  onUser?: (userId: string, online: boolean) => void;
  /** Resolves a request's session (the relay's SessionCache, shared with the HTTP API). */
  authenticate: (req: IncomingMessage) => Promise<AuthCtx | null>;
}

interface Client {
  ws: WebSocket;
  userId: string;
  deviceId: string;
  alive: boolean;
  badFrames: number;
  bucket: TokenBucket;
  /** Frames published before `hello` went out; flushed right after it, so hello is always first. */
  pending: ServerFrame[] | null;
}

export interface WsHub {
  /** Handles an HTTP upgrade for /ws; false (and socket untouched) for any other path. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Number of open sockets (for tests and health). */
  readonly size: number;
  close(): Promise<void>;
}

function rejectUpgrade(socket: Duplex, status: number, code: ErrorCode, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(errorBody(code, message));
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Cache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

export function createWsHub({ config, store, log, bus, now, heartbeatMs = 30_000, presence, onUser, authenticate }: WsDeps): WsHub {
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.wsFrameMax });
  const byUser = new Map<string, Set<Client>>();
  const byDevice = new Map<string, Set<Client>>();
  const clients = new Map<WebSocket, Client>();
  let closing = false;

  const index = (map: Map<string, Set<Client>>, key: string, c: Client, add: boolean) => {
    let set = map.get(key);
    if (add) {
      if (!set) map.set(key, (set = new Set()));
      set.add(c);
    } else if (set) {
      set.delete(c);
      if (set.size === 0) map.delete(key);
    }
  };

  const send = (c: Client, frame: ServerFrame) => {
    if (c.pending) {
      c.pending.push(frame);
      return;
    }
    if (c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount > MAX_BUFFERED) {
      log.warn('ws slow consumer terminated', { deviceId: c.deviceId });
      c.ws.terminate();
      return;
    }
    c.ws.send(JSON.stringify(frame));
  };

  const deliver = (event: BusEvent) => {
    switch (event.to) {
      case 'user':
        for (const c of byUser.get(event.userId) ?? []) send(c, event.frame);
        break;
      case 'users':
        for (const userId of event.userIds) for (const c of byUser.get(userId) ?? []) send(c, event.frame);
        break;
      case 'device':
        for (const c of byDevice.get(event.deviceId) ?? []) send(c, event.frame);
        break;
      case 'revoke':
        for (const c of byDevice.get(event.deviceId) ?? []) {
          c.pending = null; // nothing else matters to a revoked device
          send(c, { t: 'revoked' });
          c.ws.close(CLOSE_REVOKED, 'device revoked');
        }
        break;
    }
  };
  const unsubscribe = bus.subscribe(deliver);

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      const c = clients.get(ws);
      if (!c) continue;
      if (!c.alive) {
        ws.terminate();
        continue;
      }
      c.alive = false;
      ws.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();

  const badFrame = (c: Client, code: string, message: string) => {
    c.badFrames++;
    send(c, { t: 'error', code, message });
    if (c.badFrames >= MAX_BAD_FRAMES) c.ws.close(1008, 'too many bad frames');
  };

  const onFrame = async (c: Client, data: RawData, isBinary: boolean) => {
    if (!c.bucket.take().ok) return badFrame(c, 'rate_limited', 'too many frames');
    if (isBinary) return badFrame(c, 'bad_request', 'frames must be JSON text');
    let value: unknown;
    try {
      value = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
    } catch {
      return badFrame(c, 'invalid_json', 'frame is not valid JSON');
    }
    const r = ClientFrame.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0];
      const path = issue?.path.map(String).join('.');
      return badFrame(c, 'bad_request', path ? `${path}: ${issue.message}` : (issue?.message ?? 'bad frame'));
    }
    const frame = r.data;
    switch (frame.t) {
      case 'ping':
        send(c, frame.n === undefined ? { t: 'pong' } : { t: 'pong', n: frame.n });
        return;
      case 'typing': {
        // Only between members of an existing chat (one a message was sent in), so typing can't be used to poke strangers.
        if (frame.peerId === c.userId || !(await chatOf(store, c.userId, frame.peerId))) {
          send(c, { t: 'error', code: 'not_found', message: 'no such chat' });
          return;
        }
        // Never to or from a blocked user (../blocks.ts), and nothing said about it.
        if (await eitherBlocked(store, c.userId, frame.peerId)) return;
        bus.publish({ to: 'user', userId: frame.peerId, frame: { t: 'typing', peerId: c.userId } });
        return;
      }
    }
  };

  const onConnection = (ws: WebSocket, auth: AuthCtx) => {
    const c: Client = {
      ws,
      userId: auth.user.id,
      deviceId: auth.device.id,
      alive: true,
      badFrames: 0,
      bucket: new TokenBucket(config.wsFrameBurst, config.wsFramePerSec),
      pending: []
    };
    clients.set(ws, c);
    index(byUser, c.userId, c, true);
    index(byDevice, c.deviceId, c, true);
    if (byDevice.get(c.deviceId)?.size === 1) presence?.online(c.deviceId);
    if (byUser.get(c.userId)?.size === 1) onUser?.(c.userId, true);
    // Nothing naming the device: the log would otherwise keep when each one was online.
    log.debug('ws open');

    ws.on('pong', () => (c.alive = true));
    ws.on('message', (data, isBinary) => {
      onFrame(c, data, isBinary).catch((err: unknown) => {
        log.error('ws frame handler failed', { deviceId: c.deviceId, err: err instanceof Error ? err : String(err) });
        send(c, { t: 'error', code: 'internal', message: 'internal error' });
      });
    });
    ws.on('error', (err) => log.debug('ws error', { deviceId: c.deviceId, err }));
    ws.on('close', (code) => {
      clients.delete(ws);
      index(byUser, c.userId, c, false);
      index(byDevice, c.deviceId, c, false);
      if (!byDevice.has(c.deviceId)) presence?.offline(c.deviceId);
      if (!byUser.has(c.userId)) onUser?.(c.userId, false);
      log.debug('ws close', { code });
    });

    // Registered before reading the cursor, so nothing published in between is missed.
    Promise.all([store.latestCursor(c.userId), store.countEnvelopes(c.deviceId, now())])
      .then(([cursor, envelopes]) => {
        const queued = c.pending ?? [];
        c.pending = null;
        send(c, { t: 'hello', cursor, envelopes });
        for (const f of queued) send(c, f);
      })
      .catch((err: unknown) => {
        log.error('ws hello failed', { err: err instanceof Error ? err : String(err) });
        ws.close(1011, 'internal error');
      });
  };

  return {
    upgrade(req, socket, head) {
      const path = requestUrl(req).pathname;
      if (path !== WS_PATH) return false;
      socket.on('error', () => {}); // a client vanishing mid-handshake is not our error
      if (closing) {
        rejectUpgrade(socket, 503, 'internal', 'server is shutting down');
        return true;
      }
      if (!originAllowed(req, config.trustProxy)) {
        rejectUpgrade(socket, 403, 'forbidden', 'origin does not match host');
        return true;
      }
      authenticate(req)
        .then((auth) => {
          if (!auth) return rejectUpgrade(socket, 401, 'unauthorized', 'sign in required');
          if (socket.destroyed) return;
          // Checked and registered in the same tick (handleUpgrade completes synchronously), so
          // concurrent upgrades cannot overshoot.
          if ((byDevice.get(auth.device.id)?.size ?? 0) >= MAX_SOCKETS_PER_DEVICE) {
            return rejectUpgrade(socket, 429, 'rate_limited', 'too many open sockets for this device');
          }
          wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, auth));
        })
        .catch((err: unknown) => {
          log.error('ws upgrade failed', { err: err instanceof Error ? err : String(err) });
          rejectUpgrade(socket, 500, 'internal', 'internal error');
        });
      return true;
    },

    get size() {
      return clients.size;
    },

    async close() {
      closing = true;
      clearInterval(heartbeat);
      unsubscribe();
      const open = [...clients.keys()];
      await Promise.all(
        open.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === WebSocket.CLOSED) return resolve();
              // Give the closing handshake a moment, then cut.
              const t = setTimeout(() => ws.terminate(), 1000);
              ws.once('close', () => {
                clearTimeout(t);
                resolve();
              });
              ws.close(1001, 'server shutting down');
            })
        )
      );
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  };
}
