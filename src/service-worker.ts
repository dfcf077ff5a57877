/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/**
 * The service worker: precaches the app shell so Cinder opens offline, and serves that one shell
 * for every in-app navigation. It never caches API answers (they carry user data).
 */
import { build, files, version } from '$service-worker';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { CinderDB } from '$lib/store/db';
import { purgeExpired } from '$lib/store/purge';

declare const self: ServiceWorkerGlobalScope;

// Large, rarely needed assets (the QR decoder's wasm) load on demand instead of at install.
const lazy = (url: string) => url.endsWith('.wasm');

precacheAndRoute([
  { url: '/', revision: version },
  ...build.filter((u) => !lazy(u)).map((url) => ({ url, revision: null })),
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

self.addEventListener('activate', (event) => {
  event.waitUntil(Promise.all([self.clients.claim(), purge()]));
});

// ---------- self-destruct timers while the app is closed ----------
// Every wake of the service worker deletes what has expired; deadlines are stored in clear, so
// this works without the vault key (and while the app is locked).

let db: CinderDB | null = null;
let lastPurge = 0;

async function purge(): Promise<Set<string>> {
  lastPurge = Date.now();
  db ??= new CinderDB();
  try {
    return await purgeExpired(db);
  } catch (e) {
    console.warn('cinder sw: purge failed', e);
    return new Set();
  }
}

self.addEventListener('fetch', (event) => {
  // At most once a second: fetches are frequent while the app is open.
  if (Date.now() - lastPurge > 1000) event.waitUntil(purge());
});

self.addEventListener('sync', (event) => {
  event.waitUntil(purge());
});

self.addEventListener('periodicsync', (event) => {
  (event as ExtendableEvent).waitUntil(purge());
});

self.addEventListener('push', (event) => {
  event.waitUntil(onPush(event.data?.text() ?? ''));
});

/**
 * Pushes carry no content: the relay only knows that something is waiting or that a deadline
 * arrived. Browsers require a visible notification for a push while no Cinder window is focused.
 */
async function onPush(_data: string) {
  await purge();
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const w of windows) w.postMessage({ type: 'cinder-wake' });
  if (windows.some((w) => (w as WindowClient).focused)) return;
  await self.registration.showNotification('Cinder', {
    body: 'Expired secret messages were removed.',
    tag: 'cinder-maintenance',
    silent: true,
    icon: '/icons/icon-192.png',
    badge: '/icons/icon-192.png'
  });
}
