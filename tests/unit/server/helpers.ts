/** Test harness: a real relay on an ephemeral port over a fresh temp DATA_DIR. */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { WebSocket } from 'ws';
import type { ServerFrame, Session } from '../../../src/lib/api/wire';
import { loadConfig, type Config } from '../../../src/lib/server/config';
import { createLogger } from '../../../src/lib/server/log';
import { createRelay, type Relay } from '../../../src/lib/server/relay';
import { openSqliteStore, type SqliteStore } from '../../../src/lib/server/store/sqlite';
import type { Store } from '../../../src/lib/server/store/types';

/** Cheap scrypt for speed; password.test.ts covers the production parameters. */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface TestServer {
  url: string;
  host: string;
  dataDir: string;
  config: Config;
  relay: Relay;
  store: SqliteStore;
  server: Server;
  logs: string[];
  clock: { now: number | null };
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  heartbeatMs?: number;
  dataDir?: string;
  /** Web Push coalescing window (ms); the relay's default (2000) otherwise. */
  pushCoalesceMs?: number;
  /** What the relay gets instead of the store (e.g. a spy counting its calls); `store` stays the bare one. */
  wrap?: (s: Store) => Store;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'cinder-test-'));
}

export function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir();
  return serveRelay(
    dataDir,
    () => openSqliteStore(dataDir),
    opts,
    () => {
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  );
}

/**
 * A relay over the store `open` gives, for `dataDir`, served on an ephemeral port, its logs kept.
 * `close` stops it, closes the store, then runs `cleanUp` (the store's files, schema…).
 */
export async function serveRelay<S extends Store>(
  dataDir: string,
  open: () => S | Promise<S>,
  opts: Omit<StartOptions, 'dataDir'>,
  cleanUp: () => void | Promise<void>
): Promise<Omit<TestServer, 'store'> & { store: S }> {
  const config = loadConfig({ DATA_DIR: dataDir, AUTH_RATE_LIMIT: '10000', SEND_RATE_BURST: '10000', ...opts.env });
  const logs: string[] = [];
  const log = createLogger('debug', (l) => logs.push(l));
  const store = await open();
  // A settable clock: null means real time.
  const clock: { now: number | null } = { now: null };
  const relay = createRelay(config, {
    store: opts.wrap ? opts.wrap(store) : store,
    log,
    scrypt: FAST_SCRYPT,
    now: () => clock.now ?? Date.now(),
    heartbeatMs: opts.heartbeatMs,
    pushCoalesceMs: opts.pushCoalesceMs
  });
  const served = await listenRelay(relay);
  return {
    ...served,
    dataDir,
    config,
    relay,
    store,
    logs,
    clock,
    async close() {
      await served.stop();
      await store.close();
      await cleanUp();
    }
  };
}

