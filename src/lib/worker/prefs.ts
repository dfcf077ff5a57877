/** Device preferences (not secret), read by the worker and the service worker. */
import type { CinderDB } from '$lib/store/db';

import type { PrefsView } from './protocol';

export type Prefs = PrefsView;

export const DEFAULT_PREFS: Prefs = { hidePreviews: false, autoLockMinutes: 5 };

export async function loadPrefs(db: CinderDB): Promise<Prefs> {
  return { ...DEFAULT_PREFS, ...((await db.meta.get('prefs'))?.value as Partial<Prefs> | undefined) };
}
