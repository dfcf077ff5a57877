/**
 * An attachment shown on screen: asks the worker for its decrypted bytes once and holds them as an
 * object URL (revoked with `release`), with the loading and error state the components render.
 */
import { errorMessage } from '$lib/worker/client';

export class Attachment {
  url = $state<string | null>(null);
  /** The same bytes as a Blob, for a viewer that reads them (plain text) or saves them. */
  blob = $state.raw<Blob | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);

  constructor(private readonly fetchBytes: () => Promise<{ bytes: ArrayBuffer; mime: string }>) {}

  async load(): Promise<void> {
    if (this.url || this.loading) return;
    this.loading = true;
    this.error = null;
    try {
      const m = await this.fetchBytes();
      this.blob = new Blob([m.bytes], { type: m.mime });
      this.url = URL.createObjectURL(this.blob);
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.loading = false;
    }
  }

  release(): void {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.blob = null;
  }
}
