/**
 * Monitoring: `GET /healthz` with dependency checks (database, Redis) and `GET /metrics` in the
 * Prometheus text format (0.0.4), behind `METRICS_TOKEN` (`Authorization: Bearer <token>`), or for
 * loopback clients only when no token is set.
 *
 * Counters are per process (each node is scraped on its own; sum them in queries). Store writes are
 * counted by wrapping the store (`instrumentStore`), so no handler needs to know about metrics; other
 * modules (e.g. Web Push) bump a counter with `metrics.inc(name)`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Store } from './store/types';

export interface CounterDef {
  help: string;
}

export const COUNTERS = {
  cinder_messages_sent_total: { help: 'Cloud messages stored (idempotent repeats not counted).' },
  cinder_envelopes_queued_total: { help: 'Device envelopes queued (idempotent repeats not counted).' },
  cinder_push_sent_total: { help: 'Web Push notifications sent successfully.' },
  cinder_push_failed_total: { help: 'Web Push notifications that failed.' }
} satisfies Record<string, CounterDef>;

export type CounterName = keyof typeof COUNTERS;

export interface Gauge {
  help: string;
  /** Read at scrape time. */
  value: () => number;
}

export class Metrics {
  private readonly counters = new Map<string, { help: string; value: number }>();
  private readonly gauges = new Map<string, Gauge>();

  constructor() {
    for (const [name, def] of Object.entries(COUNTERS)) this.counters.set(name, { help: def.help, value: 0 });
  }

  /** Adds to a counter (registered on first use if it is not one of COUNTERS). */
  inc(name: CounterName | (string & {}), by = 1, help = name): void {
    const c = this.counters.get(name);
    if (c) c.value += by;
    else this.counters.set(name, { help, value: by });
  }

  get(name: string): number {
    return this.counters.get(name)?.value ?? this.gauges.get(name)?.value() ?? 0;
  }

  gauge(name: string, help: string, value: () => number): void {
    this.gauges.set(name, { help, value });
  }

  render(): string {
    const lines: string[] = [];
    const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
    for (const [name, c] of this.counters) {
      lines.push(`# HELP ${name} ${esc(c.help)}`, `# TYPE ${name} counter`, `${name} ${c.value}`);
    }
    for (const [name, g] of this.gauges) {
      let v: number;
      try {
        v = g.value();
      } catch {
        continue;
      }
      lines.push(`# HELP ${name} ${esc(g.help)}`, `# TYPE ${name} gauge`, `${name} ${Number.isFinite(v) ? v : 0}`);
    }
    const mem = process.memoryUsage();
    const processGauges: Array<[string, string, number]> = [
      ['process_resident_memory_bytes', 'Resident memory size in bytes.', mem.rss],
      ['nodejs_heap_size_used_bytes', 'V8 heap used in bytes.', mem.heapUsed],
      ['nodejs_heap_size_total_bytes', 'V8 heap total in bytes.', mem.heapTotal],
      ['nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects, in bytes.', mem.external],
      ['process_uptime_seconds', 'Seconds since the process started.', Math.round(process.uptime())]
    ];
    for (const [name, help, v] of processGauges) lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`);
    return lines.join('\n') + '\n';
  }
}

/** A store whose successful creating writes bump the matching counters. Everything else passes through. */
export function instrumentStore<S extends Store>(store: S, metrics: Metrics): S {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'sendMessage') {
        return async (...args: Parameters<Store['sendMessage']>) => {
          const r = await target.sendMessage(...args);
          if (r.ok && r.created) metrics.inc('cinder_messages_sent_total');
          return r;
        };
      }
      if (prop === 'putEnvelope') {
        return async (...args: Parameters<Store['putEnvelope']>) => {
          const r = await target.putEnvelope(...args);
          if (r.ok && r.created) metrics.inc('cinder_envelopes_queued_total');
          return r;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    }
  });
}

export interface HealthCheck {
  name: string;
  /** Resolves when healthy; rejects (or times out) otherwise. */
  run: () => Promise<unknown>;
}

export interface HealthReport {
  ok: boolean;
  checks: Record<string, { ok: boolean; ms: number; error?: string }>;
}

/** Runs the checks in parallel, each bounded by `timeoutMs`. */
export async function runHealth(checks: HealthCheck[], timeoutMs = 2000): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      const t = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.run(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
          })
        ]);
        return [c.name, { ok: true, ms: Math.round((performance.now() - t) * 10) / 10 }] as const;
      } catch (e) {
        return [c.name, { ok: false, ms: Math.round((performance.now() - t) * 10) / 10, error: e instanceof Error ? e.message : String(e) }] as const;
      } finally {
        clearTimeout(timer);
      }
    })
  );
  const out: HealthReport['checks'] = {};
  for (const [name, r] of results) out[name] = r;
  return { ok: results.every(([, r]) => r.ok), checks: out };
}

/** A round trip through the store: `ping()` when the backend has one, else a cheap indexed read. */
export function storeCheck(store: Store): HealthCheck {
  const s = store as Store & { ping?: () => Promise<void> };
  return { name: 'db', run: () => (typeof s.ping === 'function' ? s.ping() : s.latestCursor('')) };
}

const tokenMatches = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** Serves GET /metrics (text/plain); 401 without the right bearer token when one is configured. */
/**
 * GET /metrics. With a token: `Authorization: Bearer <token>` from anywhere. Without one: loopback
 * clients only (a scraper on the same host, or `curl` over SSH), so counters and socket counts are not
 * public by default. `client` is the caller's address (behind TRUST_PROXY, the proxy's X-Forwarded-For).
 */
export function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: Metrics, token: string | null, client: string): void {
  const base = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...base, allow: 'GET', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  if (token !== null) {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m || !tokenMatches(m[1].trim(), token)) {
      res.writeHead(401, { ...base, 'www-authenticate': 'Bearer realm="metrics"', 'content-type': 'text/plain; charset=utf-8' }).end('unauthorized\n');
      return;
    }
  } else if (!isLoopback(client)) {
    res.writeHead(403, { ...base, 'content-type': 'text/plain; charset=utf-8' }).end('metrics are served to loopback clients only; set METRICS_TOKEN\n');
    return;
  }
  const body = metrics.render();
  res.writeHead(200, { ...base, 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string): boolean {
  const a = address.replace(/^::ffff:/i, '');
  return (isIP(a) === 4 && a.startsWith('127.')) || a === '::1';
}
