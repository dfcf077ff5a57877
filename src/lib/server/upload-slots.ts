/**
 * Concurrent uploads (cloud media, secret-chat blobs) per user on this node. Each upload holds a socket,
 * a temp file and a quota reservation for as long as the client takes, so one account (all its devices)
 * may only run a few at once; the rest are answered 429 with Retry-After. Sealed blob uploads are keyed
 * by their recipient device instead.
 */
export interface UploadSlots {
  /** Takes a slot for `userId`; returns its release (idempotent), or null when all are in use. */
  take(userId: string): (() => void) | null;
  /** Uploads in flight for the user (for tests and metrics). */
  inUse(userId: string): number;
}

export function createUploadSlots(max: number): UploadSlots {
  const busy = new Map<string, number>();
  return {
    take(userId) {
      const n = busy.get(userId) ?? 0;
      if (n >= max) return null;
      busy.set(userId, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (busy.get(userId) ?? 1) - 1;
        if (left > 0) busy.set(userId, left);
        else busy.delete(userId);
      };
    },
    inUse(userId) {
      return busy.get(userId) ?? 0;
    }
  };
}
