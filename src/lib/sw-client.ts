/**
 * Registers the service worker through workbox-window and reports when a new version waits.
 * workbox-window is CommonJS-free only when bundled, so it is imported lazily (see stack notes).
 */
import { dev } from '$app/environment';

export async function registerServiceWorker(onUpdate: (apply: () => void) => void): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  const { Workbox } = await import('workbox-window');
  const wb = new Workbox('/service-worker.js', { type: dev ? 'module' : 'classic' });
  wb.addEventListener('waiting', () => {
    onUpdate(() => {
      wb.addEventListener('controlling', () => location.reload());
      wb.messageSkipWaiting();
    });
  });
  await wb.register();
}
