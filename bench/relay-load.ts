/**
 * Relay load benchmark: `npm run bench:relay` (tsx; loopback only; stops by itself, < 3 minutes).
 *
 * Clients come in pairs; each sends 1 KiB envelopes to its partner's device the way the app does
 * (POST /api/envelopes with a bearer token) and receives its partner's over its WebSocket. For 200 and
 * 1,000 connected clients it measures
 *   - delivered envelopes/s at saturation (closed loop, a fixed number of requests in flight), and
 *   - p50/p99 send→delivery latency at a fixed 5,000 envelopes/s (open loop),
 * for: a bare relay (node:http + ws forwarding the same requests to the same sockets, no auth, no
 * validation, no storage), one durable node on SQLite, and two nodes on PostgreSQL + Redis (every
 * pair split across the nodes). Durable results are printed as ratios against the bare relay of the
 * same run. Servers run in child processes (this file with --serve); the load generator is this
 * process, so all of it shares the machine's cores.
 *
 * PostgreSQL/Redis: BENCH_DATABASE_URL / BENCH_REDIS_URL, else DATABASE_URL / REDIS_URL, else the
 * local defaults; that configuration is skipped (with a note) when they are unreachable.
 * BENCH_RELAY_ONLY=sqlite (or pg) measures the bare relay and just that configuration, for quick
 * iterations while profiling (BENCH_CPU_PROF=<dir> writes the servers' CPU profiles).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';

const SELF = fileURLToPath(import.meta.url);
const ENVELOPE_BYTES = 1024;
const CLIENT_COUNTS = [200, 1000];
const FIXED_RATE = 5000;
const SAT_WARMUP_MS = 500;
const SAT_MEASURE_MS = 1500;
const FIXED_MS = 2500;
const FIXED_WARMUP_MS = 500;
const TOTAL_BUDGET_MS = 170_000;

// =====================================================================================
// Server side (child processes)
// =====================================================================================

interface ServeSpec {
  kind: 'bare' | 'relay';
  dataDir?: string;
  atRestKey?: string;
  databaseUrl?: string;
  schema?: string;
  redisUrl?: string;
  prefix?: string;
  nodeId?: string;
}

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

async function serveRelay(spec: ServeSpec): Promise<number> {
  const { loadConfig } = await import('../src/lib/server/config');
  const { createLogger } = await import('../src/lib/server/log');
  const { createRelay } = await import('../src/lib/server/relay');
  const { openPostgresStore } = await import('../src/lib/server/store/postgres');
  const { openSqliteStore } = await import('../src/lib/server/store/sqlite');
  const { createRedisBus } = await import('../src/lib/server/redis-bus');
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

async function serve(spec: ServeSpec) {
  const port = spec.kind === 'bare' ? await serveBare() : await serveRelay(spec);
  process.stdout.write(`LISTENING ${port}\n`);
  // The parent going away (even killed) ends us too.
  process.stdin.on('end', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0)); // a clean exit also writes --cpu-prof profiles
  process.stdin.resume();
}

// =====================================================================================
// Load generator (parent process)
// =====================================================================================

const children = new Set<ChildProcess>();

async function spawnServer(spec: ServeSpec): Promise<{ url: string; child: ChildProcess }> {
  // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of every server process there.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', SELF, '--serve', JSON.stringify(spec)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' }
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function stopServer(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

const agents = new Map<string, Agent>();
const agentFor = (url: string) => {
  let a = agents.get(url);
  if (!a) agents.set(url, (a = new Agent({ keepAlive: true, maxSockets: 128 })));
  return a;
};

function post(url: string, path: string, body: string, token?: string): Promise<{ status: number; text: string; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: 'POST',
        agent: agentFor(url),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(token ? { authorization: `Bearer ${token}` } : {})
        }
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface BenchClient {
  i: number;
  node: string;
  token: string;
  deviceId: string;
  ws: WebSocket | null;
}

async function pool<T>(items: T[], concurrency: number, fn: (x: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    })
  );
}

async function signupAll(nodes: string[], n: number): Promise<BenchClient[]> {
  const clients: BenchClient[] = Array.from({ length: n }, (_, i) => ({ i, node: nodes[i % nodes.length], token: '', deviceId: '', ws: null }));
  const run = randomBytes(3).toString('hex');
  await pool(clients, 16, async (c) => {
    const body = JSON.stringify({
      username: `b${run}_${c.i}`,
      password: 'bench password 123',
      device: { name: 'bench', signPub: randomBytes(32).toString('base64url'), dhPub: randomBytes(32).toString('base64url') }
    });
    const r = await post(c.node, '/api/auth/signup', body);
    if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${r.text}`);
    c.token = /cinder_session=([^;]*)/.exec(String(r.headers['set-cookie']))![1];
    c.deviceId = (JSON.parse(r.text) as { device: { id: string } }).device.id;
  });
  return clients;
}

/** Per-run delivery bookkeeping shared by all sockets. */
/** Envelope id → send time and whether its latency counts (sent inside a measuring window). */
const inflight = new Map<string, { t0: number; measured: boolean }>();
let delivered = 0;
let latencies: number[] = [];
let measuring = false;

