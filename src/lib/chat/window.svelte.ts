/**
 * A chat screen's window over its stored history (see CHAT_WINDOW in ./chat-ui), shared by the cloud
 * chat and the secret chat: the rows shown, paging older and newer pages as the reader scrolls, the
 * jump back to the newest messages, the peer's "typing…", the composer's draft kept per chat
 * (./draft.svelte.ts) and the worker's events for this chat.
 * A subclass says what differs: which worker methods read a page, how the window is refreshed, and
 * which events concern it (./cloud-window.svelte.ts, ./secret-window.svelte.ts).
 */
import { tick, untrack } from 'svelte';
import { core, errorMessage } from '$lib/worker/client';
import type { ReactionsView, WorkerEvent } from '$lib/worker/protocol';
import type { Reaction } from '$lib/api/limits';
import { beforeReload } from '$lib/pwa/reload-guard';
import { MessageActions } from './actions.svelte';
import { DraftKeeper, type DraftIO, type DraftSnapshot } from './draft.svelte';
import { AT_BOTTOM, fromBottom, isSendKey, joinNewer, joinOlder, keepingRow, scrollNeeds, toggled, windowQueue } from './chat-ui';

/** Space (px) left above the "Unread messages" divider when a chat opens at it. */
const UNREAD_MARGIN = 8;

/** A row's text (both chats' rows have one). */
const textOf = (m: { id: string }): string => (m as { text?: string }).text ?? '';

export type OlderPage<M> = { messages: M[]; hasMore: boolean };
export type NewerPage<M> = { messages: M[]; hasNewer: boolean };
export type AroundPage<M> = { messages: M[]; hasMore: boolean; hasNewer: boolean };
/** The page a chat opens at (the worker's messagesOpening): around its first unread message, or the newest rows (`unreadFrom` null). */
export type OpeningPage<M> = AroundPage<M> & { unreadFrom: string | null };

export abstract class ChatWindow<M extends { id: string }> {
  messages = $state<M[]>([]);
  hasMore = $state(false);
  /** The window shows older history and stops short of the newest messages (scrolled far back). */
  hasNewer = $state(false);
  loadingOlder = $state(false);
  awayFromBottom = $state(false);
  scroller = $state<HTMLDivElement | undefined>();
  /**
   * The first unread message when the chat opened: the "Unread messages" divider stays above it while
   * the chat is open (reading, or new messages, do not move it); the next opening places it afresh.
   */
  unreadFrom = $state<string | null>(null);
  #draft = $state('');
  /** The composer's text: each change is kept as the chat's draft (`drafts`). */
  get draft(): string {
    return this.#draft;
  }
  set draft(text: string) {
    this.#draft = text;
    // An edit's text is not the chat's draft (the draft waits in `beforeEdit`).
    if (!this.editing) this.drafts.changed();
  }
  /** The message whose text the composer is editing (null: writing a new one). */
  editing = $state<M | null>(null);
  /** What the composer held when the edit began: the chat's draft, back when the edit ends. */
  private beforeEdit: { text: string; replyTo: M | null } | null = null;
  /** What the last send or action failed with, shown to the user. */
  actionError = $state<string | null>(null);
  /** The rows picked for "Delete for both". */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- the selection is replaced, never mutated (see toggled)
  selected = $state<Set<string>>(new Set());
  typingUntil = $state(0);
  /** The peer's newest message shown when "typing…" came: one after it is the typed message arriving. */
  private typingAfter = $state<string | undefined>(undefined);
  now = $state(Date.now());
  /**
   * "typing…" for 5 s after the peer's last typing signal, ending the moment a newer message of the
   * peer's shows in the window: derived from the rows, so it goes in the same update as the bubble.
   */
  readonly peerTyping = $derived(this.typingUntil > this.now && this.lastFromPeer() === this.typingAfter);
  /** The window's loads, one at a time (windowQueue). */
  readonly ops = windowQueue();
  /** Reply, copy, delete (after asking), the jump to a quoted message (./actions.svelte.ts). */
  readonly actions: MessageActions<M> = new MessageActions<M>(this);
  /** The composer's text and reply target, saved per chat by the worker and restored when it opens. */
  readonly drafts: DraftKeeper<M> = new DraftKeeper<M>(
    { load: (chat) => this.loadDraft(chat), save: (chat, d) => this.saveDraft(chat, d) },
    () =>
      this.beforeEdit ? { text: this.beforeEdit.text, replyTo: this.beforeEdit.replyTo?.id ?? null } : { text: this.draft, replyTo: this.actions.replyingTo?.id ?? null },
    (text, replyTo) => {
      // Read while an edit began: it is what the edit gives back.
      if (this.beforeEdit) return void (this.beforeEdit = { text, replyTo });
      this.draft = text;
      this.actions.replyingTo = replyTo;
    }
  );

