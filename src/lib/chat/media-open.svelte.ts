/**
 * Opening and saving an attachment, the same in both chats (CloudMedia, SecretMedia, FileCard): "Open"
 * loads the bytes and shows the viewer (MediaViewer); a chat may first start the file's timer
 * (`beforeView`, refusing the view if that fails). "Save" downloads a copy, only for a file without a
 * self-destruct timer: a timed one opens only inside Cinder.
 */
import type { Attachment } from './attachment.svelte';

export interface OpenerOptions {
  name: () => string;
  timed: () => boolean;
  /** Runs once the bytes are here, before the viewer shows; false keeps it closed. */
  beforeView?: () => boolean | Promise<boolean>;
}

export class MediaOpener {
  viewing = $state(false);

  constructor(
    readonly att: Attachment,
    private readonly opts: OpenerOptions
  ) {}

  view = async () => {
    await this.att.load();
    if (!this.att.url) return;
    if (this.opts.beforeView && !(await this.opts.beforeView())) return;
    this.viewing = true;
  };

  save = async () => {
    if (this.opts.timed()) return;
    await this.att.load();
    if (!this.att.url) return;
    const a = document.createElement('a');
    a.href = this.att.url;
    a.download = this.opts.name();
    a.click();
  };

  close = () => {
    this.viewing = false;
  };
}
