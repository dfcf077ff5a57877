/**
 * The chat list's online dots: which of its rows' people are online as I may see it (the worker's
 * `lastSeenMany`: one relay request per 100 people, not one per row), asked again for those a
 * `presence` event names (a frame, or a new socket forgetting all), gathered so a burst is one ask, and
 * all of them once connected again (an ask made offline got nothing).
 */
import { onMount } from 'svelte';
import { SvelteSet } from 'svelte/reactivity';
import { core } from '$lib/worker/client';
import type { LastSeenView } from '$lib/worker/protocol';

/** Events within this long after the first are asked about together. */
const GATHER_MS = 50;

export class ListOnline {
  /** The people shown online (exactly "online": never an approximate form). */
  readonly online = new SvelteSet<string>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- the rows' people as last shown, never rendered
  private wanted: ReadonlySet<string> = new Set<string>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping of ids to ask about, never rendered
  private pending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** The rows' people now: the new ones asked about, the others forgotten. */
  show(userIds: readonly string[]): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, never rendered
    const next: ReadonlySet<string> = new Set(userIds);
    const added = [...next].filter((id) => !this.wanted.has(id));
    this.wanted = next;
    for (const id of [...this.online]) if (!next.has(id)) this.online.delete(id);
    if (added.length) void this.ask(added);
  }

  private async ask(userIds: string[]): Promise<void> {
    let seen: Record<string, LastSeenView>;
    try {
      seen = await core().call('lastSeenMany', { userIds });
    } catch {
      return; // the worker restarting: the next event asks again
    }
    for (const id of userIds) {
      if (this.wanted.has(id) && seen[id] && 'online' in seen[id]) this.online.add(id);
      else this.online.delete(id);
    }
  }

  /** Follows the worker's events; returns the way to stop. */
  start(): () => void {
    const off = core().on((e) => {
      // Connected again: people whose ask failed meanwhile (offline) are asked now (the known ones cost nothing).
      if (e.type === 'connection' && e.state === 'online') return void (this.wanted.size && this.ask([...this.wanted]));
      if (e.type !== 'presence' || !this.wanted.has(e.userId)) return;
      this.pending.add(e.userId);
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        const ids = [...this.pending];
        this.pending.clear();
        void this.ask(ids);
      }, GATHER_MS);
    });
    return () => {
      off();
      clearTimeout(this.timer);
      this.timer = undefined;
    };
  }
}

/** A list's ListOnline (call while the component is set up): follows the worker while it is mounted. */
export function followListOnline(): ListOnline {
  const list = new ListOnline();
  onMount(() => list.start());
  return list;
}
