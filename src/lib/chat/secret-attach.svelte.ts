/**
 * A secret chat's photo or video picked to send: kept with a preview, a caption and its own
 * self-destruct timer (the chat's by default) until "Send" or "Cancel", like the cloud chat's
 * (./cloud-window.svelte.ts). Other files go at once, as before. Its size in pixels is read meanwhile
 * and sent along, so the peer reserves the box (sending never waits for it).
 */
import { core } from '$lib/worker/client';
import { requestBackgroundSync } from '$lib/pwa/sw-client';
import { mediaDims, type Dims } from './media-size';
import type { SecretWindow } from './secret-window.svelte';

const MAX_FILE = 25 * 1024 * 1024 - 64;

export class SecretAttach {
  pending = $state<{ file: File; url: string; kind: 'photo' | 'video' } | null>(null);
  caption = $state('');
  ttl = $state(0);
  sending = $state(false);
  private dims: Dims | null = null;

  constructor(
    private readonly id: () => string,
    private readonly win: SecretWindow
  ) {}

  /** A file picked: a photo or video waits here for "Send"; anything else is sent at once. */
  choose = (file: File) => {
    const kind = file.type.startsWith('image/') ? 'photo' : file.type.startsWith('video/') ? 'video' : null;
    if (!kind) return void this.win.sendFile(file);
    this.win.actionError = null;
    if (file.size > MAX_FILE) {
      this.win.actionError = 'Files up to 25 MB can be sent in a secret chat.';
      return;
    }
    this.drop();
    // The words typed so far become the caption.
    this.caption = this.win.draft.trim();
    this.win.draft = '';
    this.ttl = this.win.chat?.ttl ?? 0;
    this.dims = null;
    const picked = { file, url: URL.createObjectURL(file), kind } as const;
    this.pending = picked;
    void mediaDims(file).then((d) => {
      if (this.pending?.file === picked.file) this.dims = d;
    });
  };

  /** Cancel: nothing is sent; the caption goes back to the message field. */
  cancel = () => {
    if (this.sending) return;
    if (this.caption && !this.win.draft) this.win.draft = this.caption;
    this.drop();
  };

  /** Forgets the picked file (and its preview URL). */
  drop = () => {
    if (this.pending) URL.revokeObjectURL(this.pending.url);
    this.pending = null;
    this.caption = '';
  };

  send = async () => {
    const p = this.pending;
    if (!p || this.sending) return;
    this.sending = true;
    try {
      let sent = false;
      await this.win.act(async () => {
        const bytes = await p.file.arrayBuffer();
        const d = this.dims;
        await core().call('secretSendFile', {
          id: this.id(),
          name: p.file.name || p.kind,
          mime: p.file.type,
          bytes,
          caption: this.caption.trim(),
          ttl: this.ttl,
          ...(d ? { width: d.width, height: d.height } : {})
        });
        sent = true;
        void requestBackgroundSync();
      });
      if (!sent) return;
      this.drop();
      await this.win.toLatest();
    } finally {
      this.sending = false;
    }
  };
}
