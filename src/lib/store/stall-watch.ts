/**
 * Notices an IndexedDB transaction, open or locked store operation of this context that stopped
 * answering. WebKit (WebKitGTK 2.50, as Safari) can leave the next page's worker without answers when
 * a page is left while its worker writes: its open, its schema read or a later transaction never
 * answers, nor does a fresh open from the page (docs/compatibility.md; tx-locks.ts now pauses a page's
 * storage while it is left, which makes it rare). Nothing inside this context gets the database back,
 * and it did not come back by itself in 5 minutes: the page says so (the `storeStalled` event) and
 * what helps (a reload, else quitting the browser).
 *
 * An IndexedDB transaction cannot idle: once no request is pending it commits. One that has had no
 * request answered, and has not ended, for STALL_MS is therefore stuck, not slow: a busy device
 * answers each request in milliseconds, and a long transaction (re-sealing every row) answers often.
 */
export const STALL_MS = 15_000;
const CHECK_MS = 2_000;

interface Watched {
  /** When it last answered (or began). */
  last: number;
}

const watched = new Set<Watched>();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;
let reported = false;
/** When any watched transaction or open of this context last answered. */
let lastAnswer = 0;
/** Since when each of this context's store operations has held its locks (tx-locks.ts). */
let heldSince: () => number[] = () => [];
/** When the check last ran, and when this context last came back from being suspended. */
let lastTick = 0;
let resumedAt = 0;

function watch(now: () => number): { progress: () => void; end: () => void } {
  const w: Watched = { last: now() };
  watched.add(w);
  ensureTimer(now);
  return {
    progress: () => void (w.last = lastAnswer = now()),
    end: () => {
      watched.delete(w);
      lastAnswer = now();
    }
  };
}

function ensureTimer(now: () => number) {
  if (timer) return;
  lastTick = now();
  timer = setInterval(() => {
    tick(now());
    if (!watched.size && !heldSince().length && timer) {
      clearInterval(timer);
      timer = null;
    }
  }, CHECK_MS);
  (timer as { unref?: () => void }).unref?.();
}

/** Follows `tx` until it completes or aborts: each request answered (seen while capturing) is progress. */
export function watchTransaction(tx: EventTarget, now: () => number = Date.now): void {
  const { progress, end } = watch(now);
  // A request's success and error events pass through its transaction on the way in (capture phase).
  tx.addEventListener('success', progress, true);
  tx.addEventListener('error', progress, true);
  tx.addEventListener('complete', end);
  tx.addEventListener('abort', end);
}

/**
 * Follows an open request until it answers. Blocked (another tab keeps an older version open) is a
 * wait, not a stall; an upgrade is followed through its transaction instead.
 */
export function watchOpen(req: EventTarget & { transaction?: EventTarget | null }, now: () => number = Date.now): void {
  const { end } = watch(now);
  req.addEventListener('success', end);
  req.addEventListener('error', end);
  req.addEventListener('blocked', end);
  req.addEventListener('upgradeneeded', () => {
    end();
    if (req.transaction) watchTransaction(req.transaction, now);
  });
}

/**
 * Store operations holding their locks are stuck too when none of this context's requests answered
 * for STALL_MS (a Dexie re-open inside an operation waits on an open that never answers).
 */
export function watchHeld(since: () => number[], now: () => number = Date.now): void {
  heldSince = since;
  ensureTimer(now);
}

/** Calls `listener` (once per context) when a transaction is stuck; returns the unsubscribe. */
export function onStall(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * One check (every CHECK_MS). A check that comes far later than that means this context was
 * suspended (a phone's app in the background): nothing answers a suspended context, so the time
 * counts again from here.
 */
export function tick(now: number): number {
  if (now - lastTick > 3 * CHECK_MS) resumedAt = now;
  lastTick = now;
  return checkStalls(now);
}

/** Reports a stuck transaction if there is one (exported for tests). Returns how many are stuck. */
export function checkStalls(now: number): number {
  const since = (t: number) => now - Math.max(t, resumedAt);
  let stuck = 0;
  for (const w of watched) if (since(w.last) >= STALL_MS) stuck++;
  if (since(lastAnswer) >= STALL_MS) for (const t of heldSince()) if (since(t) >= STALL_MS) stuck++;
  if (stuck && !reported) {
    reported = true;
    console.error(`cinder store: ${stuck} IndexedDB transaction(s) without an answer for ${STALL_MS / 1000} s; the database connection is stuck`);
    for (const l of listeners) l();
  }
  return stuck;
}

/** Forgets everything (tests). */
export function resetStallWatch(): void {
  watched.clear();
  listeners.clear();
  heldSince = () => [];
  lastAnswer = 0;
  lastTick = 0;
  resumedAt = 0;
  if (timer) clearInterval(timer);
  timer = null;
  reported = false;
}
