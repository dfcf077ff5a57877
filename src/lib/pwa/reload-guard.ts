/**
 * What an automatic reload would lose, and what is saved before any reload the app makes itself.
 *
 * A picked file not sent yet, an upload or a voice recording in progress does not survive a reload, so
 * when a new version takes over, a tab that holds any of it is not reloaded by itself: it says that
 * Cinder was updated and reloads when its user asks (see update-flow.ts). A draft does survive: the
 * worker keeps it per chat (chat/draft.svelte.ts), and it is saved before the reload (`beforeReload`);
 * it holds the reload only while it could not be saved: one that fails or does not finish in time at
 * that last save holds an automatic reload too (`saveBeforeReload` says so).
 */
type Hold = () => unknown;
/** Resolves to false (or rejects) when what it saves could not be stored. */
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

/**
 * Saves what registered (each failure alone), waiting at most `waitMs`: a store that stopped answering
 * cannot keep a reload the user asked for from happening. Resolves to whether everything was saved in
 * time; an automatic reload does not go ahead otherwise (what failed would be lost).
 */
export async function saveBeforeReload(waitMs = 2000): Promise<boolean> {
  const stored = (save: Save) =>
    save().then(
      (ok) => ok !== false,
      () => false
    );
  const all = Promise.all([...saves].map(stored)).then((oks) => oks.every(Boolean));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((done) => (timer = setTimeout(() => done(false), waitMs)));
  return Promise.race([all, late]).finally(() => clearTimeout(timer));
}