/** Serves a relay (HTTP and WebSocket upgrades) on an ephemeral loopback port. */
export async function listenRelay(relay: Relay): Promise<{ url: string; host: string; server: Server; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (!relay.handle(req, res)) res.writeHead(418).end('not the relay');
  });
  server.on('upgrade', (req, socket, head) => {
    if (!relay.upgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    server,
    async stop() {
      await relay.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  };
}

/** What the request helpers need of a server: its base URL. */
export type Served = Pick<TestServer, 'url'>;

export interface Res<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent verbatim instead of JSON-encoding `body`. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export async function call<T = any>(ts: Served, method: string, path: string, o: CallOptions = {}): Promise<Res<T>> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body: string | Uint8Array | undefined;
  if (o.raw !== undefined) body = typeof o.raw === 'string' ? o.raw : new Uint8Array(o.raw);
  else if (o.body !== undefined) body = JSON.stringify(o.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  const r = await fetch(ts.url + path, { method, headers, body: body as BodyInit | undefined });
  const text = await r.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: r.status, body: parsed as T, text, headers: r.headers };
}

export const b64u = (n = 32) => randomBytes(n).toString('base64url');
export const uuid = () => randomUUID();
export const deviceKeys = (name = 'Test device') => ({ name, signPub: b64u(32), dhPub: b64u(32) });

export function tokenFrom(res: Res): string {
  const cookie = res.headers.get('set-cookie') ?? '';
  const m = /cinder_session=([^;]*)/.exec(cookie);
  if (!m || !m[1]) throw new Error(`no session cookie in ${JSON.stringify(cookie)} (status ${res.status}: ${res.text})`);
  return m[1];
}

export interface Account {
  token: string;
  session: Session;
  userId: string;
  deviceId: string;
  username: string;
  password: string;
}

let counter = 0;
export async function signup(ts: Served, username = `user${++counter}_${randomBytes(3).toString('hex')}`, password = 'correct horse battery'): Promise<Account> {
  const r = await call<Session>(ts, 'POST', '/api/auth/signup', { body: { username, password, device: deviceKeys() } });
  if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${r.text}`);
  return { token: tokenFrom(r), session: r.body, userId: r.body.user.id, deviceId: r.body.device.id, username, password };
}

/** A second device of the same user. */
export async function login(ts: Served, a: { username: string; password: string }, name = 'Second device'): Promise<Account> {
  const r = await call<Session>(ts, 'POST', '/api/auth/login', {
    body: { username: a.username, password: a.password, device: deviceKeys(name) }
  });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
  return { token: tokenFrom(r), session: r.body, userId: r.body.user.id, deviceId: r.body.device.id, username: a.username, password: a.password };
}

export async function sendText(ts: Served, from: Account, to: Account, text: string, id = uuid()) {
  const r = await call(ts, 'POST', '/api/cloud/messages', { token: from.token, body: { id, toUserId: to.userId, text } });
  if (r.status !== 200) throw new Error(`send failed: ${r.status} ${r.text}`);
  return r.body.message as import('../../../src/lib/api/wire').CloudMessage;
}

// ---------- WebSocket ----------

export interface WsClient {
  ws: WebSocket;
  frames: ServerFrame[];
  /** Resolves with the first frame (already received or future) matching `pred`. */
  next<T extends ServerFrame = ServerFrame>(pred?: (f: ServerFrame) => boolean, timeoutMs?: number): Promise<T>;
  closed: Promise<{ code: number; reason: string }>;
  send(v: unknown): void;
  close(): void;
}

export function connect(ts: Served, token: string | null, headers: Record<string, string> = {}): Promise<WsClient> {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const ws = new WebSocket(ts.url.replace('http', 'ws') + '/ws', { headers: h });
  const frames: ServerFrame[] = [];
  const consumed = new Set<number>();
  const waiters: Array<() => void> = [];
  ws.on('message', (d) => {
    frames.push(JSON.parse(d.toString()) as ServerFrame);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const client: WsClient = {
    ws,
    frames,
    closed,
    send: (v) => ws.send(typeof v === 'string' ? v : JSON.stringify(v)),
    close: () => ws.close(),
    next<T extends ServerFrame>(pred: (f: ServerFrame) => boolean = () => true, timeoutMs = 3000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const i = frames.findIndex((f, idx) => !consumed.has(idx) && pred(f));
          if (i >= 0) {
            consumed.add(i);
            clearTimeout(timer);
            resolve(frames[i] as T);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs}ms; got ${JSON.stringify(frames)}`)), timeoutMs);
        const loop = () => {
          if (!check()) waiters.push(loop);
        };
        loop();
      });
    }
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGKILLs a child process (if still running) and waits until it has exited. */
export async function stopProcess(p: import('node:child_process').ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

/** A relay and its accounts, refreshed before each test (see useRelayWith). */
export type RelayWith<N extends string> = { ts: TestServer } & Record<N, Account>;

/**
 * Registers beforeEach/afterEach hooks (in the enclosing describe, or the file) that start a fresh
 * relay and sign up one account per name (username = name), and close the relay after the test.
 * Returns a live object: read `rig.ts`, `rig.alice`… inside tests, not at collection time.
 */
export function useRelayWith<N extends string>(names: readonly N[], opts: StartOptions = {}): RelayWith<N> {
  const rig = {} as RelayWith<N>;
  beforeEach(async () => {
    rig.ts = await startServer(opts);
    for (const name of names) (rig as Record<N, Account>)[name] = await signup(rig.ts, name);
  });
  afterEach(async () => {
    await rig.ts.close();
  });
  return rig;
}
