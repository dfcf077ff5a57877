/**
 * Cloud-chat attachments: photos, videos, voice messages and any other file (docs/api.md "Cloud media", docs/timers.md). Cloud chats are
 * client-server encrypted, so the relay holds the plaintext only in memory, one chunk at a time: an
 * upload is sealed chunk by chunk with the at-rest key as it streams to DATA_DIR/media/<id>
 * (./media-chunks.ts), and the name and MIME type are sealed in the row. Each user's rows count against
 * CLOUD_MEDIA_QUOTA_BYTES; an upload reserves its row before the first byte is written.
 *
 * Self-destructing media: the recipient opening it sets deadline = now + ttl; at the deadline the relay
 * deletes the file, the row and the message (a 'delete' update to both members). Safe with several
 * relay processes on one database, like wake-ups (./wakeups.ts):
 * - a timer is armed for the next deadline (`Store.nextMediaDeadline`), capped at `MAX_TIMER_MS` so
 *   deadlines set through other nodes are picked up too, and re-armed when this node sets one;
 * - due rows are claimed atomically (`Store.claimDueMedia`): no two nodes get the same row. The claimer
 *   removes the file, then `Store.finishDueMedia` deletes row and message in one transaction, only if
 *   the claim is still its own. A node dying in between leaves a claim that goes stale after
 *   `CLAIM_STALE_MS` and is retaken (the file removal is idempotent), so the delete happens exactly once.
 */
import type { VoiceMeta } from '../api/voice';
import type { AtRest } from './atrest';
import type { BlobFiles } from './blobs';
import { createDueScheduler } from './due-scheduler';
import { newId } from './ids';
import type { Logger } from './log';
import type { AppendedUpdate, CloudMediaRow, Store } from './store/types';

export const MEDIA_CLAIM_STALE_MS = 30_000;
export const MEDIA_MAX_TIMER_MS = 60_000;
/** Uploads never attached to a message are deleted after this long. */
export const UNATTACHED_MEDIA_MS = 24 * 60 * 60_000;
const CLAIM_BATCH = 100;

const metaAad = (id: string) => `media-meta:${id}`;

export interface MediaMeta {
  mime: string;
  name: string;
  /** A voice clip's duration and waveform (validated at upload); absent on other media and older rows. */
  voice?: VoiceMeta;
  /** A photo's or video's size in pixels (validated at upload); absent on other media and older rows. */
  width?: number;
  height?: number;
}

export const sealMediaMeta = (atRest: AtRest, id: string, meta: MediaMeta): Buffer => atRest.seal(Buffer.from(JSON.stringify(meta), 'utf8'), metaAad(id));

export const openMediaMeta = (atRest: AtRest, row: Pick<CloudMediaRow, 'id' | 'meta'>): MediaMeta =>
  JSON.parse(atRest.open(row.meta, metaAad(row.id)).toString('utf8')) as MediaMeta;

export interface MediaTimerDeps {
  store: Store;
  files: BlobFiles;
  /** Live delivery of the 'delete' updates (Cloud.publish). */
  publish: (updates: AppendedUpdate[]) => Promise<void>;
  log: Logger;
  now: () => number;
  nodeId?: string;
}

export interface MediaTimers {
  readonly nodeId: string;
  start(): void;
  /** A deadline was just set through this node: re-arm from the store. */
  scheduled(): void;
  /** Expires everything due now; returns how many media were deleted by this node. Runs are serialised. */
  run(): Promise<number>;
  close(): Promise<void>;
}

export function createMediaTimers({ store, files, publish, log, now, nodeId = newId() }: MediaTimerDeps): MediaTimers {
  const runOnce = async (): Promise<number> => {
    let deleted = 0;
    for (;;) {
      const t = now();
      const rows = await store.claimDueMedia(nodeId, t, t - MEDIA_CLAIM_STALE_MS, CLAIM_BATCH);
      for (const row of rows) {
        try {
          await files.remove(row.id);
          const r = await store.finishDueMedia(row.id, nodeId);
          if (!r.done) continue;
          deleted++;
          await publish(r.updates);
        } catch (err) {
          // The claim goes stale and another run retakes the row.
          log.error('media expiry failed', { id: row.id, err: err instanceof Error ? err : String(err) });
        }
      }
      if (rows.length < CLAIM_BATCH) break;
    }
    if (deleted > 0) log.debug('timed media deleted', { count: deleted, node: nodeId });
    return deleted;
  };

  return {
    nodeId,
    ...createDueScheduler({ next: () => store.nextMediaDeadline(MEDIA_CLAIM_STALE_MS), runOnce, log, label: 'media timer', now, maxTimerMs: MEDIA_MAX_TIMER_MS })
  };
}
