/**
 * Memory per idle WebSocket: `npm run bench:sockets` (~30 s).
 * The relay runs in this process (SQLite store, production code, cheap scrypt for the sign-ups); the
 * clients run in a child process, so their objects are not counted. 1,000 accounts each open one
 * authenticated socket (one device each, as in real use) and stay idle after the relay's `hello`.
 * Measured after a full GC before and after: V8 heap + external + array buffers (what JavaScript holds)
 * and RSS (everything, noisier). Baseline in the same run: a bare `ws` server (no auth, no state) holding
 * the same number of sockets from the same client. Goal: ≤ 10 KiB per socket (heap + external). RSS is
 * printed for reference only: pages the allocator keeps or returns between the samples swing it by more
 * than a socket's cost (the bare server's RSS per socket often comes out negative).
 */
import { fork, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { signup, startServer, type Account } from '../tests/unit/server/helpers';
import { fmt, report } from './support';

const N = Number(process.env.SOCKETS_N ?? 1000);
const self = fileURLToPath(import.meta.url);

// --- child: opens the sockets, reports, holds them until told to close ---
if (process.argv[2] === '--clients') {
  const { WebSocket } = await import('ws');
  const { url, tokens } = JSON.parse(process.argv[3] ?? '{}') as { url: string; tokens: (string | null)[] };
  const open: InstanceType<typeof WebSocket>[] = [];
  // 50 at a time: the relay authenticates each upgrade against its store.
  for (let i = 0; i < tokens.length; i += 50) {
    await Promise.all(
      tokens.slice(i, i + 50).map(
        (token) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
            // Open is not enough for the relay: wait for its first frame (hello), after authentication.
            if (token) ws.once('message', () => resolve());
            else ws.once('open', () => resolve());
            ws.once('error', reject);
            ws.once('unexpected-response', (_q, r) => reject(new Error(`upgrade refused: ${r.statusCode}`)));
            open.push(ws);
          })
      )
    );
  }
  process.send!({ open: open.length });
  process.on('message', () => {
    for (const ws of open) ws.terminate();
    process.exit(0);
  });
} else if (typeof globalThis.gc !== 'function') {
  // Re-run with a GC we can call, so before/after are measured on a collected heap.
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  await main();
}

interface Sample {
  js: number;
  rss: number;
}
async function sample(): Promise<Sample> {
  let best: Sample = { js: Infinity, rss: Infinity };
  // The least of a few collections: a timer firing between two can only add.
  for (let i = 0; i < 3; i++) {
    globalThis.gc!();
    await new Promise((r) => setTimeout(r, 50));
    const m = process.memoryUsage();
    best = { js: Math.min(best.js, m.heapUsed + m.external), rss: Math.min(best.rss, m.rss) };
  }
  return best;
}

/** Per-socket cost of holding `tokens.length` sockets to `url`. */
async function measure(url: string, tokens: (string | null)[]): Promise<Sample> {
  const before = await sample();
  const child = fork(self, ['--clients', JSON.stringify({ url, tokens })], { execArgv: ['--import', 'tsx'] });
  const opened = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { open: number }).open));
    child.once('exit', (code) => reject(new Error(`clients exited early (${code})`)));
  });
  if (opened !== tokens.length) throw new Error(`only ${opened} of ${tokens.length} sockets opened`);
  await new Promise((r) => setTimeout(r, 500)); // the last frames settle
  const after = await sample();
  child.send('close');
  await new Promise((r) => child.once('exit', r));
  return { js: (after.js - before.js) / tokens.length, rss: (after.rss - before.rss) / tokens.length };
}

async function main() {
  console.log(`Cinder socket-memory bench — ${N} idle authenticated sockets, relay in this process, clients in a child`);
  // Baseline: a bare ws server in this process.
  const bare = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => bare.once('listening', r));
  const bareUrl = `ws://127.0.0.1:${(bare.address() as { port: number }).port}`;
  await measure(
    bareUrl,
    Array.from({ length: 20 }, () => null)
  ); // the same warm-up as the relay gets
  const bareCost = await measure(
    bareUrl,
    Array.from({ length: N }, () => null)
  );
  await new Promise((r) => bare.close(r));

  const ts = await startServer({ env: { AUTH_RATE_LIMIT: '1000000', LOG_LEVEL: 'warn' } });
  try {
    const accounts: Account[] = [];
    for (let i = 0; i < N; i += 25) accounts.push(...(await Promise.all(Array.from({ length: Math.min(25, N - i) }, () => signup(ts)))));
    // Warm the code paths once (first upgrade, session cache, hello) so they are not counted as per-socket cost.
    await measure(
      ts.url.replace('http', 'ws') + '/ws',
      accounts.slice(0, 20).map((a) => a.token)
    );
    const cost = await measure(
      ts.url.replace('http', 'ws') + '/ws',
      accounts.map((a) => a.token)
    );
    const kib = (b: number) => b / 1024;
    console.log(`  bare ws:  ${fmt(kib(bareCost.js), 2)} KiB heap+external, ${fmt(kib(bareCost.rss), 2)} KiB RSS per socket`);
    console.log(`  Cinder:   ${fmt(kib(cost.js), 2)} KiB heap+external, ${fmt(kib(cost.rss), 2)} KiB RSS per socket (ratio ${fmt(cost.js / bareCost.js, 2)}× bare)`);
    report('sockets: memory per idle authenticated socket (heap+external)', kib(cost.js), 'KiB', '≤ 10 KiB', kib(cost.js) <= 10, 2);
    report('sockets: bare ws socket, same run (heap+external)', kib(bareCost.js), 'KiB', null, null, 2);
    report('sockets: memory per idle socket (RSS, noisier)', kib(cost.rss), 'KiB', null, null, 2);
  } finally {
    await ts.close();
  }
}
