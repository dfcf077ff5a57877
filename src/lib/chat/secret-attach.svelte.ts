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
  /** The size being read for the picked file (null when it cannot be decoded). */
  private dims: { of: File; size: Promise<Dims | null> } | null = null;

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
    const picked = { file, url: URL.createObjectURL(file), kind } as const;
    this.pending = picked;
    this.dims = { of: file, size: mediaDims(file) };
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

  /** The picked file's size, waiting for it a little at most: a file the browser cannot read goes without one. */
  private sizeOf(file: File): Promise<Dims | null> {
    if (this.dims?.of !== file) return Promise.resolve(null);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const giveUp = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 3000)));
    return Promise.race([this.dims.size, giveUp]).finally(() => clearTimeout(timer));
  }

  send = async () => {
    const p = this.pending;
    if (!p || this.sending) return;
    this.sending = true;
    // Read now: another file picked while this one uploads starts its own caption and timer.
    const caption = this.caption.trim();
    const ttl = this.ttl;
    try {
      let sent = false;
      await this.win.act(async () => {
        const bytes = await p.file.arrayBuffer();
        const d = await this.sizeOf(p.file);
        await core().call('secretSendFile', {
          id: this.id(),
          name: p.file.name || p.kind,
          mime: p.file.type,
          bytes,
          caption,
          ttl,
          ...(d ? { width: d.width, height: d.height } : {})
        });
        sent = true;
        void requestBackgroundSync();
      });
      if (!sent) return;
      // Another file may have been picked meanwhile: that one stays for its own "Send".
      if (this.pending?.file === p.file) this.drop();
      await this.win.toLatest();
    } finally {
      this.sending = false;
    }
  };
}
