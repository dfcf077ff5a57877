/**
 * Named exclusive locks shared by every context of this origin that touches the database (the
 * page's worker and the service worker): Web Locks where available, an in-process queue otherwise
 * (Node tests).
 */
/** The cloud outbox's and queued actions' sender (./outbox.ts, ./cloud-actions-flush.ts): one at a time on the device. */
export const OUTBOX_LOCK = 'cinder-cloud-outbox';
/** The cloud sync's writes of what the relay's log brings (./cloud-sync.ts), and any read-back of the relay's rows. */
export const SYNC_LOCK = 'cinder-cloud-sync';

const fallback = new Map<string, Promise<unknown>>();
/** Fallback only: runs queued or going per name, so tryLock can tell a held lock. */
const busy = new Map<string, number>();

const webLocks = () => (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;

function queued<T>(name: string, fn: () => Promise<T>): Promise<T> {
  busy.set(name, (busy.get(name) ?? 0) + 1);
  const prev = fallback.get(name) ?? Promise.resolve();
  const next = prev.then(fn, fn).finally(() => {
    const n = busy.get(name)! - 1;
    if (n) return void busy.set(name, n);
    busy.delete(name);
    fallback.delete(name); // names can be one-off (an upload's): the map does not grow with them
  });
  fallback.set(
    name,
    next.catch(() => undefined)
  );
  return next;
}

export function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = webLocks();
  if (locks) return locks.request(name, { mode: 'exclusive' }, fn) as Promise<T>;
  return queued(name, fn);
}

/** Runs `fn` under the lock only if no one holds or waits for it now; undefined otherwise. */
export function tryLock<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  const locks = webLocks();
  if (locks) return locks.request(name, { mode: 'exclusive', ifAvailable: true }, (lock) => (lock ? fn() : undefined)) as Promise<T | undefined>;
  return busy.has(name) ? Promise.resolve(undefined) : queued(name, fn);
}
