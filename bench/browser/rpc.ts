/**
 * Bench helpers around the page-less worker client (tests/support/rpc.ts).
 */
import type { Page } from 'playwright';

export { countStore } from '../../tests/support/sw';
export { rpc, rpcPage, workerUrl } from '../../tests/support/rpc';

/**
 * Installs (before any app script runs) a 20 ms IndexedDB poller in `page` that records, as
 * window.__reached (ms epoch), when `store` first holds at least `target` rows.
 */
export async function installCountWatch(page: Page, store: string, target: number) {
  await page.addInitScript(
    ([name, want]) => {
      const w = window as unknown as { __reached?: number; __count?: number; __changedAt?: number };
      let db: IDBDatabase | null = null;
      const tick = () => {
        if (!db) {
          const r = indexedDB.open('cinder');
          r.onsuccess = () => {
            db = r.result;
            db.onversionchange = () => {
              db?.close();
              db = null;
            };
            setTimeout(tick, 20);
          };
          r.onerror = () => setTimeout(tick, 20);
          return;
        }
        let req: IDBRequest<number>;
        try {
          req = db
            .transaction(name as string)
            .objectStore(name as string)
            .count();
        } catch {
          setTimeout(tick, 20);
          return;
        }
        req.onsuccess = () => {
          if (req.result !== w.__count) w.__changedAt = Date.now();
          w.__count = req.result;
          if (req.result >= (want as number)) {
            w.__reached = Date.now();
            db?.close();
          } else setTimeout(tick, 20);
        };
      };
      if (location.pathname.startsWith('/_app')) return;
      tick();
    },
    [store, target] as const
  );
}
