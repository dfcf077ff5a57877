/**
 * A secret chat's photo or video picked to send (./picked-file.svelte.ts): kept with a preview, a
 * caption and its own self-destruct timer (the chat's by default) until "Send" or "Cancel". Other files
 * go at once, as before.
 */
import { core } from '$lib/worker/client';
import { requestBackgroundSync } from '$lib/pwa/sw-client';
import { MAX_FILE, PickedFile, pickedKind } from './picked-file.svelte';
import type { SecretWindow } from './secret-window.svelte';

export class SecretAttach extends PickedFile {
  caption = $state('');

  constructor(
    private readonly id: () => string,
    private readonly win: SecretWindow
  ) {
    super();
  }

  /** A file picked: a photo or video waits here for "Send"; anything else is sent at once. */
  choose = (file: File) => {
    if (pickedKind(file) === 'file') return void this.win.sendFile(file);
    this.win.actionError = null;
    if (file.size > MAX_FILE) {
      this.win.actionError = 'Files up to 25 MB can be sent in a secret chat.';
      return;
    }
    this.hold(file);
    // The words typed so far become the caption.
    this.caption = this.win.draft.trim();
    this.win.draft = '';
    this.ttl = this.win.chat?.ttl ?? 0;
  };

  /** Cancel: nothing is sent; the caption goes back to the message field. */
  cancel = () => {
    if (this.sending) return;
    if (this.caption && !this.win.draft) this.win.draft = this.caption;
    this.drop();
  };

  protected override dropped() {
    this.caption = '';
  }

  send = async () => {
    const p = this.pending;
    if (!p || this.sending) return;
    // Read now: another file picked while this one uploads starts its own caption and timer.
    const caption = this.caption.trim();
    const ttl = this.ttl;
    const sent = await this.runSend(p, async () => {
      let done = false;
      await this.win.act(async () => {
        const bytes = await p.file.arrayBuffer();
        const d = await this.sizeOf(p.file);
        await core().call('secretSendFile', { id: this.id(), name: p.file.name || p.kind, mime: p.file.type, bytes, caption, ttl, ...(d ?? {}) });
        done = true;
        void requestBackgroundSync();
      });
      return done;
    });
    if (sent) await this.win.toLatest();
  };
}
