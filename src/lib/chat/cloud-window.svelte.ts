/** The cloud chat's window (see ./window.svelte.ts): rows paged by seq, read receipts, sending text, files (./cloud-attach.svelte.ts) and voice. */
import { tick } from 'svelte';
import { core, errorMessage } from '$lib/worker/client';
import type { MessageView, UserView, WorkerEvent } from '$lib/worker/protocol';
import { LIMITS, type Reaction } from '$lib/api/limits';
import { requestBackgroundSync } from '$lib/pwa/sw-client';
import { CHAT_FIRST_PAGE, CHAT_PAGE as PAGE, firstVisibleRow, joinNewer, typingNotifier, unselected } from './chat-ui';
import { quoteFor, timedMedia } from './reply';
import { ChatWindow } from './window.svelte';
import { CloudAttach } from './cloud-attach.svelte';
import type { VoiceClip } from './voice-recorder.svelte';
import type { DraftSnapshot } from './draft.svelte';

/**
 * On new messages, ticks or deletions: the window's last page and what came after it is re-read.
 * REFRESH is the worker's largest page (LIMITS.pageMax).
 */
const REFRESH = 200;

export class CloudWindow extends ChatWindow<MessageView> {
  peer = $state<UserView | null>(null);
  /** The file picked to send, waiting in the attach panel. */
  readonly attach: CloudAttach;
  /** A voice message is uploading. */
  uploading = $state(false);
  downloads = $state<Record<string, number>>({});
  private readonly peerId: () => string;
  private readObserver: IntersectionObserver | null = null;
  private maxVisibleSeq = 0;
  /** Messages an edit rewrote since the last refresh (its events name them). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- ids for the next refresh, never rendered
  private readonly edited = new Set<string>();
  /** The peer's read marker as the events last said (0: none said since the chat opened; its rows came with their ticks). */
  private peerRead = 0;

  constructor(peerId: () => string) {
    super(1000);
    this.peerId = peerId;
    this.attach = new CloudAttach(peerId, this);
  }

  override reset() {
    super.reset();
    this.peer = null;
    this.maxVisibleSeq = 0;
    this.peerRead = 0;
  }

  protected override paged(m: MessageView) {
    return m.seq > 0;
  }

  protected override fromPeer(m: MessageView) {
    return !m.mine;
  }

  protected older(oldest: MessageView) {
    return core().call('messages', { peerId: this.peerId(), beforeSeq: oldest.seq, limit: PAGE });
  }

  protected newer(newest: MessageView) {
    return core().call('messages', { peerId: this.peerId(), afterSeq: newest.seq, limit: PAGE });
  }

  protected latest() {
    return this.showLatest();
  }

  protected readonly kind = 'cloud';

  protected override around(messageId: string) {
    return core().call('messagesAround', { peerId: this.peerId(), messageId });
  }

  protected chatId() {
    return this.peerId();
  }

  protected loadDraft = (peerId: string) => core().call('draft', { peerId });

  protected saveDraft(peerId: string, d: DraftSnapshot) {
    return core().call('saveDraft', { peerId, ...d });
  }

  /** The chat's newest page (the jump back to its newest messages; a refresh that fell far behind). */
  async showLatest() {
    const res = await core().call('messages', { peerId: this.peerId(), limit: CHAT_FIRST_PAGE });
    this.messages = res.messages;
    this.hasMore = res.hasMore;
    this.hasNewer = false;
    await tick();
    this.scrollToBottom();
    this.fillCheck();
  }

  /**
   * Re-reads the window's last page and what came after it, and keeps the older rows already shown
   * that are still stored (their ids, from the index alone), so a long history is not re-read on every
   * message yet a deletion or an expired photo anywhere in the window goes at once. A window scrolled
   * far back (hasNewer) keeps its rows, less the ones gone.
   */
  private async refreshLatest() {
    const peerId = this.peerId();
    this.showPeerRead();
    await this.rereadEdited();
    const stored = this.messages.filter((m) => m.seq > 0);
    if (this.hasNewer) return this.dropGone(stored);
    const from = stored.at(-PAGE)?.seq ?? stored[0]?.seq;
    if (from === undefined) return this.showLatest();
    const [res, ids] = await Promise.all([
      core().call('messages', { peerId, afterSeq: from - 1, limit: REFRESH }),
      from > stored[0].seq ? core().call('messageIds', { peerId, fromSeq: stored[0].seq, toSeq: from - 1 }) : Promise.resolve([])
    ]);
    if (this.hasNewer) return;
    // Where the reader is now, not when the read began: a scroll up meanwhile must not be undone.
    const atBottom = this.isNearBottom();
    // More came than one refresh holds (a long sync): the newest page is what matters now.
    if (res.hasNewer) return atBottom ? this.showLatest() : void (this.hasNewer = true);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup of the ids still stored, never rendered
    const still = new Set(ids);
    const kept = this.messages.filter((m) => m.seq > 0 && m.seq < from && still.has(m.id));
    // At the bottom the window follows the newest messages; scrolled up a little, it keeps its top.
    const next = atBottom ? joinNewer(kept, res.messages) : { rows: [...kept, ...res.messages], trimmed: false };
    if (next.trimmed) this.hasMore = true;
    await this.keeping(atBottom ? null : firstVisibleRow(this.scroller), () => (this.messages = next.rows));
    if (atBottom) this.scrollToBottom();
  }

