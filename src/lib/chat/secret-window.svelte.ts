/** The secret chat's window (see ./window.svelte.ts): rows paged by (time, id) cursors, read receipts, sending text and files. */
import { core, errorMessage } from '$lib/worker/client';
import type { SecretChatView, SecretCursor, SecretMessageView, WorkerEvent } from '$lib/worker/protocol';
import { LIMITS, type Reaction } from '$lib/api/limits';
import { requestBackgroundSync } from '$lib/pwa/sw-client';
import { tick } from 'svelte';
import { CHAT_FIRST_PAGE, CHAT_PAGE as PAGE, CHAT_WINDOW as WINDOW, firstVisibleRow, joinNewer, joinOlder, typingNotifier, unselected } from './chat-ui';
import { quoteFor } from './reply';
import { spliceRows } from './splice';
import { ChatWindow, type OpeningPage } from './window.svelte';
import type { VoiceClip } from './voice-recorder.svelte';
import type { DraftSnapshot } from './draft.svelte';

const cursor = (m: SecretMessageView): SecretCursor => ({ at: m.at, id: m.id });
const MAX_FILE = 25 * 1024 * 1024 - 64;
/** The ids the worker's events named (a plain buffer, never rendered). */
const idBuffer = () => new Set<string>();

export type SecretOpening = { chat: Promise<SecretChatView>; first: Promise<OpeningPage<SecretMessageView>> };

export class SecretWindow extends ChatWindow<SecretMessageView> {
  chat = $state<SecretChatView | null>(null);
  progress = $state<Record<string, number>>({});
  private readonly id: () => string;
  private readObserver: IntersectionObserver | null = null;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a plain buffer of ids to mark read, never rendered
  private readonly seen = new Set<string>();
  private readTimer: ReturnType<typeof setTimeout> | undefined;
  /** The chat the ids in `seen` belong to. */
  private seenIn: string | null = null;
  /** The rows the worker's events named since the last update; null: one event could not say (read all). */
  private changedRows: Set<string> | null = idBuffer();

  constructor(id: () => string) {
    super(250);
    this.id = id;
  }

  override reset() {
    super.reset();
    this.chat = null;
    this.changedRows = idBuffer();
  }

  protected override fromPeer(m: SecretMessageView) {
    return !m.mine && m.kind !== 'service';
  }

  protected older(oldest: SecretMessageView) {
    return core().call('secretMessages', { id: this.id(), before: cursor(oldest), limit: PAGE });
  }

  protected newer(newest: SecretMessageView) {
    return core().call('secretMessages', { id: this.id(), after: cursor(newest), limit: PAGE });
  }

  protected latest() {
    return this.load(true);
  }

  protected readonly kind = 'secret';

  protected override around(messageId: string) {
    return core().call('secretMessagesAround', { id: this.id(), messageId });
  }

  protected chatId() {
    return this.id();
  }

  protected loadDraft = (id: string) => core().call('secretDraft', { id });

  protected saveDraft(id: string, d: DraftSnapshot) {
    return core().call('secretSaveDraft', { id, ...d });
  }

  /**
   * Opens the chat (see ChatWindow.open): at its first unread message, else at its newest rows.
   * `opening`: the chat and that page, asked for by the route's load.
   */
  async enter(opening?: SecretOpening): Promise<void> {
    const id = this.id();
    const [c, page] = await Promise.all(
      opening ? [opening.chat, opening.first] : [core().call('secretChat', { id }), core().call('secretMessagesOpening', { id, limit: CHAT_FIRST_PAGE })]
    );
    this.chat = c;
    await this.open(page);
  }

  /**
   * Reads the chat and the window of messages it shows (see CHAT_WINDOW): the newest rows when `first`
   * (the jump to the newest messages); after that, everything from the window's first row on,
   * so timers and deletions anywhere in it show at once and the window keeps its size unless messages
   * came. Following the newest messages (at the bottom), the window drops its oldest rows beyond
   * CHAT_WINDOW; a flood larger than one read jumps to the newest rows. Scrolled up, it keeps its top
   * and leaves the rest below it.
   */
  async load(first = false): Promise<void> {
    const id = this.id();
    const fresh = first || !this.messages.length;
    const q = fresh ? { id, limit: CHAT_FIRST_PAGE } : { id, from: cursor(this.messages[0]), limit: this.hasNewer ? WINDOW : WINDOW + PAGE };
    const [c, res] = await Promise.all([core().call('secretChat', { id }), core().call('secretMessages', q)]);
    this.chat = c;
    // Where the reader is now, not when the read began: a scroll up meanwhile must not be undone.
    const following = fresh || (this.isNearBottom() && !this.hasNewer);
    if (!fresh && following && res.hasNewer) return this.load(true);
    const next = following ? joinNewer([], res.messages) : joinOlder(res.messages, []);
    await this.keeping(following ? null : firstVisibleRow(this.scroller), () => {
      this.messages = next.rows;
      this.hasMore = res.hasMore || (following && next.trimmed);
      this.hasNewer = res.hasNewer || (!following && next.trimmed);
    });
    if (following) this.scrollToBottom();
    this.fillCheck();
  }

