/** detectBackend(): the selection with noble bundled as the reference (service worker, Node, benches). */
import { nobleBackend } from './noble.js';
import { selectBackend, type SelectedBackend } from './select.js';

let detected: Promise<SelectedBackend> | null = null;

/** selectBackend() on this platform's WebCrypto, once per context. */
export function detectBackend(): Promise<SelectedBackend> {
  detected ??= selectBackend({ reference: nobleBackend() });
  return detected;
}