  /**
   * The reader was at the bottom at the last scroll: when the rows or the list's viewport change size
   * (a photo decoding, a new row, the composer or attach panel growing) the newest row stays in view.
   */
  private pinned = true;

  /** How often (ms) `now` moves on, for the typing indicator and countdowns. */
  private readonly clock: number;

  constructor(clock: number) {
    this.clock = clock;
  }

  /** An older page above `oldest`. */
  protected abstract older(oldest: M): Promise<OlderPage<M>>;
  /** A newer page below `newest`. */
  protected abstract newer(newest: M): Promise<NewerPage<M>>;
  /** Replaces the window with the newest page (the chat scrolled far back jumps to its end). */
  protected abstract latest(): Promise<void>;
  /** The rows around message `id` (it included), wherever it is in the history; null when it is not stored (or the window cannot say). */
  protected around(_id: string): Promise<AroundPage<M> | null> {
    return Promise.resolve(null);
  }
  /** A worker event: refresh the window, the peer typing, progress. */
  protected abstract onEvent(e: WorkerEvent): void;
  /** The chat shown (its route id). */
  protected abstract chatId(): string;
  /** Which chats' `draft` events are this window's (a cloud chat's peer id or a secret chat's id). */
  protected abstract readonly kind: 'cloud' | 'secret';
  /** The worker's methods for a chat's draft. */
  protected abstract loadDraft: DraftIO<M>['load'];
  protected abstract saveDraft(chat: string, draft: DraftSnapshot): Promise<unknown>;
  /** The rows a page is asked from (a cloud row not stored yet has no place in the history). */
  protected paged(_m: M): boolean {
    return true;
  }
  /** A message the peer wrote (not mine, not a service notice): it ends the peer's "typing…". */
  protected fromPeer(_m: M): boolean {
    return false;
  }

  private lastFromPeer(): string | undefined {
    return this.messages.findLast((m) => this.fromPeer(m))?.id;
  }

  toggle = (m: M) => (this.selected = toggled(this.selected, m.id));

  /** The reply target changed (actions): kept with the draft. */
  replyChanged() {
    if (!this.editing) this.drafts.changed();
  }

  /** Whether message `m` offers Edit now (mine, a text or an untimed file's caption, within 48 h, …): none by default. */
  editable(_m: M): boolean {
    return false;
  }
  /** Whether `m` carries a file: its text is a caption, which an edit may empty. */
  protected hasFile(_m: M): boolean {
    return false;
  }
  /** Whether the composer's Save may store an empty text now: the edit of a file's caption. */
  get mayBeEmpty(): boolean {
    return !!this.editing && this.hasFile(this.editing);
  }
  /** Stores the new text of `m` (here and on the peer's side); throws what it failed with. */
  protected async edit(_m: M, _text: string): Promise<void> {
    throw new Error('Messages cannot be edited here.');
  }

  /** Whether message `m` takes a reaction now (a message, not a notice; sent, not sending or failed): none by default. */
  reactable(_m: M): boolean {
    return false;
  }
  /** Stores my reaction to `m` ('' removes it), here and on the peer's side; throws what it failed with. */
  protected async setReaction(_m: M, _emoji: Reaction | ''): Promise<void> {
    throw new Error('Messages cannot take reactions here.');
  }

  /**
   * Picks `emoji` as my reaction to `m` (the menu's quick reactions, a chip under the bubble): the one
   * already mine removes it, another replaces it (one per person). The row shows it when the worker's
   * event has it re-read.
   */
  react = async (m: M, emoji: Reaction) => {
    if (!this.reactable(m)) return;
    const mine = (m as { reactions?: ReactionsView }).reactions?.mine;
    try {
      await this.setReaction(m, mine === emoji ? '' : emoji);
    } catch (err) {
      this.actions.say(errorMessage(err));
    }
  };

