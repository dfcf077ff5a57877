/** Small behaviours shared by the cloud chat and the secret chat screens. */

/** Enter sends; Shift+Enter and IME composition insert text. */
export const isSendKey = (e: KeyboardEvent) => e.key === 'Enter' && !e.shiftKey && !e.isComposing;

/** A copy of `set` with `id` added or removed (selection for "Delete for both"). */
export function toggled(set: ReadonlySet<string>, id: string): Set<string> {
  const next = new Set(set);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

/** Calls `notify` at most every 3 s while the user types ("typing…" for the peer). */
export function typingNotifier(notify: () => Promise<unknown>): () => void {
  let last = 0;
  return () => {
    if (Date.now() - last < 3000) return;
    last = Date.now();
    void notify().catch(() => {});
  };
}
