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

/** A copy of `set` less `ids` (rows deleted while selected). */
export function unselected(set: ReadonlySet<string>, ids: readonly string[]): Set<string> {
  return new Set([...set].filter((id) => !ids.includes(id)));
}

/** Calls `notify` at most every 3 s while the user types ("typing…" for the peer); `reset()` after a send. */
export function typingNotifier(notify: () => Promise<unknown>): (() => void) & { reset(): void } {
  let last = 0;
  const onInput = () => {
    if (Date.now() - last < 3000) return;
    last = Date.now();
    void notify().catch(() => {});
  };
  // The peer's "typing…" ends when the message arrives; the next message typed says so again at once.
  return Object.assign(onInput, { reset: () => void (last = 0) });
}

/**
 * A long chat is a window over its stored history: at most CHAT_WINDOW rows in the DOM, loaded and
 * dropped CHAT_PAGE at a time at either end, so scrolling costs the same however long the chat is.
 */
export const CHAT_PAGE = 50;
export const CHAT_WINDOW = 300;
/**
 * Opening a chat reads and renders fewer rows than a page: enough to fill a phone's screen, so the
 * first bubbles paint sooner. A screen it does not fill asks for older pages at once (fillCheck).
 */
export const CHAT_FIRST_PAGE = 20;

const rowOf = (scroller: HTMLElement, id: string) => scroller.querySelector<HTMLElement>(`[data-row-id="${CSS.escape(id)}"]`);

/** The id of the first row (`data-row-id`) at least partly on screen in `scroller`. */
export function firstVisibleRow(scroller: HTMLElement | undefined): string | null {
  if (!scroller) return null;
  const top = scroller.getBoundingClientRect().top;
  for (const el of scroller.querySelectorAll<HTMLElement>('[data-row-id]')) if (el.getBoundingClientRect().bottom > top) return el.dataset.rowId!;
  return null;
}

/**
 * Runs `change` (which adds or drops rows at either end) and `settle` (usually Svelte's tick), then
 * scrolls so that row `id` is where it was on screen: the reader's place survives pages coming and going.
 */
export async function keepingRow(scroller: HTMLElement | undefined, id: string | null, change: () => void, settle: () => Promise<void>) {
  const el = scroller && id ? rowOf(scroller, id) : null;
  const top = el?.getBoundingClientRect().top;
  change();
  await settle();
  if (scroller && el?.isConnected && top !== undefined) scroller.scrollTop += el.getBoundingClientRect().top - top;
}

/** Distance in px from the bottom of `scroller`'s content to the bottom of its viewport. */
export const fromBottom = (scroller: HTMLElement | undefined) => (scroller ? scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight : 0);

/** How close (px) to the end of the list still counts as "at the bottom" (the newest row followed). */
export const AT_BOTTOM = 80;

/**
 * What a scroll asks of a window: an older page near the top, a newer one near the bottom, whether the
 * reader is a screen or more away from the end, and whether they are at the bottom (following new rows).
 */
export function scrollNeeds(scroller: HTMLElement, hasNewer: boolean) {
  const below = fromBottom(scroller);
  return { older: scroller.scrollTop < 200, newer: hasNewer && below < 200, away: below > scroller.clientHeight, atBottom: below < AT_BOTTOM };
}

/** An older page above the window's rows; `trimmed` when the newest rows had to go. */
export function joinOlder<T>(older: T[], rows: T[]): { rows: T[]; trimmed: boolean } {
  const next = [...older, ...rows];
  return next.length > CHAT_WINDOW ? { rows: next.slice(0, CHAT_WINDOW), trimmed: true } : { rows: next, trimmed: false };
}

/** A newer page below the window's rows; `trimmed` when the oldest rows had to go. */
export function joinNewer<T>(rows: T[], newer: T[]): { rows: T[]; trimmed: boolean } {
  const next = [...rows, ...newer];
  return next.length > CHAT_WINDOW ? { rows: next.slice(next.length - CHAT_WINDOW), trimmed: true } : { rows: next, trimmed: false };
}

/**
 * Runs a chat window's loads one at a time, each on the window the previous one left: a refresh
 * that read the window before a jump to the newest messages must not land after it. A refresh
 * asked for while another is still waiting to start is the same refresh.
 */
export function windowQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  let waiting: Promise<void> | null = null;
  const run = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = tail.then(fn);
    tail = p.catch(() => {});
    return p;
  };
  const busy = new Set<string>();
  return {
    run,
    refresh(fn: () => Promise<void>): Promise<void> {
      waiting ??= run(() => {
        waiting = null;
        return fn();
      });
      return waiting;
    },
    /** Queues `fn` unless the load named `key` is already waiting or running (a scroll fires many events). */
    once(key: string, fn: () => Promise<void>): void {
      if (busy.has(key)) return;
      busy.add(key);
      void run(fn)
        .catch(() => {})
        .finally(() => busy.delete(key));
    }
  };
}
