/**
 * Timed messages leave this device at their deadline while the app is open: expired rows are deleted
 * now, and one timer is armed for the next deadline in the store (the service worker does the same
 * while the app is closed).
 */
import type { CinderDB } from '$lib/store/db';
import { nextDeadline, purgeExpired } from '$lib/store/purge';
import { purgeEvents } from './data-channel';
import { request } from './net';
import type { WorkerEvent } from './protocol';

export class PurgeTimer {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private soonTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly core: { db: () => CinderDB; emit: (e: WorkerEvent) => void }) {}

  /** Deletes expired messages now and arms the timer for the next deadline. */
  async arm(): Promise<void> {
    this.stop();
    // The database is asked for at each step: a wipe meanwhile opens a new one.
    const { db, emit } = this.core;
    const purged = await purgeExpired(db());
    for (const e of purgeEvents(purged)) emit(e);
    for (const id of purged.blobs) void request('DELETE', `/api/blobs/${encodeURIComponent(id)}`, undefined, null).catch(() => undefined);
    const next = await nextDeadline(db());
    if (next !== null) this.timer = setTimeout(() => void this.arm(), Math.max(0, next - Date.now()) + 5);
  }

  /**
   * Another context (a tab's worker, the service worker) changed timed rows and may have set a
   * deadline this timer does not know: armed again shortly, once for a burst of changes.
   */
  soon(delayMs = 200): void {
    this.soonTimer ??= setTimeout(() => {
      this.soonTimer = null;
      void this.arm().catch(() => undefined);
    }, delayMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.timer = this.soonTimer = null;
  }
}
