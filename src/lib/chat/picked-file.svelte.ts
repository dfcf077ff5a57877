/**
 * A file picked to send, waiting in the attach panel (AttachPanel.svelte) for "Send" or "Cancel" with
 * its own self-destruct timer. Shared by both chats: the secret chat adds a caption
 * (./secret-attach.svelte.ts), the cloud chat uploads with progress (./cloud-attach.svelte.ts). A photo
 * or video gets a preview, and its size in pixels is read meanwhile and sent along, so the peer reserves
 * its box (sending never waits long for it).
 */
import { LIMITS } from '$lib/api/limits';
import { mediaDims, type Dims } from './media-size';

export type PickedKind = 'photo' | 'video' | 'file';

/** The largest file either chat sends: the relay's limit less the encryption's overhead. */
export const MAX_FILE = LIMITS.fileMax - 64;
export const TOO_LARGE = `Files up to ${LIMITS.fileMax / 1024 / 1024} MB can be sent.`;

export const pickedKind = (file: Pick<File, 'type'>): PickedKind => (file.type.startsWith('image/') ? 'photo' : file.type.startsWith('video/') ? 'video' : 'file');

/** The MIME type a file is sent as: the browser's, when it is a plain type/subtype; else a generic binary. */
export function sendableMime(type: string): string {
  const t = type.split(';')[0].trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(t) && t.length <= 127 ? t : 'application/octet-stream';
}

export abstract class PickedFile {
  /** The picked file; `url` previews a photo or video (null for other files). */
  pending = $state<{ file: File; url: string | null; kind: PickedKind } | null>(null);
  ttl = $state(0);
  sending = $state(false);
  /** Upload progress 0..1 while sending, or null when it is not known (a busy bar). */
  progress = $state<number | null>(null);
  /** The size being read for the picked file (null when it cannot be decoded). */
  private dims: { of: File; size: Promise<Dims | null> } | null = null;

  abstract send: () => Promise<void>;
  abstract cancel: () => void;

  /** Holds `file` for "Send" (the previous pick is dropped). */
  protected hold(file: File) {
    this.drop();
    const kind = pickedKind(file);
    const visual = kind !== 'file';
    this.pending = { file, url: visual ? URL.createObjectURL(file) : null, kind };
    this.dims = visual ? { of: file, size: mediaDims(file) } : null;
  }

  /** Forgets the picked file (and its preview URL). */
  drop = () => {
    if (this.pending?.url) URL.revokeObjectURL(this.pending.url);
    this.pending = null;
    this.dropped();
  };

  /** What else a chat forgets with the picked file. */
  protected dropped() {}

  /** The picked file's size, waiting for it a little at most: a file the browser cannot read goes without one. */
  protected sizeOf(file: File): Promise<Dims | null> {
    if (this.dims?.of !== file) return Promise.resolve(null);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const giveUp = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 3000)));
    return Promise.race([this.dims.size, giveUp]).finally(() => clearTimeout(timer));
  }

  /** Runs one send: `sending` while it runs; the file is dropped after, unless another was picked meanwhile. */
  protected async runSend(p: { file: File }, run: () => Promise<boolean>): Promise<boolean> {
    this.sending = true;
    this.progress = null;
    try {
      const sent = await run();
      if (sent && this.pending?.file === p.file) this.drop();
      return sent;
    } finally {
      this.sending = false;
      this.progress = null;
    }
  }
}
