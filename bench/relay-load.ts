/**
 * Relay load benchmark: `npm run bench:relay` (tsx; loopback only; stops by itself, < 4 minutes).
 *
 * Clients come in pairs; each sends 1 KiB envelopes to its partner's device the way the app does
 * (POST /api/envelopes with a bearer token) and receives its partner's over its WebSocket. For 200 and
 * 1,000 connected clients it measures
 *   - delivered envelopes/s at saturation (closed loop, 64 sends in flight in all), and
 *   - p50/p99 send→delivery latency at a fixed 5,000 envelopes/s and at half of the bare relay's
 *     measured capacity (open loop),
 * for: the bare relay (node:http + ws forwarding the same requests to the same sockets, no auth, no
 * validation, no storage), the WebSocket→WebSocket floor (envelopes in and out over sockets only), one
 * durable node on SQLite, and two nodes on PostgreSQL + Redis (every pair split across the nodes).
 * Each server runs in its own child process (bench/relay/serve.ts) and the load comes from
 * BENCH_LOADGENS (default 2) generator processes (bench/relay/loadgen.ts), so neither the generator nor
 * another server shares an event loop with the server measured. Durable results are printed as ratios
 * against the bare relay and the floor of the same run.
 *
 * PostgreSQL/Redis: BENCH_DATABASE_URL / BENCH_REDIS_URL, else DATABASE_URL / REDIS_URL, else the
 * local defaults; that configuration is skipped (with a note) when they are unreachable.
 * BENCH_RELAY_ONLY=sqlite (or pg) measures the baselines and just that configuration, for quick
 * iterations while profiling (BENCH_CPU_PROF=<dir> writes the servers' CPU profiles).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchClient, Command, Mode, Reply } from './relay/loadgen';
import type { ServeSpec } from './relay/serve';

const SERVE = fileURLToPath(new URL('./relay/serve.ts', import.meta.url));
const LOADGEN = fileURLToPath(new URL('./relay/loadgen.ts', import.meta.url));
const ENVELOPE_BYTES = 1024;
const CLIENT_COUNTS = [200, 1000];
const FIXED_RATE = 5000;
const WINDOW = 64;
const SAT = { warmupMs: 500, measureMs: 1500 };
const FIXED = { warmupMs: 500, measureMs: 2000 };
const ROUNDS = 3;
const LOADGENS = Math.max(1, Number(process.env.BENCH_LOADGENS ?? 2));
// A loaded shared machine may need longer: BENCH_RELAY_BUDGET_S raises the watchdog.
const TOTAL_BUDGET_MS = Number(process.env.BENCH_RELAY_BUDGET_S ?? 280) * 1000;

const children = new Set<ChildProcess>();
const track = (c: ChildProcess) => {
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
};

async function spawnServer(spec: ServeSpec): Promise<{ url: string; child: ChildProcess }> {
  // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of every server process there.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = track(
    spawn(process.execPath, [...prof, '--import', 'tsx', SERVE, '--serve', JSON.stringify(spec)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, NODE_ENV: 'production' }
    })
  );
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

/** The load generator processes of one configuration, each holding every LOADGENS-th pair. */
class Generators {
  private constructor(private readonly procs: ChildProcess[]) {}

  static async start(clients: BenchClient[], mode: Mode): Promise<Generators> {
    const procs = Array.from({ length: LOADGENS }, () => track(fork(LOADGEN, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
    const g = new Generators(procs);
    const pairs: [BenchClient, BenchClient][] = [];
    for (let i = 0; i + 1 < clients.length; i += 2) pairs.push([clients[i], clients[i + 1]]);
    await g.each((p) => ({ cmd: 'setup', pairs: pairs.filter((_, j) => j % LOADGENS === p), mode, envelopeBytes: ENVELOPE_BYTES }));
    return g;
  }

  /** Pairs among the first `n` clients that generator `p` holds. */
  private share(n: number, p: number) {
    return Math.max(0, Math.ceil((n / 2 - p) / LOADGENS));
  }

  private call(proc: ChildProcess, c: Command): Promise<Reply & { ok: true }> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error('load generator exited'));
      proc.once('exit', onExit);
      proc.once('message', (r: Reply) => {
        proc.off('exit', onExit);
        if (r.ok) resolve(r);
        else reject(new Error(`load generator: ${r.error}`));
      });
      proc.send(c);
    });
  }

  each(cmd: (p: number) => Command) {
    return Promise.all(this.procs.map((proc, p) => this.call(proc, cmd(p))));
  }

  connect(n: number) {
    return this.each((p) => ({ cmd: 'connect', pairs: this.share(n, p) }));
  }

  /** Delivered/s with WINDOW sends in flight among the first n clients (split over the generators). */
  async saturate(n: number): Promise<number> {
    const window = Math.max(1, Math.round(WINDOW / LOADGENS));
    const r = await this.each((p) => ({ cmd: 'saturate', pairs: this.share(n, p), window, ...SAT }));
    return r.reduce((s, x) => s + (x.delivered! * 1000) / x.ms!, 0);
  }

  async fixed(n: number, rate: number): Promise<Latency> {
    const r = await this.each((p) => ({ cmd: 'fixed', pairs: this.share(n, p), rate: rate / LOADGENS, ...FIXED }));
    const lat = r.flatMap((x) => x.latencies!).sort((a, b) => a - b);
    const sent = r.reduce((s, x) => s + x.measuredSent!, 0);
    const q = (f: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(f * lat.length))] : NaN);
    return {
      rate,
      p50: q(0.5),
      p99: q(0.99),
      achieved: (sent * 1000) / FIXED.measureMs,
      lost: sent - lat.length,
      errors: r.reduce((s, x) => s + x.sendErrors!, 0)
    };
  }

  close() {
    return this.each(() => ({ cmd: 'close' })).catch(() => undefined);
  }
}

