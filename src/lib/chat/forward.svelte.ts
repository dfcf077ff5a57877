/**
 * Forward (cloud chats only): the messages waiting for a target chat while `ForwardDialog` is open, and
 * the forward itself through the worker (the relay copies them; offline, the worker queues it and the
 * copies show as pending in the chat opened). A secret chat has none of this: its screen never creates
 * one, so neither its menu nor its selection bar offers Forward.
 */
import { tick } from 'svelte';
import { core, errorMessage } from '$lib/worker/client';
import type { ChatView } from '$lib/worker/protocol';

export class Forwarding {
  /** The messages to forward (null: no dialog). */
  ids = $state<string[] | null>(null);
  /** A forward is on its way: the dialog's choices wait. */
  busy = $state(false);
  /** Why the last forward was refused (the dialog stays open: nothing was lost, it can be tried again). */
  error = $state<string | null>(null);
  /** What gets the focus back when the dialog closes without forwarding. */
  private returnTo: HTMLElement | null = null;

  constructor(
    private readonly fromPeerId: () => string,
    /** The forward is done: the page opens the target chat (and ends a selection). */
    private readonly done: (toPeerId: string) => void | Promise<void>
  ) {}

  /** Opens the dialog for `ids`; `opener` (or what has the focus) gets it back on Cancel. */
  ask(ids: string[], opener: HTMLElement | null = null) {
    this.returnTo = opener ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
    this.error = null;
    this.ids = ids;
  }

  /** Cancel, Escape: nothing is forwarded. */
  cancel = async () => {
    if (this.busy) return;
    this.ids = null;
    const back = this.returnTo;
    this.returnTo = null;
    await tick();
    if (back?.isConnected) back.focus();
  };

  /** Forwards to `chat` and opens it (offline too: queued); a refusal is said in the dialog, which stays. */
  to = async (chat: Pick<ChatView, 'kind' | 'id'>) => {
    const ids = this.ids;
    if (!ids || this.busy || chat.kind !== 'cloud') return;
    this.busy = true;
    this.error = null;
    try {
      // A plain copy: the state's proxy cannot be posted to the worker.
      await core().call('forwardMessages', { fromPeerId: this.fromPeerId(), toPeerId: chat.id, ids: [...ids] });
    } catch (e) {
      this.error = `Not forwarded: ${errorMessage(e)}`;
      return;
    } finally {
      this.busy = false;
    }
    this.ids = null;
    this.returnTo = null;
    await this.done(chat.id);
  };
}
