/**
 * A person's "online" / "last seen" on a screen (the chat headers, the profile): the worker's `lastSeen`
 * for the user shown, asked again on each `presence` event for them, and its text re-read every 30 s
 * while the screen is up (minutes pass: "just now" becomes "1 minute ago").
 */
import { onMount, untrack } from 'svelte';
import { lastSeenText, LAST_SEEN_TICK_MS } from '$lib/ui/last-seen';
import { core } from '$lib/worker/client';
import type { LastSeenView } from '$lib/worker/protocol';

export class PeerLastSeen {
  seen = $state<LastSeenView | null>(null);
  private now = $state(Date.now());
  /** Answers to an older ask (another user shown meanwhile) are dropped. */
  private asks = 0;

  /** `userId`: whom the screen shows; null for none (Saved Messages, a deleted account, not known yet). */
  constructor(readonly userId: () => string | null) {}

  /** The subtitle, or null when nothing is known. */
  readonly text = $derived(this.seen ? lastSeenText(this.seen, this.now) : null);

  load = async () => {
    const ask = ++this.asks;
    const userId = this.userId();
    if (!userId) {
      this.seen = null;
      return;
    }
    try {
      const seen = await core().call('lastSeen', { userId });
      if (ask === this.asks) this.seen = seen;
    } catch {
      // Keeps what it had (the worker restarting): the next event asks again.
    }
  };

  /** Another user shown: nothing of the last one's meanwhile. */
  show = () => {
    this.seen = null;
    return this.load();
  };

  /** Follows the worker's events and ticks while the screen is shown; returns the way to stop. */
  start(): () => void {
    const off = core().on((e) => {
      if (e.type === 'presence' && e.userId === this.userId()) void this.load();
    });
    const tick = setInterval(() => (this.now = Date.now()), LAST_SEEN_TICK_MS);
    return () => {
      off();
      clearInterval(tick);
    };
  }
}

/**
 * A screen's PeerLastSeen (call while the component is set up): it follows the worker and ticks while
 * the screen is mounted, and reads again for each user shown (the first one too).
 */
export function followLastSeen(userId: () => string | null): PeerLastSeen {
  const seen = new PeerLastSeen(userId);
  onMount(() => seen.start());
  $effect(() => {
    void userId();
    untrack(() => void seen.show());
  });
  return seen;
}
