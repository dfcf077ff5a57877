/**
 * Bench helpers around the page-less worker client (tests/support/rpc.ts).
 */
import type { Page } from 'playwright';
import { countStore } from '../../tests/support/sw';
import { rpc } from '../../tests/support/rpc';
import { waitFor } from '../support';

export { countStore } from '../../tests/support/sw';
export { rpc, rpcPage, workerUrl } from '../../tests/support/rpc';

/**
 * Sends `n` secret texts at once from the page-less worker client `a` and waits until its send queue
 * is empty. A flush sends only what was queued when it started (sends made during it join that run),
 * so the tail of a burst waits for the next trigger: this nudges with syncNow. Returns how many were
 * still queued when the burst returned and how many nudges it took.
 */
export async function sendSecretBurst(a: Page, chatId: string, n: number, timeoutMs: number): Promise<{ queuedAfterBurst: number; nudges: number }> {
  await a.evaluate(
    async ([id, count]) => {
      const call = (window as unknown as { rpc: (m: string, p: unknown) => Promise<unknown> }).rpc;
      await Promise.all(Array.from({ length: count as number }, (_, i) => call('secretSend', { id, text: `secret ${i} ${'y'.repeat(40)}` })));
    },
    [chatId, n] as const
  );
  const queuedAfterBurst = await countStore(a, 'sendQueue');
  let nudges = 0;
  await waitFor(
    async () => {
      if ((await countStore(a, 'sendQueue')) === 0) return true;
      nudges++;
      await rpc(a, 'syncNow', {});
      return (await countStore(a, 'sendQueue')) === 0;
    },
    timeoutMs,
    200
  );
  return { queuedAfterBurst, nudges };
}

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
