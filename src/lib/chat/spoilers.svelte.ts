/**
 * Which messages' spoilers were revealed here: one tap shows every spoiler of its message, and it stays
 * shown while this tab lives (the bubble is re-made as the window scrolls). Never sent anywhere: the
 * peer and my other devices keep their own.
 */
import { SvelteSet } from 'svelte/reactivity';

const revealed = new SvelteSet<string>();

export const spoilersShown = (messageId: string): boolean => revealed.has(messageId);

export function showSpoilers(messageId: string): void {
  revealed.add(messageId);
}
