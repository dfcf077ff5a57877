/**
 * The servers the relay bench measures, each in its own child process (`--serve <spec>`): the bare
 * HTTP→WebSocket relay, the WebSocket→WebSocket floor, and a real relay node (SQLite, or PostgreSQL +
 * Redis). See bench/relay-load.ts.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';

export interface ServeSpec {
  kind: 'bare' | 'ws-floor' | 'relay';
  dataDir?: string;
  atRestKey?: string;
  databaseUrl?: string;
  schema?: string;
  redisUrl?: string;
  prefix?: string;
  nodeId?: string;
}

/**
 * A relay that does only what a relay must: POST /api/envelopes → the recipient's WebSocket, no auth,
 * validation or storage (the bench's "bare relay").
 */
async function serveBare(): Promise<number> {
  const sockets = new Map<string, Set<WebSocket>>();
  const wss = new WebSocketServer({ noServer: true });
  let seq = 0;
  const token = (h: string | undefined) => /^Bearer (.+)$/.exec(h ?? '')?.[1] ?? '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/api/auth/signup') {
        const id = randomBytes(16).toString('base64url');
        const body = JSON.stringify({ user: { id }, device: { id } });
        res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': `cinder_session=${id}; Path=/` }).end(body);
        return;
      }
      if (req.url === '/api/envelopes' && req.method === 'POST') {
        const from = token(req.headers.authorization);
        const e = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; toDeviceId: string; body: string };
        const s = ++seq;
        const frame = JSON.stringify({
          t: 'envelope',
          envelope: { seq: s, id: e.id, fromDeviceId: from, fromUserId: from, body: e.body, createdAt: Date.now(), requestId: null }
        });
        for (const ws of sockets.get(e.toDeviceId) ?? []) ws.send(frame);
        const out = JSON.stringify({ seq: s });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
        return;
      }
      res.writeHead(404).end();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const id = token(req.headers.authorization);
    wss.handleUpgrade(req, socket, head, (ws) => {
      let set = sockets.get(id);
      if (!set) sockets.set(id, (set = new Set()));
      set.add(ws);
      ws.on('close', () => set.delete(ws));
      ws.send(JSON.stringify({ t: 'hello', cursor: 0, envelopes: 0 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/**
 * The floor under any relay on this machine: envelopes come in over the sender's WebSocket
 * ({"t":"send","to","id","body"}) and go out on the recipient's, with no HTTP, auth, validation or storage.
 */
async function serveWsFloor(): Promise<number> {
  const sockets = new Map<string, WebSocket>();
  const wss = new WebSocketServer({ noServer: true });
  let seq = 0;
  const server = createServer((req, res) => {
    if (req.url === '/api/auth/signup') {
      req.resume();
      const id = randomBytes(16).toString('base64url');
      res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': `cinder_session=${id}; Path=/` }).end(JSON.stringify({ user: { id }, device: { id } }));
      return;
    }
    res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    const id = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.set(id, ws);
      ws.on('close', () => sockets.delete(id));
      ws.on('message', (data) => {
        const e = JSON.parse(data.toString()) as { to: string; id: string; body: string };
        const frame = JSON.stringify({ t: 'envelope', envelope: { seq: ++seq, id: e.id, fromDeviceId: id, body: e.body } });
        sockets.get(e.to)?.send(frame);
      });
      ws.send(JSON.stringify({ t: 'hello', cursor: 0, envelopes: 0 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

async function serveRelay(spec: ServeSpec): Promise<number> {
  const { loadConfig } = await import('../../src/lib/server/config');
  const { createLogger } = await import('../../src/lib/server/log');
  const { createRelay } = await import('../../src/lib/server/relay');
  const { openPostgresStore } = await import('../../src/lib/server/store/postgres');
  const { openSqliteStore } = await import('../../src/lib/server/store/sqlite');
  const { createRedisBus } = await import('../../src/lib/server/redis-bus');
  const config = loadConfig({
    DATA_DIR: spec.dataDir!,
    AT_REST_KEY: spec.atRestKey!,
    AUTH_RATE_LIMIT: '1000000',
    SEND_RATE_BURST: '1000000',
    SEND_RATE_PER_SEC: '1000000',
    LOG_LEVEL: 'error'
  });
  const log = createLogger('error');
  const store = spec.databaseUrl ? await openPostgresStore(spec.databaseUrl, { schema: spec.schema, max: 16 }) : openSqliteStore(spec.dataDir!);
  const bus = spec.redisUrl ? await createRedisBus({ url: spec.redisUrl, prefix: spec.prefix, nodeId: spec.nodeId }) : undefined;
  const relay = createRelay(config, {
    store,
    log,
    bus,
    presence: bus?.presence,
    // Accounts are set up through the API; production scrypt would dominate the setup time.
    scrypt: { N: 1024, r: 8, p: 1 }
  });
  const server = createServer((req, res) => {
    if (!relay.handle(req, res)) res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (!relay.upgrade(req, socket, head)) socket.destroy();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

export async function serve(spec: ServeSpec) {
  const port = spec.kind === 'bare' ? await serveBare() : spec.kind === 'ws-floor' ? await serveWsFloor() : await serveRelay(spec);
  process.stdout.write(`LISTENING ${port}\n`);
  // The parent going away (even killed) ends us too.
  process.stdin.on('end', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0)); // a clean exit also writes --cpu-prof profiles
  process.stdin.resume();
}

if (process.argv[2] === '--serve') await serve(JSON.parse(process.argv[3]) as ServeSpec);
