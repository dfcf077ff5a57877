/**
 * A photo's or video's box in its bubble: from the size sent with it, else from its own size once
 * decoded (older media came without one), else a placeholder's; so nothing moves when the bytes arrive.
 */
import { mediaBox } from './media-kind';

export class MediaSize {
  #natural = $state<{ w: number; h: number } | null>(null);

  constructor(private readonly sent: () => { width?: number; height?: number }) {}

  get box() {
    const { width, height } = this.sent();
    return mediaBox(width ?? this.#natural?.w, height ?? this.#natural?.h);
  }

  /** The image's or video's load handler: takes its decoded size when none was sent. */
  measured = (e: Event) => {
    const { width, height } = this.sent();
    if (width && height) return;
    const el = e.currentTarget as HTMLImageElement | HTMLVideoElement;
    const w = el instanceof HTMLImageElement ? el.naturalWidth : el.videoWidth;
    const h = el instanceof HTMLImageElement ? el.naturalHeight : el.videoHeight;
    if (w && h) this.#natural = { w, h };
  };
}
