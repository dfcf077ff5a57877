/**
 * What an automatic reload would lose, and what is saved before any reload the app makes itself.
 *
 * A picked file not sent yet, an upload or a voice recording in progress does not survive a reload, so
 * when a new version takes over, a tab that holds any of it is not reloaded by itself: it says that
 * Cinder was updated and reloads when its user asks (see update-flow.ts). A draft does survive: the
 * worker keeps it per chat (chat/draft.svelte.ts), and it is saved before the reload (`beforeReload`);
 * it holds the reload only while it could not be saved.
 */
type Hold = () => unknown;
type Save = () => Promise<unknown>;

const holds = new Set<Hold>();
const saves = new Set<Save>();

/** Registers what would be lost; returns its removal (an `onMount` or `$effect` cleanup). */
export function holdReload(hold: Hold): () => void {
  holds.add(hold);
  return () => void holds.delete(hold);
}

/** Something in this tab would be lost by a reload now. */
export function reloadHeld(): boolean {
  for (const hold of holds) if (hold()) return true;
  return false;
}

/** Registers what is saved before the app reloads itself; returns its removal. */
export function beforeReload(save: Save): () => void {
  saves.add(save);
  return () => void saves.delete(save);
}

/** Saves what registered (each failure alone), waiting at most `waitMs`: a store that stopped answering cannot keep the reload from happening. */
export async function saveBeforeReload(waitMs = 2000): Promise<void> {
  const all = Promise.all([...saves].map((save) => save().catch(() => undefined)));
  await Promise.race([all, new Promise((done) => setTimeout(done, waitMs))]);
}
