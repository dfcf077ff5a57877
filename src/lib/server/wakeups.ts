/**
 * Wake-ups for self-destruct deadlines (docs/timers.md). A device registers times (`POST /api/wakeups`);
 * at each one the relay sends it a content-free `{"t":"wake"}` push so its service worker runs and
 * purges expired secret messages even when no Cinder window is open. The relay learns only times.
 *
 * Scheduling, safe with several relay processes on one database:
 * - A timer is armed for the next due time (`Store.nextWakeupAt`), capped at `MAX_TIMER_MS` so
 *   wake-ups registered through other nodes are picked up too; it runs once at start.
 * - Times within `GROUP_MS` of the earliest due one are sent together, at the latest of them (so a
 *   push is never early, at most `GROUP_MS` late), one push per device.
 * - Due rows are claimed atomically (`Store.claimWakeups`): no two nodes get the same row. After the
 *   push is sent (or there is nothing to send to) the rows are deleted. If the node dies mid-send its
 *   claim goes stale after `CLAIM_STALE_MS` and another node retakes the rows, so none are lost; the
 *   one case of a double push is a node dying between a successful send and the delete.
 * - A transient push failure leaves the claim to go stale: the rows are retried about every 30 s and
 *   given up (deleted, logged) once `GIVE_UP_MS` past due.
 */
import { PUSH_LIMITS } from '../api/wire';
import { createDueScheduler } from './due-scheduler';
import { newId } from './ids';
import type { Logger } from './log';
import type { PushService } from './push';
import type { Store, WakeupRow } from './store/types';

export const GROUP_MS = 1000;
export const CLAIM_STALE_MS = 30_000;
export const MAX_TIMER_MS = 60_000;
export const GIVE_UP_MS = 60 * 60_000;
/** Rows claimed per statement; `run` repeats until fewer come back. */
const CLAIM_BATCH = 100;
/** Times this far in the past are accepted (client clock skew) and fire at once. */
export const PAST_SLACK_MS = 60_000;

/** The first problem with a list of wake-up times at `now`, as "at.<i>: ..." , or null. */
export function wakeTimesProblem(times: number[], now: number): string | null {
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (t < now - PAST_SLACK_MS || t > now + PUSH_LIMITS.wakeupHorizonMs) {
      return `at.${i}: must be between now and now + ${PUSH_LIMITS.wakeupHorizonMs / 86_400_000} days`;
    }
  }
  return null;
}

export interface WakeDeps {
  store: Store;
  push: Pick<PushService, 'send'>;
  log: Logger;
  now: () => number;
  /** This process's claim name; random by default. */
  nodeId?: string;
}

export interface WakeScheduler {
  readonly nodeId: string;
  /** Runs once now and arms the timer. */
  start(): void;
  /** Wake-ups were just stored through this node: re-arm the timer from the store. */
  scheduled(): void;
  /** Claims everything due, sends, deletes; returns the number of pushes sent. Runs are serialised. */
  run(): Promise<number>;
  close(): Promise<void>;
}

export function createWakeScheduler({ store, push, log, now, nodeId = newId() }: WakeDeps): WakeScheduler {
  /** One device's claimed rows: one push; rows deleted unless the push failed transiently. */
  const fire = async (deviceId: string, rows: WakeupRow[], t: number): Promise<boolean> => {
    const outcome = await push.send(deviceId, 'wake');
    const giveUp = rows.every((r) => r.at < t - GIVE_UP_MS);
    if (outcome === 'failed' && !giveUp) return false; // claim goes stale; retried
    if (outcome === 'failed') log.warn('wake-up given up', { deviceId, count: rows.length });
    await store.deleteWakeups(
      rows.map((r) => r.id),
      nodeId
    );
    return outcome === 'sent';
  };

  const runOnce = async (): Promise<number> => {
    let sent = 0;
    for (;;) {
      const t = now();
      // Claim only once the earliest group is complete, so a group is never split into two pushes.
      const groupEnd = await store.nextWakeupAt(CLAIM_STALE_MS, GROUP_MS);
      if (groupEnd === null || groupEnd > t) break;
      const rows = await store.claimWakeups(nodeId, t, t, t - CLAIM_STALE_MS, CLAIM_BATCH);
      if (rows.length === 0) break;
      const byDevice = new Map<string, WakeupRow[]>();
      for (const r of rows) {
        const list = byDevice.get(r.deviceId);
        if (list) list.push(r);
        else byDevice.set(r.deviceId, [r]);
      }
      const results = await Promise.all([...byDevice].map(([deviceId, list]) => fire(deviceId, list, t)));
      sent += results.filter(Boolean).length;
      if (rows.length < CLAIM_BATCH) break;
    }
    if (sent > 0) log.debug('wake-ups sent', { count: sent, node: nodeId });
    return sent;
  };

  return {
    nodeId,
    ...createDueScheduler({ next: () => store.nextWakeupAt(CLAIM_STALE_MS, GROUP_MS), runOnce, log, label: 'wake-up', now, maxTimerMs: MAX_TIMER_MS })
  };
}