function connectAll(clients: BenchClient[]): Promise<void> {
  return pool(
    clients.filter((c) => !c.ws),
    50,
    (c) =>
      new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(c.node.replace('http', 'ws') + '/ws', { headers: { authorization: `Bearer ${c.token}` }, perMessageDeflate: false });
        ws.on('message', (data) => {
          const s = data.toString();
          if (s.startsWith('{"t":"hello"')) {
            resolve();
            return;
          }
          // Cheap id extraction; full JSON.parse of every 1.4 KB frame would load the generator.
          const m = /"envelope":\{"seq":\d+,"id":"([^"]+)"/.exec(s);
          if (!m) return;
          const sent = inflight.get(m[1]);
          if (sent === undefined) return;
          inflight.delete(m[1]);
          delivered++;
          if (sent.measured) latencies.push(performance.now() - sent.t0);
        });
        ws.once('error', reject);
        c.ws = ws;
      })
  );
}

const BODY = randomBytes(ENVELOPE_BYTES).toString('base64url');
let sendErrors = 0;

function sendOne(from: BenchClient, to: BenchClient): Promise<void> {
  const id = randomUUID();
  inflight.set(id, { t0: performance.now(), measured: measuring });
  return post(from.node, '/api/envelopes', `{"id":"${id}","toDeviceId":"${to.deviceId}","body":"${BODY}"}`, from.token).then(
    (r) => {
      if (r.status !== 200) {
        sendErrors++;
        inflight.delete(id);
        if (sendErrors <= 3) console.error(`  send failed: ${r.status} ${r.text.slice(0, 200)}`);
      }
    },
    () => {
      sendErrors++;
      inflight.delete(id);
    }
  );
}

const partner = (clients: BenchClient[], k: number): [BenchClient, BenchClient] => {
  const pairIdx = k % (clients.length / 2);
  const a = clients[pairIdx * 2];
  const b = clients[pairIdx * 2 + 1];
  return Math.floor(k / (clients.length / 2)) % 2 === 0 ? [a, b] : [b, a];
};

async function drain(ms = 1500) {
  const end = performance.now() + ms;
  while (inflight.size > 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  inflight.clear();
}

/** Closed loop: `window` requests always in flight; delivered/s over the measuring window. */
async function saturation(clients: BenchClient[], window: number): Promise<number> {
  let stop = false;
  let k = 0;
  measuring = false;
  const loops = Array.from({ length: window }, async () => {
    while (!stop) {
      const [from, to] = partner(clients, k++);
      await sendOne(from, to);
    }
  });
  await new Promise((r) => setTimeout(r, SAT_WARMUP_MS));
  const d0 = delivered;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SAT_MEASURE_MS));
  const rate = ((delivered - d0) * 1000) / (performance.now() - t0);
  stop = true;
  await Promise.all(loops);
  await drain();
  return rate;
}

/** Open loop at `rate`/s; latency of deliveries of sends issued after the warm-up. */
async function fixedRate(clients: BenchClient[], rate: number): Promise<{ p50: number; p99: number; achieved: number; lost: number }> {
  let k = 0;
  let sent = 0;
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  latencies = [];
  measuring = false;
  let measuredSent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - t0;
      if (!measuring && elapsed >= FIXED_WARMUP_MS) measuring = true;
      if (elapsed >= FIXED_MS) {
        measuring = false;
        return resolve();
      }
      const due = Math.floor((elapsed * rate) / 1000);
      // Cap what may pile up so an overloaded server degrades instead of the generator melting.
      while (sent < due && inflight.size < 5000) {
        const [from, to] = partner(clients, k++);
        pending.push(sendOne(from, to));
        sent++;
        if (measuring) measuredSent++;
      }
      // A 1 ms timer (not setImmediate): a spinning generator would steal a core from the servers.
      setTimeout(tick, 1);
    };
    tick();
  });
  const achieved = (measuredSent * 1000) / (FIXED_MS - FIXED_WARMUP_MS);
  await Promise.all(pending);
  await drain(2000);
  const lat = latencies.sort((x, y) => x - y);
  latencies = [];
  const q = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN);
  return { p50: q(0.5), p99: q(0.99), achieved, lost: measuredSent - lat.length };
}

