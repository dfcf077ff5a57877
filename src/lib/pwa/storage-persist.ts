/**
 * Asking the browser not to evict Cinder's storage, and saying whether it agreed. Secret chats live
 * only in this browser's IndexedDB: if the browser clears it, they are gone for good. Page-side on
 * purpose: `persist()` exists only in windows (workers have `persisted()` alone). No crypto or store.
 */
import type { Platform } from './platform';

/** protected = persisted() is true; unprotected = false; unknown = the API is missing or failed. */
export type PersistState = 'protected' | 'unprotected' | 'unknown';

type Storage = Pick<StorageManager, 'persisted'> & Partial<Pick<StorageManager, 'persist'>>;
const storage = (): Storage | undefined => (typeof navigator === 'undefined' ? undefined : navigator.storage);

export async function persistState(s: Storage | undefined = storage()): Promise<PersistState> {
  if (!s?.persisted) return 'unknown';
  try {
    return (await s.persisted()) ? 'protected' : 'unprotected';
  } catch {
    return 'unknown';
  }
}

/**
 * Asks for persistent storage unless it is already granted. Chromium and Safari decide on their own
 * (more likely once installed or used often); Firefox asks the user, so this runs after a user's
 * action (sign-up, login, the Settings button) or in an installed app, never on a plain page load.
 */
export async function requestPersist(s: Storage | undefined = storage()): Promise<PersistState> {
  const now = await persistState(s);
  if (now !== 'unprotected' || !s?.persist) return now;
  try {
    await s.persist();
  } catch {
    /* an opaque origin or storage turned off: the state below says what holds */
  }
  return persistState(s);
}

export interface PersistText {
  /** A short status, in words (never colour alone). */
  label: string;
  /** What it means for this device's secret chats, and what to do. */
  detail: string;
}

export function persistText(state: PersistState, platform: Platform, standalone: boolean): PersistText {
  if (state === 'protected')
    return {
      label: 'Protected',
      detail: "This browser won't clear Cinder's data on its own. It goes only if you clear it yourself or log out."
    };
  const webkit = platform.ios || platform.macSafari;
  if (state === 'unknown')
    return {
      label: "Can't be checked",
      detail:
        "This browser doesn't say whether it may clear Cinder's data on its own. Secret chats exist only on this device: if the browser clears its data, they are lost." +
        (platform.ios && !standalone ? ' Safari deletes the data of sites not opened for 7 days unless they are added to the Home Screen.' : '')
    };
  if (webkit && !standalone)
    return {
      label: 'Not protected',
      detail:
        "Safari deletes the data of sites you haven't opened for 7 days, and with it this device's secret chats. " +
        (platform.ios
          ? 'Add Cinder to your Home Screen (Share, then Add to Home Screen) and open it from there to keep them.'
          : 'Open Cinder at least once a week to keep them.')
    };
  return {
    label: 'Not protected',
    detail:
      "The browser may clear Cinder's data when the device runs low on space, and with it this device's secret chats. " +
      (platform.ios
        ? "As a Home Screen app Cinder is spared Safari's 7-day deletion; keep using it."
        : standalone
          ? 'Keep using Cinder: browsers protect the apps people use.'
          : 'Installing Cinder and using it often make the browser more likely to protect it.') +
      ' If the browser asks whether Cinder may keep its data, allow it.'
  };
}