  /**
   * After the worker's events: only the rows they named are read and spliced into the window (see
   * ./splice.ts), with the chat itself (status, timer, verification). An event that could not say
   * which rows (a clear, many changes), or an empty window, reads the whole window again (load).
   */
  async update(): Promise<void> {
    const ids = this.changedRows;
    this.changedRows = idBuffer();
    if (!ids || !this.messages.length || ids.size > PAGE) return this.load();
    // A reply quoting a changed row (an edit) is read again with it: its quote shows the new snippet.
    for (const m of this.messages) if (m.quote && ids.has(m.quote.id)) ids.add(m.id);
    const id = this.id();
    const [c, fresh] = await Promise.all([core().call('secretChat', { id }), ids.size ? core().call('secretRows', { id, ids: [...ids] }) : []]).catch((e: unknown) => {
      this.changedRows = null; // those rows are still to be read: the next update reads the window
      throw e;
    });
    if (id !== this.id()) return;
    this.chat = c;
    if (!ids.size) return;
    const following = this.isNearBottom() && !this.hasNewer;
    const spliced = spliceRows(this.messages, [...ids], fresh, this);
    // As load() does: following the newest rows, the oldest go beyond CHAT_WINDOW; scrolled up, the top stays.
    const next = following ? joinNewer([], spliced.rows) : joinOlder(spliced.rows, []);
    await this.keeping(following ? null : firstVisibleRow(this.scroller), () => {
      this.messages = next.rows;
      if (next.trimmed && following) this.hasMore = true;
      if (next.trimmed && !following) this.hasNewer = true;
    });
    if (following) this.scrollToBottom();
    this.fillCheck();
  }

  protected onEvent(e: WorkerEvent) {
    const id = this.id();
    if (e.type === 'secret' && e.chatId === id) {
      if (this.changedRows && e.rows) for (const r of e.rows) this.changedRows.add(r);
      else this.changedRows = null;
      void this.ops.refresh(() => this.update()).catch(() => {});
    }
    if (e.type === 'typing' && e.chatId === id) this.typing();
    if (e.type === 'progress') this.progress = { ...this.progress, [e.id]: e.total ? e.loaded / e.total : 0 };
  }

  // The peer's two ticks (and, with a timer, the countdown) start when a message is really on screen.
  observeRead = (node: HTMLElement, messageId: string | null) => {
    if (!messageId) return {};
    node.dataset.readId = messageId;
    this.readObserver?.observe(node);
    return { destroy: () => this.readObserver?.unobserve(node) };
  };

  private reportRead() {
    if (document.visibilityState !== 'visible') return;
    const ids = [...this.seen];
    if (!ids.length) return;
    this.seen.clear();
    const chat = this.seenIn ?? this.id();
    void core()
      .call('secretRead', { id: chat, ids })
      .catch(() => ids.forEach((i) => this.seen.add(i)));
  }

  /** A photo with a short timer, opened: its timer starts now. */
  opened = (messageId: string) =>
    void core()
      .call('secretRead', { id: this.id(), ids: [messageId] })
      .catch(() => {});

  override start() {
    this.readObserver = new IntersectionObserver(
      (entries) => {
        // The chat they were seen in: a report sent while leaving it must not name the next one.
        if (this.seenIn !== this.id()) this.reportRead();
        this.seenIn = this.id();
        for (const en of entries) if (en.isIntersecting) this.seen.add((en.target as HTMLElement).dataset.readId!);
        clearTimeout(this.readTimer);
        this.readTimer = setTimeout(() => this.reportRead(), 100);
      },
      { threshold: 0.6 }
    );
    const onVisible = () => {
      if (document.visibilityState === 'visible') {
        // Re-observe: what is on screen now counts as seen.
        this.readObserver?.takeRecords();
        for (const el of document.querySelectorAll<HTMLElement>('[data-read-id]')) {
          this.readObserver?.unobserve(el);
          this.readObserver?.observe(el);
        }
      }
    };
    document.addEventListener('visibilitychange', onVisible);
    const stop = super.start();
    // Best effort: a browser only tells us about the PrintScreen key on desktop; nothing else is detectable.
    const onKeyUp = (e: KeyboardEvent) => {
      if (e.key === 'PrintScreen' && this.chat?.status === 'active')
        void core()
          .call('secretScreenshot', { id: this.id() })
          .catch(() => {});
    };
    window.addEventListener('keyup', onKeyUp);
    return () => {
      stop();
      window.removeEventListener('keyup', onKeyUp);
      // What was on screen just before leaving was seen: report it now rather than drop it.
      clearTimeout(this.readTimer);
      this.reportRead();
      document.removeEventListener('visibilitychange', onVisible);
      this.readObserver?.disconnect();
    };
  }

