/**
 * What an automatic reload would lose: a half-typed draft, a picked file not sent yet, an upload or a
 * voice recording in progress. Nothing of that survives a reload (drafts live in the page only), so
 * when a new version takes over, a tab that holds any of it is not reloaded by itself: it says that
 * Cinder was updated and reloads when its user asks (see update-flow.ts).
 */
type Hold = () => unknown;

const holds = new Set<Hold>();

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
