/**
 * Account deletion (docs/api.md "Account deletion", docs/threat-model.md): what the store removes in one
 * transaction (Store.deleteAccount), then what only this process can do: revoke the live sockets and
 * cached sessions on every node (the bus, as a password change does), deliver the peers' 'delete'
 * updates and the secret-chat notices live, and remove the media and blob files.
 *
 * "Delete my account if away for N months": `sweep` deletes every account whose option is on and whose
 * devices have all been idle that long. It runs on a timer on every node; the store's deletion is a
 * no-op for an account already deleted, so two nodes sweeping together delete each account once.
 */
import { randomUUID } from 'node:crypto';
import type { AtRest } from './atrest';
import type { BlobFiles } from './blobs';
import type { Bus } from './bus';
import type { Config } from './config';
import type { Logger } from './log';
import { envelopeAad } from './envelope-aad';
import type { SessionCache } from './session-cache';
import type { AppendedUpdate, DeletedAccount, Store } from './store/types';

export const DAY_MS = 86_400_000;
/** A month of "away", as the option counts it. */
export const MONTH_MS = 30 * DAY_MS;
/** How often each node looks for accounts away too long, and how soon after start the first time. */
export const SWEEP_INTERVAL_MS = 60 * 60_000;
export const FIRST_SWEEP_MS = 60_000;
const SWEEP_BATCH = 100;

export interface AccountDeps {
  config: Config;
  store: Store;
  atRest: AtRest;
  bus: Bus;
  sessions: SessionCache;
  blobFiles: BlobFiles;
  mediaFiles: BlobFiles;
  /** Live delivery of the peers' 'delete' updates (Cloud.publish). */
  publish: (updates: AppendedUpdate[]) => Promise<void>;
  /** Tells the account's chat partners online that it shows no last seen any more (LastSeenService.gone). */
  gone?: (userId: string) => Promise<void>;
  log: Logger;
  now: () => number;
}

export interface Accounts {
  /** Deletes the account now; null if it did not exist or was already deleted. */
  delete(userId: string, why: 'requested' | 'away'): Promise<DeletedAccount | null>;
  /** Deletes every account away longer than its option allows; returns how many. Runs are serialised. */
  sweep(): Promise<number>;
  start(): void;
  close(): Promise<void>;
}

export function createAccounts(deps: AccountDeps): Accounts {
  const { config, store, atRest, bus, sessions, log, now } = deps;
  let timer: ReturnType<typeof setInterval> | null = null;
  let first: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<number> = Promise.resolve(0);

  const removeFiles = async (files: BlobFiles, ids: string[], what: string) => {
    for (const id of ids) {
      await files.remove(id).catch((err: unknown) => log.error(`${what} file removal failed`, { id, err: err instanceof Error ? err : String(err) }));
    }
  };

  async function remove(userId: string, why: 'requested' | 'away'): Promise<DeletedAccount | null> {
    const at = now();
    const gone = await store.deleteAccount(userId, at, at + config.usernameQuarantineDays * DAY_MS, (fromDeviceId, toDeviceId) => {
      const id = randomUUID();
      return {
        id,
        toDeviceId,
        fromDeviceId,
        fromUserId: userId,
        // Sealed like every envelope body, so reading it back needs nothing special.
        body: atRest.seal(Buffer.alloc(0), envelopeAad(toDeviceId, id)),
        createdAt: at,
        expiresAt: at + config.envelopeTtlDays * DAY_MS,
        requestId: null
      };
    });
    if (!gone) return null;
    // Sockets and cached sessions, on every node, at once.
    sessions.forgetUser(userId);
    for (const deviceId of gone.liveDeviceIds) bus.publish({ to: 'revoke', deviceId });
    for (const e of gone.notices) {
      const envelope = {
        seq: e.seq,
        id: e.id,
        fromDeviceId: e.fromDeviceId,
        fromUserId: e.fromUserId,
        body: '',
        createdAt: e.createdAt,
        requestId: null,
        notice: 'account_deleted' as const
      };
      bus.publish({ to: 'device', deviceId: e.toDeviceId, frame: { t: 'envelope', envelope } });
    }
    // Whoever had blocked the account: their lists lost it.
    for (const blocker of gone.blockedBy) bus.publish({ to: 'user', userId: blocker, frame: { t: 'blocks' } });
    await deps.publish(gone.updates).catch((err: unknown) => log.error('account deletion fan-out failed', { err: err instanceof Error ? err : String(err) }));
    await deps.gone?.(userId).catch((err: unknown) => log.error('account deletion last seen failed', { err: err instanceof Error ? err : String(err) }));
    await removeFiles(deps.mediaFiles, gone.media, 'media');
    await removeFiles(deps.blobFiles, gone.blobs, 'blob');
    log.info('account deleted', { userId, why, devices: gone.liveDeviceIds.length, notices: gone.notices.length, media: gone.media.length, blobs: gone.blobs.length });
    return gone;
  }

  async function sweepOnce(): Promise<number> {
    let n = 0;
    for (;;) {
      const ids = await store.listAwayUsers(now(), MONTH_MS, SWEEP_BATCH);
      for (const id of ids) if (await remove(id, 'away')) n++;
      if (ids.length < SWEEP_BATCH) return n;
    }
  }

  const sweep = () => {
    running = running.then(sweepOnce, sweepOnce);
    return running;
  };

  return {
    delete: remove,
    sweep,
    start() {
      if (timer) return;
      const tick = () => {
        sweep().catch((err: unknown) => log.error('auto-delete sweep failed', { err: err instanceof Error ? err : String(err) }));
      };
      timer = setInterval(tick, SWEEP_INTERVAL_MS);
      timer.unref?.();
      // Also soon after start: a node restarted more often than hourly would otherwise never sweep.
      first = setTimeout(tick, FIRST_SWEEP_MS);
      first.unref?.();
    },
    async close() {
      if (timer) clearInterval(timer);
      if (first) clearTimeout(first);
      timer = first = null;
      await running.catch(() => undefined);
    }
  };
}