  /**
   * Rows an edit rewrote (the events since the last refresh named them) are read again in place, wherever
   * they are in the window: the refresh below re-reads only its last page.
   */
  private async rereadEdited() {
    const ids = this.messages.filter((m) => m.seq > 0 && this.edited.has(m.id)).map((m) => m.id);
    this.edited.clear();
    if (!ids.length) return;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup while the rows are replaced, never rendered
    const fresh = new Map((await core().call('messageRows', { peerId: this.peerId(), ids })).map((m) => [m.id, m]));
    // A reply quoting an edited row shows its new snippet (quotes are made from the stored original).
    const quoting = this.messages.filter((m) => m.replyTo && fresh.has(m.replyTo) && !fresh.has(m.id)).map((m) => m.id);
    if (quoting.length) for (const m of await core().call('messageRows', { peerId: this.peerId(), ids: quoting })) fresh.set(m.id, m);
    this.messages = this.messages.map((m) => fresh.get(m.id) ?? m);
  }

  /**
   * My rows the peer has read since they were read here show two ticks, wherever they are in the window,
   * changed in place: the refresh re-reads only its last page, and nothing else needs reading.
   */
  private showPeerRead() {
    const upTo = this.peerRead;
    const readNow = (m: MessageView) => m.mine && m.ticks === 'sent' && m.seq > 0 && m.seq <= upTo;
    if (this.messages.some(readNow)) this.messages = this.messages.map((m): MessageView => (readNow(m) ? { ...m, ticks: 'read' } : m));
  }

  /** Scrolled far back: the rows shown stay, less those no longer stored (deleted for both, a timer ran out). */
  private async dropGone(stored: MessageView[]) {
    if (!stored.length) return;
    const last = stored[stored.length - 1].seq;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup of the ids still stored, never rendered
    const still = new Set(await core().call('messageIds', { peerId: this.peerId(), fromSeq: stored[0].seq, toSeq: last }));
    if (!this.hasNewer || stored.every((m) => still.has(m.id))) return;
    await this.keeping(firstVisibleRow(this.scroller), () => (this.messages = this.messages.filter((m) => m.seq === 0 || m.seq > last || still.has(m.id))));
  }

  protected onEvent(e: WorkerEvent) {
    const peerId = this.peerId();
    if (e.type === 'messages' && e.peerId === peerId) {
      for (const id of e.edited ?? []) this.edited.add(id);
      if (e.peerRead !== undefined) this.peerRead = Math.max(this.peerRead, e.peerRead);
      void this.ops.refresh(() => this.refreshLatest()).catch(() => {});
    }
    // Renamed, or the account deleted: only then is the profile read again.
    if (e.type === 'peer' && e.peerId === peerId) {
      void core()
        .call('chat', { peerId })
        .then(({ peer }) => {
          if (this.peerId() === peerId) this.peer = peer;
        })
        .catch(() => {});
    }
    if (e.type === 'typing' && e.peerId === peerId) this.typing();
    if (e.type === 'progress') {
      const fraction = e.total > 0 ? e.loaded / e.total : 0;
      // A shown message's id: its download; otherwise the upload in progress here.
      if (this.messages.some((m) => m.id === e.id)) this.downloads = { ...this.downloads, [e.id]: fraction };
      else if (this.attach.sending) this.attach.progress = fraction;
    }
  }

  // Read receipts: a message counts as read when it is on screen while the page is visible.
  observeRead = (node: HTMLElement, seq: number) => {
    node.dataset.seq = String(seq);
    this.readObserver?.observe(node);
    return { destroy: () => this.readObserver?.unobserve(node) };
  };

