/**
 * A cloud chat's file picked to send (./picked-file.svelte.ts): any file, kept with a preview (photos
 * and videos) or its name and size, and a self-destruct timer, until "Send" or "Cancel". Sending
 * uploads it with progress (the window passes the upload's progress events on), then sends the message.
 */
import { core, errorMessage } from '$lib/worker/client';
import { MAX_FILE, PickedFile, sendableMime, TOO_LARGE } from './picked-file.svelte';
import { isSaved } from '$lib/ui/saved';

/** What the attach panel needs of the cloud chat's window. */
export interface CloudAttachHost {
  actionError: string | null;
  toLatest(): Promise<void>;
}

export class CloudAttach extends PickedFile {
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

  send = async () => {
    const p = this.pending;
    if (!p || this.sending) return;
    this.win.actionError = null;
    // Saved Messages take no timer (the panel offers none; the relay refuses one): a choice made in another chat stays there.
    const ttl = isSaved(this.peerId()) ? 0 : this.ttl;
    const sent = await this.runSend(p, async () => {
      try {
        const bytes = await p.file.arrayBuffer();
        const d = await this.sizeOf(p.file);
        this.progress = 0;
        await core().call('cloudSendMedia', { peerId: this.peerId(), name: p.file.name || p.kind, mime: sendableMime(p.file.type), bytes, ttl, ...(d ?? {}) });
        return true;
      } catch (err) {
        this.win.actionError = errorMessage(err);
        return false;
      }
    });
    if (sent) await this.win.toLatest();
  };
}
