/**
 * The chat list's search, kept across screens in memory (Back from a result on a phone shows it again;
 * beside an open chat on a wide screen the list is another instance, which starts from it). Never in the
 * URL: what someone searched their messages for stays out of the browser's history and its sync. Also: a result tapped again while its chat is open jumps
 * to it again (its URL does not change), and which worker events re-run a shown search.
 */
import type { WorkerEvent } from '$lib/worker/protocol';

/**
 * The search's text across list instances; `opened`: the message result last opened (the list scrolls to
 * it when shown again); `shown`: how many results were listed then (a result from a later page is loaded again).
 */
export const listSearch = $state<{ query: string; opened: string | null; shown: number }>({ query: '', opened: null, shown: 0 });

/** A chat's screen (cloud or secret): the search goes on there; elsewhere (a profile, Settings) it ends. */
export const isChatPath = (path: string) => /^\/(chat|secret)\/[^/]+$/.test(path);

/** Events that can change which messages match: a cloud chat's rows, a secret chat's (not typing, presence…). */
export const changesMessages = (e: WorkerEvent): boolean => e.type === 'messages' || e.type === 'secret';

/** How long after the last such event a shown search runs again (ms). */
export const FOLLOW_DELAY = 300;

/**
 * Calls `rerun` FOLLOW_DELAY ms after the last event that changes messages (a burst runs it once).
 * Returns what stops it (a pending run is dropped).
 */
export function followMessages(subscribe: (fn: (e: WorkerEvent) => void) => () => void, rerun: () => void, delay = FOLLOW_DELAY): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const off = subscribe((e) => {
    if (!changesMessages(e)) return;
    clearTimeout(timer);
    timer = setTimeout(rerun, delay);
  });
  return () => {
    clearTimeout(timer);
    off();
  };
}

type Jump = (messageId: string) => void;
// eslint-disable-next-line svelte/prefer-svelte-reactivity -- listeners, never rendered
const jumpers = new Set<Jump>();

/** An open chat screen listens: the result for `messageId` was tapped again while it shows it. */
export function onJumpAgain(fn: Jump): () => void {
  jumpers.add(fn);
  return () => jumpers.delete(fn);
}

/** A result whose URL is already the current one was tapped: the open chat re-centres and highlights it. */
export function jumpAgain(messageId: string) {
  for (const fn of jumpers) fn(messageId);
}

/** Whether the result `path?m=messageId` is the page shown now (`url`). */
export const isShown = (url: URL, path: string, messageId: string) => url.pathname === path && url.searchParams.get('m') === messageId;