interface Result {
  config: string;
  clients: number;
  sat: number;
  p50: number;
  p99: number;
  achieved: number;
  lost: number;
  /** Latency at the machine-scaled rate (see SCALED_REFERENCE), durable configurations only. */
  scaled?: { rate: number; p50: number; p99: number; achieved: number; lost: number };
}

/**
 * The issue's figures come from a machine where the bare relay saturated at ~58,000 msg/s, so 5,000 msg/s
 * was ~9 % of its capacity. These shared machines vary several-fold (6,000–30,000 msg/s have been seen),
 * so besides the fixed 5,000 msg/s the bench also measures latency at the same fraction of THIS run's bare
 * capacity: 5,000 × bare/58,000. Both are printed; the fixed one is the goal as written.
 */
const SCALED_REFERENCE = 58_000;

interface Config {
  name: string;
  clients: BenchClient[];
}

const ROUNDS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * All configurations are up at once and measured in turns (bare, SQLite, PG, bare, SQLite, ...), each
 * saturation figure the median of ROUNDS turns: on a shared machine whose speed drifts minute to
 * minute, a ratio of two runs made a minute apart says more about the neighbours than about us.
 */
async function measureAll(configs: Config[]): Promise<Result[]> {
  const out: Result[] = [];
  for (const n of CLIENT_COUNTS) {
    for (const c of configs) await connectAll(c.clients.slice(0, n));
    const sats = new Map<string, number[]>(configs.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of configs) sats.get(c.name)!.push(await saturation(c.clients.slice(0, n), 64));
    }
    const bareSat = median(sats.get(configs[0].name)!);
    for (const c of configs) {
      const clients = c.clients.slice(0, n);
      sendErrors = 0;
      const sat = median(sats.get(c.name)!);
      const fx = await fixedRate(clients, FIXED_RATE);
      let scaled: Result['scaled'];
      if (c !== configs[0]) {
        const rate = Math.max(100, Math.round((FIXED_RATE * bareSat) / SCALED_REFERENCE));
        scaled = { rate, ...(await fixedRate(clients, rate)) };
      }
      out.push({ config: c.name, clients: n, sat, ...fx, scaled });
      console.log(
        `  ${c.name.padEnd(24)} ${String(n).padStart(5)} clients: ${sat.toFixed(0).padStart(6)} delivered/s at saturation ` +
          `(${sats
            .get(c.name)!
            .map((x) => x.toFixed(0))
            .join(', ')}); ` +
          `at ${FIXED_RATE}/s: p50 ${fx.p50.toFixed(2)} ms, p99 ${fx.p99.toFixed(2)} ms (sent ${fx.achieved.toFixed(0)}/s` +
          `${fx.lost ? `, ${fx.lost} undelivered` : ''}${sendErrors ? `, ${sendErrors} send errors` : ''})` +
          (scaled ? `; at ${scaled.rate}/s (scaled): p50 ${scaled.p50.toFixed(2)} ms, p99 ${scaled.p99.toFixed(2)} ms` : '')
      );
    }
  }
  for (const c of configs) for (const cl of c.clients) cl.ws?.terminate();
  await new Promise((r) => setTimeout(r, 200));
  for (const a of agents.values()) a.destroy();
  agents.clear();
  return out;
}

async function reachable(kind: 'pg' | 'redis', url: string): Promise<string | null> {
  try {
    if (kind === 'pg') {
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
      await c.connect();
      await c.end();
    } else {
      const { Redis } = await import('ioredis');
      const r = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => {});
      await r.connect();
      await r.quit();
    }
    return null;
  } catch (e) {
    return `${kind === 'pg' ? 'PostgreSQL' : 'Redis'} unreachable: ${(e as Error).message}`;
  }
}

