/** Device preferences (not secret), read by the worker and the service worker. */
import type { CinderDB } from '$lib/store/db';

export interface Prefs {
  /** Cloud-chat notifications say who wrote, not what. */
  hidePreviews: boolean;
}

export const DEFAULT_PREFS: Prefs = { hidePreviews: false };

export async function loadPrefs(db: CinderDB): Promise<Prefs> {
  return { ...DEFAULT_PREFS, ...((await db.meta.get('prefs'))?.value as Partial<Prefs> | undefined) };
}
