/**
 * A chat screen's draft kept by the worker (worker/drafts.ts): saved DRAFT_SAVE_MS after the user
 * stops typing, at once when the chat is left, the app hidden or reloading for an update, or a message
 * sent; restored when a chat opens with an empty composer. The page ends its worker on `pagehide`
 * (worker/client.ts), so what a page hidden there cannot save any more is what was typed in the last
 * DRAFT_SAVE_MS before a browser reload or tab close; `visibilitychange` comes first when the app is
 * only sent to the background (a phone that may then kill it).
 */

/** What the composer holds: its text, and the id of the message it replies to. */
export type DraftSnapshot = { text: string; replyTo: string | null };

export interface DraftIO<R> {
  load(chat: string): Promise<{ text: string; replyTo: R | null } | null>;
  save(chat: string, draft: DraftSnapshot): Promise<unknown>;
}

/** How long typing pauses before the draft is saved (ms). */
export const DRAFT_SAVE_MS = 400;

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
  private timer: ReturnType<typeof setTimeout> | undefined;
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
    private readonly restore: (text: string, replyTo: R | null) => void,
    private readonly delay = DRAFT_SAVE_MS
  ) {}

  /**
   * Chat `chat` opens, its composer emptied (the previous chat's draft saved by close()): its stored
   * draft is read and restored, unless the user started typing meanwhile.
   */
  async open(chat: string): Promise<void> {
    clearTimeout(this.timer);
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

  /** The composer changed: saved once typing pauses. */
  changed(): void {
    if (!this.chat) return;
    // A change before the stored draft was read: what the worker holds is not what the composer started
    // from, so the next flush saves whatever the composer holds, blank too (a send replaces the old draft).
    if (this.loading) this.stored = null;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.delay);
  }

  /**
   * Saves the composer's draft now, if it differs from what is stored. Resolves to whether the worker
   * holds it (after a save of it still on its way, too): false when storing failed.
   */
  async flush(): Promise<boolean> {
    clearTimeout(this.timer);
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
