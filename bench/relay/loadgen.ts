/**
 * One load generator process of the relay bench (bench/relay-load.ts starts several with `fork`): it
 * holds some client pairs' WebSockets, sends their envelopes and times their delivery, on the
 * orchestrator's commands over IPC. In its own process it neither shares an event loop with the
 * servers nor with the other generators, so the bench measures the servers rather than itself.
 *
 * Modes: 'http' posts each envelope the way the app does (POST /api/envelopes, bearer token); 'ws'
 * sends it over the sender's own WebSocket (the WebSocket→WebSocket floor server).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { WebSocket } from 'ws';

export interface BenchClient {
  node: string;
  token: string;
  deviceId: string;
}
export type Mode = 'http' | 'ws';
export type Command =
  | { cmd: 'setup'; pairs: [BenchClient, BenchClient][]; mode: Mode; envelopeBytes: number }
  | { cmd: 'connect'; pairs: number }
  | { cmd: 'saturate'; pairs: number; window: number; warmupMs: number; measureMs: number }
  | { cmd: 'fixed'; pairs: number; rate: number; warmupMs: number; measureMs: number }
  | { cmd: 'close' };
export type Reply = { ok: true; delivered?: number; ms?: number; latencies?: number[]; measuredSent?: number; sendErrors?: number } | { ok: false; error: string };

interface Client extends BenchClient {
  ws: WebSocket | null;
}

let pairs: [Client, Client][] = [];
let mode: Mode = 'http';
let body = '';
/** Envelope id → send time and whether its latency counts (sent inside a measuring window). */
const inflight = new Map<string, { t0: number; measured: boolean }>();
let delivered = 0;
let latencies: number[] = [];
let measuring = false;
let sendErrors = 0;

const agents = new Map<string, Agent>();
const agentFor = (url: string) => {
  let a = agents.get(url);
  if (!a) agents.set(url, (a = new Agent({ keepAlive: true, maxSockets: 128 })));
  return a;
};

function post(url: string, path: string, json: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: 'POST',
        agent: agentFor(url),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), authorization: `Bearer ${token}` }
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      }
    );
    req.on('error', reject);
    req.end(json);
  });
}

function connect(c: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(c.node.replace('http', 'ws') + '/ws', { headers: { authorization: `Bearer ${c.token}` }, perMessageDeflate: false });
    ws.on('message', (data) => {
      const s = data.toString();
      if (s.startsWith('{"t":"hello"')) return resolve();
      // Cheap id extraction; a full JSON.parse of every 1.4 KB frame would load the generator.
      const m = /"envelope":\{"seq":\d+,"id":"([^"]+)"/.exec(s);
      const sent = m && inflight.get(m[1]);
      if (!m || !sent) return;
      inflight.delete(m[1]);
      delivered++;
      if (sent.measured) latencies.push(performance.now() - sent.t0);
    });
    ws.once('error', reject);
    c.ws = ws;
  });
}

function sendOne(from: Client, to: Client): Promise<void> {
  const id = randomUUID();
  inflight.set(id, { t0: performance.now(), measured: measuring });
  const failed = () => {
    sendErrors++;
    inflight.delete(id);
  };
  if (mode === 'ws') {
    // Back-pressure as over HTTP: the next send waits until this one left the socket.
    return new Promise((resolve) => from.ws!.send(`{"to":"${to.deviceId}","id":"${id}","body":"${body}"}`, (err) => (err && failed(), resolve())));
  }
  return post(from.node, '/api/envelopes', `{"id":"${id}","toDeviceId":"${to.deviceId}","body":"${body}"}`, from.token).then(
    (status) => void (status !== 200 && failed()),
    failed
  );
}

/** The k-th send among the first `n` pairs: pairs in turn, each direction in turn. */
const route = (n: number, k: number): [Client, Client] => {
  const [a, b] = pairs[k % n];
  return Math.floor(k / n) % 2 === 0 ? [a, b] : [b, a];
};

async function drain(ms: number) {
  const end = performance.now() + ms;
  while (inflight.size > 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  inflight.clear();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Closed loop: `window` sends always in flight; deliveries counted over the measuring window. */
async function saturate(n: number, window: number, warmupMs: number, measureMs: number): Promise<Reply> {
  let stop = false;
  let k = 0;
  measuring = false;
  const loops = Array.from({ length: window }, async () => {
    while (!stop) await sendOne(...route(n, k++));
  });
  await sleep(warmupMs);
  const d0 = delivered;
  const t0 = performance.now();
  await sleep(measureMs);
  const got = delivered - d0;
  const ms = performance.now() - t0;
  stop = true;
  await Promise.all(loops);
  await drain(1500);
  return { ok: true, delivered: got, ms };
}

/** Open loop at `rate`/s: the latency of every delivery of a send issued after the warm-up. */
async function fixed(n: number, rate: number, warmupMs: number, measureMs: number): Promise<Reply> {
  let k = 0;
  let sent = 0;
  let measuredSent = 0;
  const pending: Promise<void>[] = [];
  latencies = [];
  measuring = false;
  sendErrors = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - t0;
      if (!measuring && elapsed >= warmupMs) measuring = true;
      if (elapsed >= warmupMs + measureMs) {
        measuring = false;
        return resolve();
      }
      const due = Math.floor((elapsed * rate) / 1000);
      // Cap what may pile up so an overloaded server degrades instead of the generator melting.
      while (sent < due && inflight.size < 5000) {
        pending.push(sendOne(...route(n, k++)));
        sent++;
        if (measuring) measuredSent++;
      }
      // A 1 ms timer (not setImmediate): a spinning generator would steal a core from the servers.
      setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  await drain(2000);
  const out = latencies;
  latencies = [];
  return { ok: true, latencies: out, measuredSent, sendErrors };
}

async function handle(c: Command): Promise<Reply> {
  switch (c.cmd) {
    case 'setup':
      pairs = c.pairs.map(([a, b]) => [
        { ...a, ws: null },
        { ...b, ws: null }
      ]);
      mode = c.mode;
      body = randomBytes(c.envelopeBytes).toString('base64url');
      return { ok: true };
    case 'connect':
      for (const [a, b] of pairs.slice(0, c.pairs)) {
        if (!a.ws) await connect(a);
        if (!b.ws) await connect(b);
      }
      return { ok: true };
    case 'saturate':
      return saturate(c.pairs, c.window, c.warmupMs, c.measureMs);
    case 'fixed':
      return fixed(c.pairs, c.rate, c.warmupMs, c.measureMs);
    case 'close':
      for (const p of pairs) for (const x of p) x.ws?.terminate();
      for (const a of agents.values()) a.destroy();
      setTimeout(() => process.exit(0), 100);
      return { ok: true };
  }
}

if (process.send) {
  process.on('message', (c: Command) => {
    handle(c).then(
      (r) => process.send!(r),
      (e: unknown) => process.send!({ ok: false, error: String(e) } satisfies Reply)
    );
  });
  process.on('disconnect', () => process.exit(0));
}
