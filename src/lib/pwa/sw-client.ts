/**
 * Registers the service worker through workbox-window and reports when a new version waits and when
 * a new version took control of this page (whichever tab activated it: see update-flow.ts).
 * workbox-window is CommonJS-free only when bundled, so it is imported lazily (see stack notes).
 */
import { dev } from '$app/environment';

export async function registerServiceWorker(on: { waiting(): void; controlling(): void }): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  const { Workbox } = await import('workbox-window');
  const wb = new Workbox('/service-worker.js', { type: dev ? 'module' : 'classic' });
  wb.addEventListener('waiting', () => on.waiting());
  // Any tab's click activates the new worker, which claims every tab: each one hears it here. The
  // first install claiming a page that had no worker is no new version (the page came from the server).
  let controlled = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (controlled && navigator.serviceWorker.controller) on.controlling();
    controlled = !!navigator.serviceWorker.controller;
  });
  await wb.register();
}

/** Tells the waiting service worker to take over; false when none waits (another tab activated it). */
export async function activateWaiting(): Promise<boolean> {
  if (!('serviceWorker' in navigator)) return false;
  const waiting = (await navigator.serviceWorker.getRegistration())?.waiting;
  if (!waiting) return false;
  waiting.postMessage({ type: 'SKIP_WAITING' });
  return true;
}

/** When checkForUpdate last asked (at most one check a minute, however many placeholders show). */
let checkedAt = 0;

/**
 * Asks the server now whether a newer version exists (a message or a chat of a newer Cinder was met):
 * if one does, its service worker installs and the update prompt shows (update-flow.ts).
 */
export function checkForUpdate(): void {
  if (!('serviceWorker' in navigator) || Date.now() - checkedAt < 60_000) return;
  checkedAt = Date.now();
  void navigator.serviceWorker
    .getRegistration()
    .then((r) => r?.update())
    .catch(() => undefined);
}

/**
 * Asks the service worker to flush the outboxes when connectivity returns (Background Sync), so a
 * message queued offline goes out even after the tab is closed. Called once per send, whatever the
 * app believes about its connection; the service worker's sync does nothing when no queue holds
 * anything. Firefox and Safari have no `SyncManager`: there the open app retries when the network
 * comes back or the app is shown again (see watchReturn in +layout.svelte).
 */
export async function requestBackgroundSync(): Promise<void> {
  if (!('serviceWorker' in navigator) || !('SyncManager' in self)) return;
  const reg = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } };
  await reg.sync?.register('cinder-outbox').catch(() => undefined);
}

/** The service worker nudges open pages after it handled a push or a sync. */
export function onServiceWorkerWake(fn: () => void): () => void {
  if (!('serviceWorker' in navigator)) return () => undefined;
  const handler = (e: MessageEvent) => {
    if ((e.data as { type?: string } | null)?.type === 'cinder-wake') fn();
  };
  navigator.serviceWorker.addEventListener('message', handler);
  return () => navigator.serviceWorker.removeEventListener('message', handler);
}

/**
 * Turns on Web Push. Must run from a user gesture (the permission prompt is never shown on load).
 * Returns the subscription to hand to the relay, or a reason it is not available.
 */
export async function subscribePush(publicKey: string): Promise<PushSubscriptionJSON> {
  if (!('Notification' in self) || !('PushManager' in self)) throw new Error('This browser does not support notifications.');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error('Notifications are blocked for Cinder in this browser.');
  const reg = await navigator.serviceWorker.ready;
  const existing = await reg.pushManager.getSubscription();
  const sub =
    existing ??
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlBase64ToBytes(publicKey) }).catch(() => {
      throw new Error('This browser has no push service available right now.');
    }));
  return sub.toJSON();
}

function urlBase64ToBytes(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
