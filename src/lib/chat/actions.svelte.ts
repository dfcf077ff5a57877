/**
 * What a chat screen does with one message (or the selection): the message menu (opened by its menu
 * button, a right click or a long press), Edit (a sent text of mine, see ChatWindow.editable), Reply (the composer's quote until sent or cancelled), Copy
 * text, the Delete confirmation, and the jump from a reply's quote to its original. One per window
 * (ChatWindow.actions); the screen's pieces are MessageActions, ActionsButton, ReplyBar and ReplyQuote.
 */
import { tick } from 'svelte';
import { copyText } from './clipboard';

/** What the window does for its actions. */
export interface ActionsHost<M extends { id: string }> {
  messages: M[];
  hasMore: boolean;
  scroller: HTMLDivElement | undefined;
  loadOlder: () => Promise<void>;
  /** Re-centres the window on a stored message, however far back (false: not stored). */
  showAround: (id: string) => Promise<boolean>;
  ops: { run<T>(fn: () => Promise<T>): Promise<T> };
  /** Deletes for me only, or for both / for everyone; then the rows go at the window's refresh. */
  deleteFor(ids: string[], everyone: boolean): Promise<void>;
  /** The reply target changed (kept with the draft). */
  replyChanged?(): void;
  /** Edit: the message's text into the composer, and back out (the window's edit mode). */
  startEdit(m: M): void;
  endEdit(): void;
}

/** How many older pages a jump loads at most, past what this device stores (a cloud chat's older history), before saying it is gone. */
const JUMP_PAGES = 10;
/** How long the message jumped to stays highlighted (ms). */
const HIGHLIGHT_MS = 2000;

const rowOf = (scroller: HTMLElement | undefined, id: string) => scroller?.querySelector<HTMLElement>(`[data-row-id="${CSS.escape(id)}"]`) ?? null;

export class MessageActions<M extends { id: string }> {
  /** The open message menu: for which message, where (viewport px), and what to refocus on close. */
  menu = $state<{ id: string; x: number; y: number; opener: HTMLElement | null } | null>(null);
  #replyingTo = $state<M | null>(null);
  /** The message the composer replies to (shown above it until sent or cancelled; kept with the draft). */
  get replyingTo(): M | null {
    return this.#replyingTo;
  }
  set replyingTo(m: M | null) {
    this.#replyingTo = m;
    this.host.replyChanged?.();
  }
  /** The messages waiting for the Delete confirmation (null: no dialog). */
  deleting = $state<string[] | null>(null);
  /** A short notice for the live region ("Copied", "…no longer available"). */
  notice = $state('');
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  /** What gets the focus back when the Delete dialog closes. */
  private returnTo: HTMLElement | null = null;
  private readonly host: ActionsHost<M>;

  constructor(host: ActionsHost<M>) {
    this.host = host;
  }

  /** Opens the menu of message `id` at a point (a right click, a long press). */
  openAt(id: string, x: number, y: number, opener: HTMLElement | null) {
    this.menu = { id, x, y, opener };
  }

  /** Opens the menu of message `id` below its menu button. */
  openFrom(id: string, button: HTMLElement) {
    if (this.menu?.id === id) return this.close();
    const r = button.getBoundingClientRect();
    this.openAt(id, r.right, r.bottom, button);
  }

  /** Closes the menu; `refocus` puts the focus back on what opened it (Escape, a choice made). */
  close(refocus = false) {
    const opener = this.menu?.opener;
    this.menu = null;
    if (refocus && opener?.isConnected) opener.focus();
  }

  /** The message the menu is open for, if it is still in the window. */
  get target(): M | null {
    const id = this.menu?.id;
    return id ? (this.host.messages.find((m) => m.id === id) ?? null) : null;
  }

  reply(m: M) {
    this.close();
    // A reply is a new message: an edit under way ends first (the draft comes back, then the reply).
    this.host.endEdit();
    this.replyingTo = m;
    void tick().then(() => document.getElementById('composer')?.focus());
  }

  /** The menu's Edit. */
  edit(m: M) {
    this.close();
    this.host.startEdit(m);
  }

  cancelReply = () => {
    this.replyingTo = null;
    document.getElementById('composer')?.focus();
  };

  async copy(text: string) {
    this.close(true);
    this.say((await copyText(text)) ? 'Copied to clipboard' : 'Could not copy the text');
  }

  /** Asks before deleting `ids` (the menu's Delete, the selection's). */
  askDelete(ids: string[]) {
    this.returnTo = this.menu?.opener ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
    this.menu = null;
    this.deleting = ids;
  }

  /** The dialog's answer: 'me', 'everyone' (for both), or null (Cancel, Escape): nothing is deleted. */
  async endDelete(choice: 'me' | 'everyone' | null): Promise<boolean> {
    const ids = this.deleting;
    this.deleting = null;
    const back = this.returnTo;
    this.returnTo = null;
    await tick();
    if (back?.isConnected) back.focus();
    if (!ids || !choice) return false;
    // A plain copy: the state's proxy cannot be posted to the worker.
    await this.host.deleteFor($state.snapshot(ids), choice === 'everyone');
    if (this.replyingTo && ids.includes(this.replyingTo.id)) this.replyingTo = null;
    return true;
  }

  /**
   * Scrolls to message `id` and highlights it briefly: a reply quote's original (tapped), a search
   * result. One not in the window is read with the rows around it, however far back (showAround);
   * one this device does not store is paged in from older history (at most JUMP_PAGES pages); one
   * that is gone (deleted, expired) is said so. `focus`: its menu button takes the focus (not while
   * the reader types in the search field).
   */
  jumpTo = async (id: string, { focus = true, gone = 'The original message is no longer available' } = {}) => {
    const has = () => this.host.messages.some((m) => m.id === id);
    if (!has()) await this.host.ops.run(() => this.host.showAround(id));
    for (let i = 0; !has() && this.host.hasMore && i < JUMP_PAGES; i++) await this.host.ops.run(this.host.loadOlder);
    await tick();
    const row = has() ? rowOf(this.host.scroller, id) : null;
    if (!row) return this.say(gone);
    row.scrollIntoView({ block: 'center' });
    row.dataset.highlight = '';
    setTimeout(() => delete row.dataset.highlight, HIGHLIGHT_MS);
    if (focus) row.querySelector<HTMLElement>('.msg-actions')?.focus({ preventScroll: true });
  };

  say(text: string) {
    this.notice = text;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => (this.notice = ''), 4000);
  }
}
