/**
 * Why notifications can't be turned on here, in words a user can act on. iOS has Web Push only for
 * apps added to the Home Screen (16.4+): in a Safari tab `PushManager` is simply missing.
 */
import type { Platform } from './platform';

export interface PushFeatures {
  serviceWorker: boolean;
  notification: boolean;
  pushManager: boolean;
  standalone: boolean;
}

/** Null when this browser can do Web Push; otherwise the sentence Settings shows. */
export function pushUnsupportedMessage(platform: Platform, f: PushFeatures): string | null {
  if (f.serviceWorker && f.notification && f.pushManager) return null;
  if (platform.ios && !f.standalone) return 'Notifications need Cinder on your Home Screen: tap Share, then Add to Home Screen, and open Cinder from there.';
  if (platform.ios) return 'Notifications for Home Screen apps need iOS 16.4 or later. Update your iPhone or iPad to get them.';
  return "This browser doesn't support notifications for web apps.";
}

/** The features of this browser (pages only). */
export const pushFeatures = (standalone: boolean): PushFeatures => ({
  serviceWorker: 'serviceWorker' in navigator,
  notification: 'Notification' in window,
  pushManager: 'PushManager' in window,
  standalone
});
