/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/**
 * The service worker: precaches the app shell so Cinder opens offline, and serves that one shell
 * for every in-app navigation. It never caches API answers (they carry user data).
 */
// Before any module that builds a zod schema (see no-eval.ts).
import '$lib/no-eval';
import { build, files, version } from '$service-worker';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { CinderDB } from '$lib/store/db';
import { answerDiagnostics } from '$lib/store/lock-diagnostics';
import { onPush, onSync, purge, type SwScope } from '$lib/worker/sw-wake';

declare const self: ServiceWorkerGlobalScope;

answerDiagnostics('service-worker');

// Background Sync and Periodic Background Sync events are not in TypeScript's webworker lib yet.
interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
  readonly lastChance: boolean;
}
declare global {
  interface ServiceWorkerGlobalScopeEventMap {
    sync: SyncEvent;
    periodicsync: ExtendableEvent & { readonly tag: string };
  }
}

// Large, rarely needed assets (the QR decoder's wasm) load on demand instead of at install.
const lazy = (url: string) => url.endsWith('.wasm');

/**
 * The Web Worker's own chunks (its body and the lazily loaded secret-chat code), which
 * `$service-worker`'s `build` list leaves out: scripts/build-server.mjs writes their URLs over this
 * token after the build. Without them an updated app that goes offline cannot start its worker.
 */
const workerChunks = ['__CINDER_WORKER_CHUNKS__'].filter((u) => u.startsWith('/'));

precacheAndRoute([
  { url: '/', revision: version },
  ...[...build.filter((u) => !lazy(u)), ...workerChunks].map((url) => ({ url, revision: null })),
  ...files.map((url) => ({ url, revision: version }))
]);
cleanupOutdatedCaches();

registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/'), {
    denylist: [/^\/api\//, /^\/ws/, /^\/healthz/]
  })
);

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void self.skipWaiting();
});

// ---------- self-destruct timers while the app is closed ----------
// Every wake of the service worker deletes what has expired and announces it (./lib/worker/sw-wake.ts);
// deadlines are stored in clear, so this works without the vault key (and while the app is locked).

let db: CinderDB | null = null;

const scope = (event: ExtendableEvent): SwScope => ({
  db: () => (db ??= new CinderDB()),
  windows: async () => (await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) as readonly WindowClient[],
  notifications: self.registration,
  extend: (work) => event.waitUntil(work)
});

self.addEventListener('activate', (event) => {
  event.waitUntil(Promise.all([self.clients.claim(), purge(scope(event))]));
});

// No purge on fetch: a fetch means a page and its worker are running, and that worker purges on
// start and on its own timer. A purge here ran at every page load, exactly while the previous page's
// worker was being ended, and took the same store locks: the one contention WebKit's IndexedDB
// cannot afford (see src/lib/store/tx-locks.ts).

self.addEventListener('sync', (event) => {
  event.waitUntil(onSync(scope(event)));
});

self.addEventListener('periodicsync', (event) => {
  (event as ExtendableEvent).waitUntil(purge(scope(event)));
});

self.addEventListener('push', (event) => {
  event.waitUntil(onPush(scope(event), event.data?.text() ?? ''));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data as { url?: string } | null)?.url ?? '/';
  event.waitUntil(
    (async () => {
      const windows = (await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) as WindowClient[];
      const open = windows[0];
      if (open) {
        await open.focus();
        await open.navigate(url).catch(() => undefined);
      } else await self.clients.openWindow(url);
    })()
  );
});
