/**
 * WAL checkpoints off the event loop. With SQLite's automatic checkpoints, every ~1,000th commit
 * copies the WAL into the database file and fsyncs it on the committing thread, which here is the
 * relay's only JS thread: measured at about half the cost of storing an envelope, and the source of
 * latency spikes. Instead the main connection turns automatic checkpoints off and a worker thread with
 * its own connection runs PASSIVE checkpoints (they never block writers) on a short interval.
 *
 * If the worker cannot start or dies, the caller's `onFailure` turns automatic checkpoints back on,
 * so the WAL never grows without bound.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointerOptions {
  /** Absolute path of the database file. */
  file: string;
  /** How often to checkpoint (ms). */
  intervalMs?: number;
  /** Called once if the worker fails; the store then falls back to automatic checkpoints. */
  onFailure: (err: Error) => void;
}

export interface Checkpointer {
  /** Runs one checkpoint now and resolves with the WAL frames it copied (tests, shutdown). */
  checkpoint(): Promise<{ log: number; checkpointed: number }>;
  /** Stops the worker (after a last checkpoint). */
  stop(): Promise<void>;
}

// CommonJS, run with `eval: true`, so the server bundle needs no separate worker file. It gets the
// resolved path of better-sqlite3 so it loads the same native module as the main thread.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const run = () => {
  const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
  return { log: r.log, checkpointed: r.checkpointed };
};
const timer = setInterval(() => {
  try { run(); } catch (e) { parentPort.postMessage({ t: 'error', message: String(e && e.message || e) }); }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m.t === 'now') {
    try { parentPort.postMessage({ t: 'done', id: m.id, result: run() }); }
    catch (e) { parentPort.postMessage({ t: 'done', id: m.id, error: String(e && e.message || e) }); }
  } else if (m.t === 'stop') {
    clearInterval(timer);
    try { run(); } catch {}
    db.close();
    parentPort.postMessage({ t: 'stopped' });
    parentPort.close();
  }
});
parentPort.postMessage({ t: 'ready' });
`;

type FromWorker =
  { t: 'ready' } | { t: 'error'; message: string } | { t: 'done'; id: number; result?: { log: number; checkpointed: number }; error?: string } | { t: 'stopped' };

export function startCheckpointer(opts: CheckpointerOptions): Checkpointer {
  const require = createRequire(import.meta.url);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { module: require.resolve('better-sqlite3'), file: opts.file, intervalMs: opts.intervalMs ?? 250 }
  });
  worker.unref();
  let failed = false;
  let stopped = false;
  const fail = (err: Error) => {
    if (failed || stopped) return;
    failed = true;
    opts.onFailure(err);
  };
  let nextId = 0;
  const waiting = new Map<number, { resolve: (r: { log: number; checkpointed: number }) => void; reject: (e: Error) => void }>();
  worker.on('message', (m: FromWorker) => {
    if (m.t === 'error') fail(new Error(`checkpoint failed: ${m.message}`));
    if (m.t === 'done') {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.result) w?.resolve(m.result);
      else w?.reject(new Error(`checkpoint failed: ${m.error}`));
    }
  });
  worker.on('error', fail);
  worker.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error('checkpointer stopped'));
    waiting.clear();
    if (!stopped) fail(new Error(`checkpointer exited (${code})`));
  });

  return {
    checkpoint() {
      if (failed || stopped) return Promise.reject(new Error('checkpointer is not running'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ t: 'now', id });
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (failed) {
        await worker.terminate();
        return;
      }
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      worker.postMessage({ t: 'stop' });
      const t = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(t);
    }
  };
}
