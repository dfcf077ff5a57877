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
  event.waitUntil(self.clients.claim());
});