  /** Edit: the message's text goes into the composer; the draft (and reply) wait until the edit ends. */
  startEdit(m: M) {
    if (!this.editable(m)) return;
    if (this.editing) this.endEdit();
    this.beforeEdit = { text: this.#draft, replyTo: this.actions.replyingTo };
    this.editing = m;
    this.actions.replyingTo = null;
    this.#draft = textOf(m);
    this.actionError = null;
    void tick().then(() => document.getElementById('composer')?.focus());
  }

  /** Leaves edit mode (× or Escape, or once saved): the composer holds what it held before. */
  endEdit = () => {
    const back = this.beforeEdit;
    if (!this.editing || !back) return;
    this.editing = null;
    this.beforeEdit = null;
    this.#draft = back.text;
    this.actions.replyingTo = back.replyTo;
  };

  /** The composer's Save while editing: a blank text is refused (a file's caption may go), an unchanged one just ends the edit. */
  saveEdit = async (e?: Event) => {
    e?.preventDefault();
    const m = this.editing;
    if (!m) return;
    const text = this.#draft.trim();
    if (!text && !this.hasFile(m)) return void (this.actionError = 'A message cannot be empty.');
    if (text === textOf(m)) return this.endEdit();
    this.actionError = null;
    try {
      await this.edit(m, text);
      // The edit may have been left meanwhile (another one begun): only this one ends.
      if (this.editing === m) this.endEdit();
    } catch (err) {
      this.actionError = errorMessage(err);
    }
  };

  /** The form's submit: sends, or saves the edit. */
  submit = (e?: Event) => (this.editing ? this.saveEdit(e) : this.send(e));

  /** Empties the window (another chat opens): the last chat's draft is saved, this one's restored. */
  reset() {
    // Untracked: a page's effect calls this when its chat changes, and must not rerun when the draft does.
    untrack(() => {
      this.endEdit();
      void this.drafts.close();
      this.draft = '';
      this.actions.replyingTo = null;
      void this.drafts.open(this.chatId());
    });
    this.messages = [];
    // A selection belongs to its chat: kept, "Delete" would act on the next chat's peer.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced, never mutated (see `selected`)
    this.selected = new Set();
    this.hasMore = this.hasNewer = false;
    this.unreadFrom = null;
    this.pinned = true;
  }

  private resizes: ResizeObserver | null = null;

  /**
   * On the scroller and on the list of rows: whenever one changes size while the reader is at the
   * bottom, scrolls back to the bottom, so the newest message stays fully in view.
   */
  follow = (node: HTMLElement) => {
    this.resizes ??= new ResizeObserver(() => {
      if (this.pinned && !this.hasNewer) this.scrollToBottom();
    });
    this.resizes.observe(node);
    return { destroy: () => this.resizes?.unobserve(node) };
  };

  /** Runs `change`, keeping row `id` where it is on screen (null: no row to keep). */
  protected keeping(id: string | null, change: () => void) {
    return keepingRow(this.scroller, id, change, tick);
  }

  /** Enter sends (see isSendKey). */
  abstract send: (e?: Event) => Promise<void>;

  /** "Delete for both" the rows selected. */
  abstract deleteSelected: () => Promise<void>;
  /** Deletes `ids` for me only, or for both (everyone); shows what it failed with. Asked first (actions.askDelete). */
  abstract deleteFor(ids: string[], everyone: boolean): Promise<void>;
  /** Typing in the field: tells the peer (at most every 3 s, see typingNotifier). */
  abstract onInput: () => void;

  /** The composer's input: the peer hears "typing…" only for a new message, not while I edit a sent one. */
  typed = () => {
    if (!this.editing) this.onInput();
  };

  onKeydown = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && this.editing) {
      e.preventDefault();
      this.endEdit();
    } else if (isSendKey(e)) void this.submit(e);
  };

  isNearBottom = () => fromBottom(this.scroller) < AT_BOTTOM;

  scrollToBottom = () => {
    if (this.scroller) this.scroller.scrollTop = this.scroller.scrollHeight;
  };

  loadOlder = async () => {
    const oldest = this.messages.find((m) => this.paged(m));
    if (!this.hasMore || !oldest) return;
    // The hint goes in the same update as the page, so keeping() accounts for both.
    this.loadingOlder = true;
    const res = await this.older(oldest).finally(() => (this.loadingOlder = false));
    await this.keeping(oldest.id, () => {
      const next = joinOlder(res.messages, this.messages);
      if (next.trimmed) this.hasNewer = true;
      this.messages = next.rows;
      this.hasMore = res.hasMore;
    });
    this.fillCheck();
  };

  loadNewer = async () => {
    const newest = this.messages.findLast((m) => this.paged(m));
    if (!this.hasNewer || !newest) return;
    const res = await this.newer(newest);
    // Rows now come below the reader, who stays where they were (keeping): no longer at the bottom, so
    // follow()'s resize must not pull the list down to the new end (the next scroll says again).
    this.pinned = false;
    await this.keeping(newest.id, () => {
      const next = joinNewer(this.messages, res.messages);
      if (next.trimmed) this.hasMore = true;
      this.messages = next.rows;
      this.hasNewer = res.hasNewer;
    });
  };

  /**
   * Re-centres the window on message `id` (a search result, a quote's original far back): the rows
   * around it replace the window, however far it is from them. False when it is not stored. Run it
   * in `ops`, like every load.
   */
  showAround = async (id: string): Promise<boolean> => {
    const res = await this.around(id);
    if (!res?.messages.some((m) => m.id === id)) return false;
    // Away from the newest rows: follow() must not pull the list to the end.
    this.pinned = false;
    this.messages = res.messages;
    this.hasMore = res.hasMore;
    this.hasNewer = res.hasNewer;
    await tick();
    return true;
  };

  /**
   * Shows the page the chat opens at: with unread messages, the divider above the first one near the
   * top of the screen, so only what fits below it is on screen (and read); else the newest rows at the
   * bottom. Run it in `ops`, like every load.
   */
  open = async (page: OpeningPage<M>) => {
    const from = page.unreadFrom && page.messages.some((m) => m.id === page.unreadFrom) ? page.unreadFrom : null;
    // Away from the bottom: follow() must not pull the list (and the reader's eyes) to the newest rows.
    this.pinned = !from;
    this.unreadFrom = from;
    this.messages = page.messages;
    this.hasMore = page.hasMore;
    this.hasNewer = page.hasNewer;
    await tick();
    if (from) this.scrollToUnread();
    else this.scrollToBottom();
    // Few unread (the list could not scroll the divider up to the top): at the bottom, following as ever.
    if (from) this.pinned = !this.hasNewer && this.isNearBottom();
    this.fillCheck();
  };

  /** Once the chat is open: the message the chat list's search found (the route's `?m=`), scrolled to and highlighted. */
  showFound = async (id: string | null) => {
    if (id) await this.actions.jumpTo(id, { gone: 'This message is no longer available' });
  };

  /** Scrolls the divider (else the first unread row) to just below the top edge. */
  private scrollToUnread() {
    const s = this.scroller;
    const el =
      s?.querySelector<HTMLElement>('[data-unread-divider]') ??
      (this.unreadFrom ? s?.querySelector<HTMLElement>(`[data-row-id="${CSS.escape(this.unreadFrom)}"]`) : null);
    if (s && el) s.scrollTop += el.getBoundingClientRect().top - s.getBoundingClientRect().top - UNREAD_MARGIN;
  }

  /** The "newest messages" button (or a send while scrolled far back): straight back to the end. */
  toLatest = () =>
    this.ops.run(async () => {
      if (this.hasNewer) await this.latest();
      else this.scrollToBottom();
      this.awayFromBottom = false;
    });

  onScroll = () => {
    if (!this.scroller) return;
    const need = scrollNeeds(this.scroller, this.hasNewer);
    this.pinned = need.atBottom;
    this.awayFromBottom = need.away;
    if (need.older && this.hasMore) this.ops.once('older', this.loadOlder);
    if (need.newer) this.ops.once('newer', this.loadNewer);
  };

  /** After a load: rows that do not reach above the top edge (a tall screen, short messages) cannot be scrolled to ask for more, so ask now. */
  fillCheck = () => requestAnimationFrame(this.onScroll);

  /** The peer is typing: "typing…" for the next 5 s. */
  protected typing() {
    this.typingAfter = this.lastFromPeer();
    this.typingUntil = Date.now() + 5000;
  }

  /** Follows the clock and the worker's events while the screen is shown; returns the way to stop. */
  start(): () => void {
    const clock = setInterval(() => (this.now = Date.now()), this.clock);
    const off = core().on((e) => {
      // Another tab stored or deleted this chat's draft (or this one's save came back): see DraftKeeper.external.
      if (e.type === 'draft' && e.kind === this.kind) void this.drafts.external(e.chat);
      this.onEvent(e);
    });
    // Hidden (another app, the phone's home screen, which may then end the app), left or updating: saved now.
    const onHidden = () => document.visibilityState === 'hidden' && void this.drafts.flush();
    document.addEventListener('visibilitychange', onHidden);
    const offReload = beforeReload(() => this.drafts.flush());
    const offLeave = core().onLeave(() => this.drafts.flush());
    return () => {
      off();
      offLeave();
      clearInterval(clock);
      document.removeEventListener('visibilitychange', onHidden);
      offReload();
      void this.drafts.close();
    };
  }
}
