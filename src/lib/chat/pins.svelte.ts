/**
 * The open chat's pinned messages (Telegram's pinned bar): the worker's list, newest pin first, read
 * again whenever the worker says the chat changed (a pin or unpin from either side arrives as such a
 * change), and the pin shown in the bar. A click jumps to the shown one (however far back: the
 * window's jumpTo) and then shows the next older, wrapping round to the newest.
 */
import { core, errorMessage } from '$lib/worker/client';
import type { PinnedView } from '$lib/worker/protocol';
import type { ChatWindow } from './window.svelte';

export type PinTarget = { kind: 'cloud' | 'secret'; id: string };

export class ChatPins<M extends { id: string; text: string; mine: boolean }> {
  pins = $state<PinnedView[]>([]);
  /** Which pin the bar shows: 0 is the newest. */
  shown = $state(0);
  /** Reads answered after a newer one began are dropped (a chat switch, two changes in a row). */
  private reads = 0;

  constructor(
    private readonly target: () => PinTarget,
    private readonly win: ChatWindow<M>
  ) {}

  /** The pin the bar shows, and its place counted from the oldest ("Pinned message 2 of 3"). */
  get current(): { pin: PinnedView; number: number } | null {
    const pin = this.pins[this.shown] ?? this.pins[0];
    return pin ? { pin, number: this.pins.length - this.pins.indexOf(pin) } : null;
  }

  isPinned = (id: string) => this.pins.some((p) => p.id === id);

  /** A message the menu may offer to pin: as a reaction, one the peer has too (not sending, not failed). */
  can = (m: M) => this.win.reactable(m);

  load = async () => {
    const read = ++this.reads;
    const target = this.target();
    try {
      const pins = await core().call('pinnedMessages', target);
      if (read !== this.reads) return;
      const was = this.pins[this.shown]?.id;
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup of the ids shown before, never rendered
      const known = new Set(this.pins.map((p) => p.id));
      this.pins = pins;
      // A new pin (from either side) is what the bar shows, as in Telegram; otherwise the shown pin
      // stays shown while it is pinned, else the newest.
      const fresh = pins.findIndex((p) => !known.has(p.id));
      const i = pins.findIndex((p) => p.id === was);
      this.shown = fresh >= 0 ? fresh : i >= 0 ? i : 0;
    } catch {
      // The bar keeps what it had (a locked vault, the worker restarting): the next change reads again.
    }
  };

  /** Pins or unpins message `id` for both sides (a cloud chat's offline too: queued); a refusal (the limit) is said in the window's notice. */
  toggle = async (id: string, pinned: boolean) => {
    try {
      await core().call('pinMessage', { ...this.target(), msg: id, pinned });
      await this.load();
    } catch (e) {
      this.win.actions.say(errorMessage(e));
    }
  };

  /** The bar clicked: jump to the pin shown, then show the next older one. */
  next = async () => {
    const cur = this.current;
    if (!cur) return;
    this.shown = (this.pins.indexOf(cur.pin) + 1) % this.pins.length;
    await this.win.actions.jumpTo(cur.pin.id, { focus: false, gone: 'This message is no longer available' });
  };

  /**
   * Follows the worker's events for the chat while the screen is shown; returns the way to stop. The
   * first read is `show`'s, which the screen calls for each chat it shows (the first one too).
   */
  start(): () => void {
    return core().on((e) => {
      const { kind, id } = this.target();
      if ((kind === 'cloud' && e.type === 'messages' && e.peerId === id) || (kind === 'secret' && e.type === 'secret' && e.chatId === id)) void this.load();
    });
  }

  /** A chat shown (the screen's first, or another in the same screen): its pins read, nothing of the last one's shown meanwhile. */
  show = () => {
    this.reads++;
    this.pins = [];
    this.shown = 0;
    return this.load();
  };
}