interface Latency {
  rate: number;
  p50: number;
  p99: number;
  achieved: number;
  lost: number;
  errors: number;
}

function signupOne(url: string, json: string): Promise<BenchClient> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: '/api/auth/signup',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 201) return reject(new Error(`signup failed: ${res.statusCode} ${text}`));
          const token = /cinder_session=([^;]*)/.exec(String(res.headers['set-cookie']))![1];
          resolve({ node: url, token, deviceId: (JSON.parse(text) as { device: { id: string } }).device.id });
        });
      }
    );
    req.on('error', reject);
    req.end(json);
  });
}

async function signupAll(nodes: string[], n: number): Promise<BenchClient[]> {
  const run = randomBytes(3).toString('hex');
  const out: BenchClient[] = new Array(n);
  let next = 0;
  const one = async () => {
    while (next < n) {
      const i = next++;
      const device = { name: 'bench', signPub: randomBytes(32).toString('base64url'), dhPub: randomBytes(32).toString('base64url') };
      out[i] = await signupOne(nodes[i % nodes.length], JSON.stringify({ username: `b${run}_${i}`, password: 'bench password 123', device }));
    }
  };
  await Promise.all(Array.from({ length: 16 }, one));
  return out;
}

interface Config {
  name: string;
  gens: Generators;
  baseline: boolean;
}
interface Result {
  config: string;
  clients: number;
  sat: number;
  rounds: number[];
  fixed: Latency;
  half?: Latency;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const BARE = 'bare relay';
const FLOOR = 'ws→ws floor';
const SQLITE = '1 node SQLite';
const PG = '2 nodes PostgreSQL+Redis';

/**
 * All configurations are up at once and measured in turns (bare, floor, SQLite, PG, bare, ...), each
 * saturation figure the median of ROUNDS turns: on a shared machine whose speed drifts minute to
 * minute, a ratio of two runs made a minute apart says more about the neighbours than about us.
 */
async function measureAll(configs: Config[]): Promise<Result[]> {
  const out: Result[] = [];
  for (const n of CLIENT_COUNTS) {
    for (const c of configs) await c.gens.connect(n);
    const sats = new Map<string, number[]>(configs.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) for (const c of configs) sats.get(c.name)!.push(await c.gens.saturate(n));
    const bareSat = median(sats.get(BARE)!);
    for (const c of configs) {
      const sat = median(sats.get(c.name)!);
      const fixed = await c.gens.fixed(n, FIXED_RATE);
      // The issue's latency goal: at half of what the bare relay carried in this run.
      const half = c.baseline ? undefined : await c.gens.fixed(n, Math.max(100, Math.round(bareSat / 2)));
      out.push({ config: c.name, clients: n, sat, rounds: sats.get(c.name)!, fixed, half });
      const lat = (l: Latency) =>
        `at ${l.rate}/s: p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms (sent ${l.achieved.toFixed(0)}/s` +
        `${l.lost ? `, ${l.lost} undelivered` : ''}${l.errors ? `, ${l.errors} send errors` : ''})`;
      console.log(
        `  ${c.name.padEnd(24)} ${String(n).padStart(5)} clients: ${sat.toFixed(0).padStart(6)} delivered/s at saturation ` +
          `(${sats
            .get(c.name)!
            .map((x) => x.toFixed(0))
            .join(', ')}); ${lat(fixed)}${half ? `; ${lat(half)}` : ''}`
      );
    }
  }
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

function report(results: Result[]) {
  const find = (config: string, n: number) => results.find((r) => r.config === config && r.clients === n);
  console.log('\nratios (same run):');
  for (const n of CLIENT_COUNTS) {
    const bare = find(BARE, n);
    const floor = find(FLOOR, n);
    if (!bare) continue;
    for (const r of results.filter((x) => x.clients === n && x !== bare)) {
      console.log(
        `  ${r.config.padEnd(24)} ${String(n).padStart(5)} clients: throughput ${(r.sat / bare.sat).toFixed(2)}x bare` +
          (floor && r !== floor ? `, ${(r.sat / floor.sat).toFixed(2)}x floor` : '') +
          `; p99 at ${FIXED_RATE}/s ${(r.fixed.p99 / bare.fixed.p99).toFixed(1)}x bare's (bare ${bare.sat.toFixed(0)}/s, floor ${floor?.sat.toFixed(0) ?? '-'}/s)`
      );
    }
  }
  console.log('\ngoals:');
  const goal = (what: string, value: string, ok: boolean) => console.log(`  GOAL ${what}: ${value} -> ${ok ? 'PASS' : 'MISS'}`);
  for (const n of CLIENT_COUNTS) {
    const bare = find(BARE, n);
    const floor = find(FLOOR, n);
    const lite = find(SQLITE, n);
    const pg = find(PG, n);
    if (!bare) continue;
    if (lite) {
      goal(`1 node SQLite >= 0.5x bare (${n} clients)`, `${(lite.sat / bare.sat).toFixed(2)}x`, lite.sat >= 0.5 * bare.sat);
      if (floor) goal(`1 node SQLite >= 0.2x ws→ws floor (${n} clients)`, `${(lite.sat / floor.sat).toFixed(2)}x`, lite.sat >= 0.2 * floor.sat);
    }
    if (pg) goal(`2 nodes PostgreSQL+Redis >= 0.5x bare (${n} clients)`, `${(pg.sat / bare.sat).toFixed(2)}x`, pg.sat >= 0.5 * bare.sat);
    for (const r of [lite, pg]) {
      const h = r?.half;
      if (!r || !h) continue;
      const ok = h.p99 <= 5 && h.achieved >= h.rate * 0.95 && h.lost === 0;
      goal(
        `${r.config} p99 <= 5 ms at half the bare capacity, ${h.rate}/s (${n} clients)`,
        `${h.p99.toFixed(2)} ms${h.achieved < h.rate * 0.95 ? ` (only ${h.achieved.toFixed(0)}/s sent)` : ''}`,
        ok
      );
    }
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
      `saturation = ${WINDOW} sends in flight, latency at ${FIXED_RATE}/s and at half the bare capacity; ${LOADGENS} load generator processes; ` +
      `loopback, Node ${process.version}`
  );
  const dirs: string[] = [];
  const atRestKey = randomBytes(32).toString('base64');
  const only = process.env.BENCH_RELAY_ONLY;
  const configs: Config[] = [];
  let pgCleanup: (() => Promise<void>) | null = null;
  try {
    const add = async (name: string, urls: string[], mode: Mode, baseline: boolean) => {
      configs.push({ name, gens: await Generators.start(await signupAll(urls, maxClients), mode), baseline });
      console.log(`  (${name}: up with ${maxClients} accounts at ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    };
    await add(BARE, [(await spawnServer({ kind: 'bare' })).url], 'http', true);
    await add(FLOOR, [(await spawnServer({ kind: 'ws-floor' })).url], 'ws', true);
    if (!only || only === 'sqlite') {
      const dataDir = mkdtempSync(join(tmpdir(), 'cinder-bench-'));
      dirs.push(dataDir);
      await add(SQLITE, [(await spawnServer({ kind: 'relay', dataDir, atRestKey })).url], 'http', false);
    }
    const missing = only && only !== 'pg' ? 'not selected' : ((await reachable('pg', pgUrl)) ?? (await reachable('redis', redisUrl)));
    if (missing) {
      console.log(`  ${PG}: skipped (${missing})`);
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
      await add(PG, [s1.url, s2.url], 'http', false);
    }
    report(await measureAll(configs));
  } finally {
    for (const c of configs) await c.gens.close();
    await pgCleanup?.().catch((e: unknown) => console.error('bench: PostgreSQL cleanup failed', e));
    for (const c of children) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
process.exit(0);
