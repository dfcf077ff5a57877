/**
 * A chat screen's draft kept by the worker (worker/drafts.ts): saved as soon as the previous save is
 * done (at most one on its way, the next one taking whatever the composer then holds), at once when the
 * chat is left, the app hidden, the page left (`beforeunload`) or reloading for an update, or a message
 * sent; restored when a chat opens with an empty composer.
 *
 * Why not a pause in typing: the page ends its worker on `pagehide` (worker/client.ts), so a debounce
 * lost what was typed in its last interval before a reload or a closed tab. A save is small (one sealed
 * row, one transaction), about one a keystroke; what would grow with it, every tab re-reading its chat
 * list on `chats`, the worker limits instead (worker/rpc/drafts.ts). What is left to lose: what was
 * typed in the few milliseconds before the page goes, when its worker ends before storing it.
 *
 * Another tab (same chat, same device) storing or deleting the draft: the worker says so (`draft`), and
 * a composer holding nothing unsaved (what this keeper last stored or read) takes the stored draft; one
 * with unsaved typing keeps it, and its next save wins. This tab's own saves come back the same way and
 * change nothing: what is read then is what it stored.
 */

/** What the composer holds: its text, and the id of the message it replies to. */
export type DraftSnapshot = { text: string; replyTo: string | null };

export interface DraftIO<R> {
  load(chat: string): Promise<{ text: string; replyTo: R | null } | null>;
  save(chat: string, draft: DraftSnapshot): Promise<unknown>;
}

const EMPTY: DraftSnapshot = { text: '', replyTo: null };
/** A blank text is no draft, whatever it replies to (the worker deletes it). */
const norm = (d: DraftSnapshot): DraftSnapshot => (d.text.trim() ? d : EMPTY);
const same = (a: DraftSnapshot, b: DraftSnapshot) => a.text === b.text && a.replyTo === b.replyTo;

export class DraftKeeper<R extends { id: string }> {
  /** The last save failed (the app locked, storage refused): until one succeeds, a reload would lose the draft. */
  failed = $state(false);
  /** The chat the composer's draft belongs to (null: none open). */
  private chat: string | null = null;
  /** What the worker holds for `chat` (null: not known, the next flush saves). */
  private stored: DraftSnapshot | null = EMPTY;
  /** A save waits for the one on its way (changed() asks for no other meanwhile). */
  private queued = false;
  /** The newest read of the stored draft for another tab's change (an older one is dropped). */
  private reads = 0;
  /** The open chat's first read of its draft, done. */
  private opened: Promise<void> = Promise.resolve();
  /**
   * The saves in flight, one after the other: the worker runs calls side by side, and a text sealed
   * before a blank one (a send) must not be stored after it; a chat read again waits for them too.
   */
  private saving: Promise<unknown> = Promise.resolve();
  /** Whether the newest save of this chat stored its draft (once it is done). */
  private last: Promise<boolean> = Promise.resolve(true);
  private opening = 0;
  /** The open chat's stored draft is being read. */
  private loading = false;

  constructor(
    private readonly io: DraftIO<R>,
    /** The composer now. */
    private readonly current: () => DraftSnapshot,
    /** Puts a stored draft into the composer. */
    private readonly restore: (text: string, replyTo: R | null) => void
  ) {}

  /**
   * Chat `chat` opens, its composer emptied (the previous chat's draft saved by close()): its stored
   * draft is read and restored, unless the user started typing meanwhile.
   */
  open(chat: string): Promise<void> {
    this.opened = this.read(chat);
    return this.opened;
  }

  private async read(chat: string): Promise<void> {
    this.unqueue();
    this.chat = chat;
    this.stored = EMPTY;
    this.failed = false;
    // The last chat's save still on its way is waited for before a reload; its failure was that chat's.
    this.last = this.saving.then(() => true);
    const turn = ++this.opening;
    this.loading = true;
    await this.saving;
    const draft = await this.io.load(chat).catch(() => null);
    if (turn !== this.opening || this.chat !== chat) return;
    this.loading = false;
    // Typed (or sent) before the stored draft was read: the composer wins (`stored` is null then).
    if (!draft || !this.stored || !same(norm(this.current()), EMPTY)) return;
    this.stored = norm({ text: draft.text, replyTo: draft.replyTo?.id ?? null });
    this.restore(draft.text, draft.replyTo);
  }

  /** The composer changed: saved once the save on its way is done. */
  changed(): void {
    if (!this.chat) return;
    // A change before the stored draft was read: what the worker holds is not what the composer started
    // from, so the next flush saves whatever the composer holds, blank too (a send replaces the old draft).
    if (this.loading) this.stored = null;
    if (this.queued) return;
    this.queued = true;
    // After the task that changed it (a restore sets the text, then the reply), not a timer later: a reload may come next.
    void this.saving.then(() => {
      // A flush (or another chat) came first: it took this change along.
      if (!this.queued) return;
      this.queued = false;
      return this.flush();
    });
  }

  /**
   * Another tab (or this one) stored or deleted chat `chat`'s draft. A composer with nothing unsaved
   * takes what is stored now; one with unsaved typing keeps it. Read after this tab's own saves, so
   * that the echo of one reads what it stored and changes nothing.
   */
  async external(chat: string): Promise<void> {
    if (chat !== this.chat) return;
    const read = ++this.reads;
    await this.opened;
    // Every save of this tab landed, those started meanwhile too: a read before one lands is older than the composer.
    for (let s = this.saving; ; s = this.saving) if ((await s, s === this.saving)) break;
    if (read !== this.reads || chat !== this.chat || !this.clean()) return;
    const stored = this.stored;
    const draft = await this.io.load(chat).catch(() => undefined);
    // Typed, saved or another chat opened while it was read: the composer's own text wins.
    if (draft === undefined || read !== this.reads || chat !== this.chat || this.stored !== stored || !this.clean()) return;
    const next = norm({ text: draft?.text ?? '', replyTo: draft?.replyTo?.id ?? null });
    if (same(next, this.stored!)) return;
    this.stored = next;
    this.restore(draft?.text ?? '', draft?.replyTo ?? null);
  }

  /** The composer holds what the worker holds: nothing typed since the last save or read. */
  private clean(): boolean {
    return !this.loading && !this.queued && this.stored !== null && same(norm(this.current()), this.stored);
  }

  /** A save asked for by changed() is taken along by the one starting now (or dropped with its chat). */
  private unqueue(): void {
    this.queued = false;
  }

  /**
   * Saves the composer's draft now, if it differs from what is stored. Resolves to whether the worker
   * holds it (after a save of it still on its way, too): false when storing failed.
   */
  async flush(): Promise<boolean> {
    this.unqueue();
    const chat = this.chat;
    const now = norm(this.current());
    if (!chat) return true;
    if (this.stored && same(now, this.stored)) return this.last;
    this.stored = now;
    const save = this.saving.then(() => this.io.save(chat, now));
    this.saving = save.catch(() => undefined);
    const ok = save.then(
      () => true,
      () => false
    );
    this.last = ok;
    if (await ok) {
      if (this.chat === chat) this.failed = false;
      return true;
    }
    // Tried again at the next change or flush.
    if (this.chat === chat && this.stored === now) this.stored = null;
    if (this.chat === chat) this.failed = true;
    return false;
  }

  /** The chat screen closes: its draft is saved, and nothing is saved for it after. */
  close(): Promise<boolean> {
    const done = this.flush();
    this.chat = null;
    this.opening++;
    return done;
  }
}
