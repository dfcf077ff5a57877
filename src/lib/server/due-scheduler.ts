/**
 * The timer loop shared by work that falls due at stored times (wake-up pushes, self-destructing cloud
 * media), safe with several relay processes on one database:
 * - one timer, armed for the store's next due time (`next`), capped at `maxTimerMs` so times stored
 *   through other nodes are picked up too, and re-armed whenever this node stores a new time;
 * - `runOnce` claims and handles what is due (atomically in the store, so no two nodes take a row);
 * - runs are serialised: a run requested while one is going happens right after it.
 */
import type { Logger } from './log';

export interface DueSchedulerDeps {
  /** The next due time (ms), or null when nothing is stored. */
  next(): Promise<number | null>;
  /** Handles everything due now; returns how many items it handled. */
  runOnce(): Promise<number>;
  log: Logger;
  /** For log lines: what is being scheduled. */
  label: string;
  now: () => number;
  maxTimerMs: number;
}

export interface DueScheduler {
  /** Runs once now and arms the timer. */
  start(): void;
  /** A time was just stored through this node: re-arm from the store (it is authoritative). */
  scheduled(): void;
  run(): Promise<number>;
  close(): Promise<void>;
}

export function createDueScheduler({ next, runOnce, log, label, now, maxTimerMs }: DueSchedulerDeps): DueScheduler {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let again = false;
  let closed = false;
  let rearmGen = 0;

  const arm = (at: number) => {
    if (closed) return;
    const t = now();
    if (timer) clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = null;
        void run();
      },
      // +2 ms: Node may fire a timer a hair early, before the time it was armed for.
      Math.max(0, Math.min(at, t + maxTimerMs) - t) + 2
    );
    timer.unref();
  };

  const rearm = async () => {
    const gen = ++rearmGen;
    try {
      const at = await next();
      if (gen === rearmGen) arm(at ?? Infinity);
    } catch (err) {
      log.error(`${label} scheduling failed`, { err: err instanceof Error ? err : String(err) });
      arm(now() + maxTimerMs);
    }
  };

  async function run(): Promise<number> {
    if (closed) return 0;
    if (running) {
      // Joins the run in progress (it runs again for this request); what it handles is counted
      // by the caller that started it, so concurrent callers never count an item twice.
      again = true;
      return running.then(() => 0);
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        try {
          total += await runOnce();
        } catch (err) {
          log.error(`${label} run failed`, { err: err instanceof Error ? err : String(err) });
        }
      } while (again && !closed);
      return total;
    })();
    try {
      return await running;
    } finally {
      running = null;
      if (!closed) await rearm();
    }
  }

  return {
    start() {
      void run();
    },
    scheduled() {
      if (!running) void rearm();
    },
    run,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (running) await running.catch(() => undefined);
    }
  };
}
