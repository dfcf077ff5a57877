/**
 * Named exclusive locks shared by every context of this origin that touches the database (the
 * page's worker and the service worker): Web Locks where available, an in-process queue otherwise
 * (Node tests).
 */
const fallback = new Map<string, Promise<unknown>>();

export function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
  if (locks) return locks.request(name, { mode: 'exclusive' }, fn) as Promise<T>;
  const prev = fallback.get(name) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  fallback.set(
    name,
    next.catch(() => undefined)
  );
  return next;
}