async function main() {
  const watchdog = setTimeout(() => {
    console.error('bench: time budget exceeded, stopping');
    for (const c of children) c.kill('SIGKILL');
    process.exit(2);
  }, TOTAL_BUDGET_MS);
  watchdog.unref();
  const started = performance.now();
  const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const maxClients = Math.max(...CLIENT_COUNTS);
  console.log(
    `relay load: ${CLIENT_COUNTS.join(' and ')} clients in pairs, ${ENVELOPE_BYTES} B envelopes (POST /api/envelopes → WebSocket), ` +
      `saturation = 64 requests in flight, latency at ${FIXED_RATE}/s; loopback, Node ${process.version}`
  );
  let results: Result[] = [];
  const dirs: string[] = [];
  const atRestKey = randomBytes(32).toString('base64');
  const only = process.env.BENCH_RELAY_ONLY;
  let pgCleanup: (() => Promise<void>) | null = null;
  try {
    const configs: Config[] = [];
    // 1. Bare relay.
    const bare = await spawnServer({ kind: 'bare' });
    configs.push({ name: 'bare ws relay', clients: await signupAll([bare.url], maxClients) });
    // 2. One durable node on SQLite.
    if (!only || only === 'sqlite') {
      const dataDir = mkdtempSync(join(tmpdir(), 'cinder-bench-'));
      dirs.push(dataDir);
      const s = await spawnServer({ kind: 'relay', dataDir, atRestKey });
      configs.push({ name: '1 node SQLite', clients: await signupAll([s.url], maxClients) });
    }
    // 3. Two nodes on PostgreSQL + Redis.
    const missing = only && only !== 'pg' ? 'not selected' : ((await reachable('pg', pgUrl)) ?? (await reachable('redis', redisUrl)));
    if (missing) {
      console.log(`  2 nodes PostgreSQL+Redis: skipped (${missing})`);
    } else {
      const dataDir = mkdtempSync(join(tmpdir(), 'cinder-bench-'));
      dirs.push(dataDir);
      const schema = `cinder_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
      const prefix = `cinder-bench-${randomBytes(3).toString('hex')}`;
      const base = { kind: 'relay' as const, dataDir, atRestKey, databaseUrl: pgUrl, schema, redisUrl, prefix };
      const s1 = await spawnServer({ ...base, nodeId: 'n1' });
      const s2 = await spawnServer({ ...base, nodeId: 'n2' });
      pgCleanup = async () => {
        await stopServer(s1.child);
        await stopServer(s2.child);
        const pg = (await import('pg')).default;
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await c.end();
      };
      configs.push({ name: '2 nodes PostgreSQL+Redis', clients: await signupAll([s1.url, s2.url], maxClients) });
    }
    results = await measureAll(configs);
  } finally {
    await pgCleanup?.().catch((e: unknown) => console.error('bench: PostgreSQL cleanup failed', e));
    for (const c of children) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }

  console.log('\nratios against the bare relay (same run):');
  for (const n of CLIENT_COUNTS) {
    const bare = results.find((r) => r.config === 'bare ws relay' && r.clients === n);
    if (!bare) continue;
    for (const r of results.filter((x) => x.clients === n && x !== bare)) {
      console.log(
        `  ${r.config.padEnd(24)} ${String(n).padStart(5)} clients: throughput ${(r.sat / bare.sat).toFixed(2)}x, ` +
          `p50 ${(r.p50 / bare.p50).toFixed(1)}x, p99 ${(r.p99 / bare.p99).toFixed(1)}x of bare (bare: ${bare.sat.toFixed(0)}/s, p99 ${bare.p99.toFixed(2)} ms)`
      );
    }
  }

  console.log('\ngoals (durable single node = 1 node SQLite):');
  for (const n of CLIENT_COUNTS) {
    const bare = results.find((r) => r.config === 'bare ws relay' && r.clients === n);
    const d = results.find((r) => r.config === '1 node SQLite' && r.clients === n);
    if (!bare || !d) continue;
    const ratio = d.sat / bare.sat;
    console.log(`  GOAL throughput >= 0.5x bare (${n} clients): ${ratio.toFixed(2)}x -> ${ratio >= 0.5 ? 'PASS' : 'MISS'}`);
    const ok = d.p99 <= 5 && d.achieved >= FIXED_RATE * 0.95 && d.lost === 0;
    console.log(
      `  GOAL p99 <= 5 ms at ${FIXED_RATE} msg/s (${n} clients): ${d.p99.toFixed(2)} ms` +
        `${d.achieved < FIXED_RATE * 0.95 ? ` (only ${d.achieved.toFixed(0)}/s sent)` : ''}` +
        `${d.sat < FIXED_RATE ? ` (above this node's capacity here: ${d.sat.toFixed(0)}/s)` : ''} -> ${ok ? 'PASS' : 'MISS'}`
    );
    if (d.scaled) {
      const sc = d.scaled;
      const okScaled = sc.p99 <= 5 && sc.achieved >= sc.rate * 0.95 && sc.lost === 0;
      console.log(
        `  (same goal at the machine-scaled load, ${sc.rate} msg/s = ${FIXED_RATE} x bare ${bare.sat.toFixed(0)}/${SCALED_REFERENCE}: ` +
          `p99 ${sc.p99.toFixed(2)} ms -> ${okScaled ? 'PASS' : 'MISS'})`
      );
    }
  }
  console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[2] === '--serve') {
  await serve(JSON.parse(process.argv[3]) as ServeSpec);
} else {
  await main();
  process.exit(0);
}