  /** Runs a chat action, showing what it failed with. */
  act = async (fn: () => Promise<unknown>) => {
    this.actionError = null;
    try {
      await fn();
    } catch (e) {
      this.actionError = errorMessage(e);
    }
  };

  send = async (e?: Event) => {
    e?.preventDefault();
    const text = this.draft.trim();
    if (!text) return;
    this.draft = '';
    this.onInput.reset();
    const original = this.actions.replyingTo;
    this.actions.replyingTo = null;
    // The worker deletes the draft with the message stored; this keeps the keeper in step (a failed send puts the text back, saved again).
    void this.drafts.flush();
    await this.act(async () => {
      try {
        await core().call('secretSend', {
          id: this.id(),
          text,
          ...(original ? { replyTo: original.id, quote: quoteFor(original, original.file, original.ttl > 0) } : {})
        });
        // Asked on every send: app.connection can still say 'online' while the browser is offline.
        // Should it wait, the service worker sends it when the network returns, even with this tab closed.
        void requestBackgroundSync();
      } catch (err) {
        this.draft = text;
        this.actions.replyingTo ??= original;
        throw err;
      }
      await tick();
      await this.toLatest();
    });
  };

  /** A file picked: sent at once, with the draft as its caption. */
  sendFile = async (f: File) => {
    if (f.size > MAX_FILE) {
      this.actionError = 'Files up to 25 MB can be sent in a secret chat.';
      return;
    }
    const caption = this.draft.trim();
    this.draft = '';
    await this.act(async () => {
      await core().call('secretSendFile', { id: this.id(), name: f.name, mime: f.type, bytes: await f.arrayBuffer(), caption });
      void requestBackgroundSync();
      await this.toLatest();
    });
  };

  /** A recorded voice message: sent like any attachment, with its duration and waveform. */
  sendVoice = (clip: VoiceClip) =>
    this.act(async () => {
      if (clip.blob.size > MAX_FILE) throw new Error('This recording is too long to send.');
      await core().call('secretSendFile', { id: this.id(), name: clip.name, mime: clip.mime, bytes: await clip.blob.arrayBuffer(), voice: clip.voice });
      void requestBackgroundSync();
      await tick();
      await this.toLatest();
    });

  onInput = typingNotifier(() => core().call('secretTyping', { id: this.id() }));

  /**
   * Edit: a text of mine, or a file's caption (a voice message has none), without a timer, in an active
   * chat, for 48 h after it was sent (the worker checks again). A failed row was never delivered:
   * nothing to edit on the peer's side.
   */
  editable(m: SecretMessageView): boolean {
    return (
      m.mine && m.kind === 'text' && !m.file?.voice && m.ttl === 0 && m.ticks !== 'failed' && this.chat?.status === 'active' && Date.now() - m.at < LIMITS.editWindowMs
    );
  }

  protected hasFile(m: SecretMessageView): boolean {
    return !!m.file;
  }

  protected async edit(m: SecretMessageView, text: string) {
    await core().call('secretEdit', { id: this.id(), msg: m.id, text });
    void requestBackgroundSync();
  }

  /** A reaction: a message (not a notice, nor a placeholder), sent (not sending nor failed), in an active chat; timed ones too. */
  reactable(m: SecretMessageView): boolean {
    return m.kind === 'text' && m.ticks !== 'pending' && m.ticks !== 'failed' && this.chat?.status === 'active';
  }

  protected async setReaction(m: SecretMessageView, emoji: Reaction | '') {
    await core().call('secretReact', { id: this.id(), msg: m.id, emoji });
    void requestBackgroundSync();
  }

  deleteSelected = () => this.deleteFor([...this.selected], true);

  deleteFor(ids: string[], everyone: boolean) {
    return this.act(async () => {
      await core().call(everyone ? 'secretDelete' : 'secretDeleteForMe', { id: this.id(), ids });
      this.selected = unselected(this.selected, ids);
    });
  }
}