  private reportRead() {
    if (document.visibilityState !== 'visible' || this.maxVisibleSeq <= 0) return;
    void core()
      .call('markRead', { peerId: this.peerId(), seq: this.maxVisibleSeq })
      .catch(() => {});
  }

  override start() {
    this.readObserver = new IntersectionObserver(
      (entries) => {
        for (const en of entries) {
          if (en.isIntersecting) this.maxVisibleSeq = Math.max(this.maxVisibleSeq, Number((en.target as HTMLElement).dataset.seq));
        }
        this.reportRead();
      },
      { threshold: 0.6 }
    );
    const onVisible = () => this.reportRead();
    document.addEventListener('visibilitychange', onVisible);
    const stop = super.start();
    return () => {
      stop();
      this.attach.drop();
      document.removeEventListener('visibilitychange', onVisible);
      this.readObserver?.disconnect();
    };
  }

  send = async (e?: Event) => {
    e?.preventDefault();
    const text = this.draft.trim();
    if (!text) return;
    this.actionError = null;
    const original = this.actions.replyingTo;
    try {
      this.draft = '';
      this.onInput.reset();
      this.actions.replyingTo = null;
      // The worker deletes the draft with the message stored; this keeps the keeper in step (a failed send puts the text back, saved again).
      void this.drafts.flush();
      await core().call('send', {
        peerId: this.peerId(),
        text,
        ...(original ? { replyTo: original.id, quote: quoteFor(original, original.media, timedMedia(original.media)) } : {})
      });
      // Asked on every send: app.connection can still say 'online' while the browser is offline.
      // Should it wait, the service worker sends it when the network returns, even with this tab closed.
      void requestBackgroundSync();
      await this.toLatest();
    } catch (err) {
      this.draft = text;
      this.actions.replyingTo ??= original;
      this.actionError = errorMessage(err);
    }
  };

  /** A recorded voice message: uploaded and sent at once (no preview step, no timer). */
  sendVoice = async (clip: VoiceClip) => {
    if (this.uploading) return;
    this.actionError = null;
    this.uploading = true;
    try {
      const bytes = await clip.blob.arrayBuffer();
      await core().call('cloudSendMedia', { peerId: this.peerId(), name: clip.name, mime: clip.mime, bytes, ttl: 0, voice: clip.voice });
      await this.toLatest();
    } catch (err) {
      this.actionError = errorMessage(err);
    } finally {
      this.uploading = false;
    }
  };

  onInput = typingNotifier(() => core().call('typing', { peerId: this.peerId() }));

  /**
   * Edit: a text of mine the relay stored, or one still in the outbox (its queued send takes the new
   * text; a failed one has no copy anywhere), or the caption of an attachment without a timer (a voice message has none), for
   * 48 h after it was sent (the relay checks again). Not a forwarded copy: its words are its author's.
   */
  editable(m: MessageView): boolean {
    const media = m.media;
    return (
      m.mine &&
      (m.seq > 0 || m.ticks === 'pending') &&
      !m.forwarded &&
      (!media || (media.ttl === 0 && !media.voice)) &&
      m.ticks !== 'failed' &&
      !this.peer?.deleted &&
      Date.now() - m.createdAt < LIMITS.editWindowMs
    );
  }

  /**
   * Forward: a message the relay stored (seq > 0; one in the outbox is not there to copy), without a
   * self-destructing attachment (the relay refuses those too).
   */
  forwardable(m: MessageView): boolean {
    return m.seq > 0 && !(m.media && m.media.ttl > 0);
  }

  protected hasFile(m: MessageView): boolean {
    return !!m.media;
  }

  protected async edit(m: MessageView, text: string) {
    await core().call('editMessage', { peerId: this.peerId(), id: m.id, text });
  }

  /** A reaction: a message the relay stores (not one still in the outbox, nor failed), while the peer's account exists. */
  reactable(m: MessageView): boolean {
    return m.seq > 0 && m.ticks !== 'failed' && !this.peer?.deleted;
  }

  protected async setReaction(m: MessageView, emoji: Reaction | '') {
    await core().call('reactMessage', { peerId: this.peerId(), id: m.id, emoji });
  }

  deleteSelected = () => this.deleteFor([...this.selected], true);

  async deleteFor(ids: string[], everyone: boolean) {
    this.actionError = null;
    try {
      await core().call(everyone ? 'deleteMessages' : 'deleteForMe', { peerId: this.peerId(), ids });
      this.selected = unselected(this.selected, ids);
    } catch (err) {
      this.actionError = errorMessage(err);
    }
  }
}
