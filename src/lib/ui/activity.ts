/**
 * When this device was last used, for the auto-lock: use in any of its tabs counts, shared on a
 * BroadcastChannel, so a tab left in the background does not lock the device (locking is for every
 * tab, see worker/vault-follow.ts) while the user is busy in another.
 */
export const ACTIVITY_CHANNEL = 'cinder-activity';
/** Use is told to the other tabs at most this often (the idle time is counted in minutes). */
export const SHARE_MS = 5_000;

export class ActivityClock {
  last: number;
  private sharedAt = -Infinity;

  constructor(
    private readonly channel: { postMessage(v: unknown): void } | null,
    private readonly now: () => number = Date.now
  ) {
    this.last = now();
  }

  /** This tab was used now. */
  touch(): void {
    this.last = this.now();
    if (this.last - this.sharedAt < SHARE_MS) return;
    this.sharedAt = this.last;
    this.channel?.postMessage(this.last);
  }

  /** Another tab says it was used at `at` (a time from the future or not a time is ignored). */
  heard(at: unknown): void {
    if (typeof at !== 'number' || !Number.isFinite(at) || at > this.now() + SHARE_MS) return;
    this.last = Math.max(this.last, at);
  }

  idleMs(): number {
    return this.now() - this.last;
  }
}
