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
import { purgeExpired } from '$lib/store/purge';
import { answerDiagnostics } from '$lib/store/lock-diagnostics';
import { backgroundWake, type Notice, type WakeKind } from '$lib/worker/background';

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

self.addEventListener('activate', (event) => {
  event.waitUntil(Promise.all([self.clients.claim(), purge()]));
});

// ---------- self-destruct timers while the app is closed ----------
// Every wake of the service worker deletes what has expired; deadlines are stored in clear, so
// this works without the vault key (and while the app is locked).

let db: CinderDB | null = null;

async function purge(): Promise<void> {
  db ??= new CinderDB();
  try {
    const { blobs } = await purgeExpired(db);
    // Best effort: the relay also drops unacknowledged blobs after a week on its own.
    for (const id of blobs) await fetch(`/api/blobs/${encodeURIComponent(id)}`, { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
  } catch (e) {
    console.warn('cinder sw: purge failed', e);
  }
}

// No purge on fetch: a fetch means a page and its worker are running, and that worker purges on
// start and on its own timer. A purge here ran at every page load, exactly while the previous page's
// worker was being ended, and took the same store locks: the one contention WebKit's IndexedDB
// cannot afford (see src/lib/store/tx-locks.ts).

self.addEventListener('sync', (event) => {
  // Background Sync: the outboxes (cloud and secret) go out once connectivity returns.
  event.waitUntil(purge().then(() => flushQueues()));
});

const queued = async () => {
  db ??= new CinderDB();
  return (await db.outbox.count()) + (await db.sendQueue.count());
};

/**
 * Pages register the sync on every send (see requestBackgroundSync), so it usually finds the queues
 * already emptied by the app: then it does nothing. What still waits afterwards makes the event fail,
 * so the browser tries again later instead of dropping the registration.
 */
async function flushQueues() {
  if (!(await queued())) return;
  await backgroundWake('sync');
  await tellWindows();
  if (await queued()) throw new Error('cinder sw: messages still wait to be sent');
}

self.addEventListener('periodicsync', (event) => {
  (event as ExtendableEvent).waitUntil(purge());
});

self.addEventListener('push', (event) => {
  event.waitUntil(onPush(event.data?.text() ?? ''));
});

async function tellWindows() {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const w of windows) w.postMessage({ type: 'cinder-wake' });
  return windows;
}

/**
 * Pushes carry no content: the relay only says that something is waiting ("envelope", "update")
 * or that a self-destruct deadline arrived ("wake"). We fetch and process what is pending with
 * the same core as the app, then notify.
 *
 * Every push ends with a notification shown, even while a Cinder window is focused. Cinder
 * subscribes with userVisibleOnly, and Safari (iOS and macOS) counts each push that shows none and,
 * at the third, removes the subscription for good, with no event telling the app; a focused page
 * is no excuse there. Chrome tolerates a few silent pushes, then shows its own "updated in the
 * background" notice. What an iPhone user sees: a banner for each new message while Cinder is
 * closed; and, when there is nothing to read (a read receipt, a timer that ran out, or Cinder is
 * already open and shows it), a quiet notice closed at once.
 */
async function onPush(data: string) {
  let kind: WakeKind = 'sync';
  try {
    const t = (JSON.parse(data) as { t?: unknown }).t;
    if (t === 'envelope' || t === 'update' || t === 'wake') kind = t;
  } catch {
    /* an empty or foreign payload: check everything */
  }
  let notices: Notice[] = [];
  try {
    await purge();
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const focused = windows.some((w) => (w as WindowClient).focused);
    // An open app has its own connection; it only needs a nudge.
    notices = focused ? [] : await backgroundWake(kind);
    await tellWindows();
  } finally {
    // Shown whatever went wrong above: a push without a notification costs the subscription.
    await showNotices(notices);
  }
}

async function showNotices(notices: Notice[]) {
  for (const n of notices) {
    await self.registration
      .showNotification(n.title, { body: n.body, tag: n.tag, data: { url: n.url }, icon: '/icons/icon-192.png', badge: '/icons/icon-192.png' })
      .catch((e) => console.warn('cinder sw: notification failed', e));
  }
  if (notices.length) return;
  await self.registration
    .showNotification('Cinder', {
      body: 'Cinder is up to date.',
      // One fixed tag: these replace each other instead of piling up.
      tag: 'cinder-maintenance',
      silent: true,
      icon: '/icons/icon-192.png'
    })
    .catch((e) => console.warn('cinder sw: notification failed', e));
  // Nothing for the user to read (a receipt, a timer that ran out, or the open app already shows
  // it): take the required notice away again. A lock screen never learns that a timer fired.
  for (const n of await self.registration.getNotifications({ tag: 'cinder-maintenance' })) n.close();
}

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
