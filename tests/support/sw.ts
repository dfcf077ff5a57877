/**
 * Service-worker and IndexedDB helpers shared by the browser tests and the benches: the CDP session
 * that drives push and sync events, and row counts read from any same-origin page or the service
 * worker itself (so no app page needs to be open).
 */
import type { BrowserContext, CDPSession, Page } from 'playwright';

/** A CDP session on `page` with the ServiceWorker domain on, and the origin's live registration id. */
export async function swRegistration(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; registrationId: string }> {
  const cdp = await context.newCDPSession(page);
  const found = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: { registrationId: string; isDeleted: boolean }[] }) => {
      const r = e.registrations.find((x) => !x.isDeleted);
      if (r) resolve(r.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  return { cdp, registrationId: await found };
}

/** Anything Playwright can run a function in: a page or a (service) worker. */
type Context = Pick<Page, 'evaluate'>;

/** Number of rows in one object store of the app's IndexedDB (raw, read where `at` runs). */
export function countStore(at: Context, store: string): Promise<number> {
  return at.evaluate(async (name) => {
    const db: IDBDatabase = await new Promise((res, rej) => {
      const r = indexedDB.open('cinder');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const n: number = await new Promise((res) => {
      const req = db.transaction(name).objectStore(name).count();
      req.onsuccess = () => res(req.result);
    });
    db.close();
    return n;
  }, store);
}
