/**
 * A cloud chat's file picked to send (./picked-file.svelte.ts): any file, kept with a preview (photos
 * and videos) or its name and size, a caption and a self-destruct timer, until "Send" or "Cancel".
 * Sending uploads it with progress (the window passes the upload's progress events on), then sends the
 * message. "Schedule message…" (the Send button's menu, as in the composer) uploads it the same way and
 * has the relay send it, with its caption and without a timer, at the chosen time.
 */
import { core, errorMessage, isUnreachable } from '$lib/worker/client';
import { MAX_FILE, PickedFile, sendableMime, TOO_LARGE } from './picked-file.svelte';
import { makeThumb } from './thumb';
import { isSaved } from '$lib/ui/saved';

/** What the attach panel needs of the cloud chat's window. */
export interface CloudAttachHost {
  actionError: string | null;
  toLatest(): Promise<void>;
}

export class CloudAttach extends PickedFile {
  caption = $state('');
  constructor(
    private readonly peerId: () => string,
    private readonly win: CloudAttachHost
  ) {
    super();
  }

  choose = (file: File) => {
    this.win.actionError = null;
    if (file.size > MAX_FILE) {
      this.win.actionError = TOO_LARGE;
      return;
    }
    this.hold(file);
  };

  cancel = () => {
    if (!this.sending) this.drop();
  };

  protected override dropped() {
    this.caption = '';
  }

  /** The file's fields for the worker: its name, type, and a photo's or video's size when read in time. */
  private async fileOf(p: NonNullable<typeof this.pending>) {
    const bytes = await p.file.arrayBuffer();
    const d = await this.sizeOf(p.file);
    return { name: p.file.name || p.kind, mime: sendableMime(p.file.type), bytes, ...(d ?? {}) };
  }

  /**
   * The schedule dialog's confirm: uploads the file and schedules it with the caption at `at` (no
   * timer). Null when done (the panel closes), else the error to show in the dialog (the file stays).
   */
  schedule = async (at: number): Promise<string | null> => {
    const p = this.pending;
    if (!p || this.sending) return 'Choose a file first.';
    this.win.actionError = null;
    let failed: string | null = null;
    await this.runSend(p, async () => {
      try {
        const [file, thumb] = await Promise.all([this.fileOf(p), p.kind === 'file' ? null : makeThumb(p.file)]);
        this.progress = 0;
        // A timer chosen here is refused with the worker's words (a scheduled file has none): the choice stays to change.
        const ttl = isSaved(this.peerId()) ? 0 : this.ttl;
        await core().call('scheduleMessage', { peerId: this.peerId(), text: this.caption.trim(), at, file, ...(thumb ? { thumb } : {}), ...(ttl ? { ttl } : {}) });
        return true;
      } catch (err) {
        // Offline, the worker's own words (which say nothing was scheduled), not the generic "can't reach".
        failed = isUnreachable(err) && err instanceof Error ? err.message : errorMessage(err);
        return false;
      }
    });
    return failed;
  };

  send = async () => {
    const p = this.pending;
    if (!p || this.sending) return;
    this.win.actionError = null;
    // Saved Messages take no timer (the panel offers none; the relay refuses one): a choice made in another chat stays there.
    const ttl = isSaved(this.peerId()) ? 0 : this.ttl;
    const sent = await this.runSend(p, async () => {
      try {
        const file = await this.fileOf(p);
        this.progress = 0;
        const caption = this.caption.trim();
        await core().call('cloudSendMedia', { peerId: this.peerId(), ...file, ttl, ...(caption ? { caption } : {}) });
        return true;
      } catch (err) {
        this.win.actionError = errorMessage(err);
        return false;
      }
    });
    if (sent) await this.win.toLatest();
  };
}
