/**
 * Scheduled messages of cloud chats (docs/api.md, "Scheduled messages"). The relay keeps each sealed at
 * rest, per sender, and at its time sends it through the normal send path (./cloud.ts `send`: block
 * checks, the archive rule, unread counts, push and live delivery) as a message from its sender, dated
 * then; the row is deleted in the send's own transaction, so of several nodes only one sends it. A send
 * refused when due (blocked, account deleted) leaves the row with the reason. Every change reaches the
 * sender's devices as a 'scheduled' update in their log.
 *
 * A scheduled file: the sender's upload (`POST /api/cloud/media`, to the peer, not attached) is held for
 * the row (`cloud_media.scheduled_id`): kept from the unattached purge, refused to any other send,
 * attached by the due send exactly as an immediate one would (no timer), deleted with the row. Its
 * name, type, size and dimensions are sealed in the row's body for the sender's list.
 */
import { SCHEDULED, type EditScheduledReq, type ScheduleReq, type ScheduledMedia, type ScheduledMessage } from '../api/wire-scheduled';
import type { z } from '../api/zod';
import type { AtRest } from './atrest';
import type { Cloud } from './cloud';
import { createDueScheduler } from './due-scheduler';
import { openMediaMeta } from './cloud-media';
import type { BlobFiles } from './blobs';
import { HttpError } from './http';
import type { Logger } from './log';
import { openScheduled, scheduledWire, sealScheduled } from './scheduled-seal';
import type { ScheduledRow, Store } from './store/types';

const MEDIA_UNAVAILABLE = 'no such media upload for this chat (or it is attached to another message)';
/** Rows taken per store read when sending what is due. */
const BATCH = 50;
/** How often a node looks for rows scheduled through other nodes (its timer never waits longer). */
export const SCHEDULED_CHECK_MS = 5_000;
/** After an unexpected failure (the database, say), the due rows wait this long before the next try. */
const RETRY_MS = 5_000;

export interface ScheduledDeps {
  store: Store;
  atRest: AtRest;
  cloud: Cloud;
  log: Logger;
  now: () => number;
  /** Files of cloud media: a deleted scheduled message's upload goes with it. */
  mediaFiles?: BlobFiles;
}

/** Why a due send was refused, as "Not sent: …" shows it. */
function reasonOf(e: HttpError): string {
  if (e.code === 'blocked') return 'this user blocked you';
  if (e.code === 'you_blocked') return 'you blocked this user';
  if (e.status === 410) return 'this account was deleted';
  return e.message.slice(0, SCHEDULED.reasonMax);
}

export function createScheduled({ store, atRest, cloud, log, now, mediaFiles }: ScheduledDeps) {
  const checkAt = (at: number) => {
    const t = now();
    if (at < t + SCHEDULED.minAheadMs) throw new HttpError(400, 'bad_request', 'Choose a time at least 5 seconds from now.');
    if (at > t + SCHEDULED.maxAheadMs) throw new HttpError(400, 'bad_request', 'Choose a time within 365 days.');
  };

  const mine = async (userId: string, id: string): Promise<ScheduledRow> => {
    const row = await store.getScheduled(id);
    if (!row || row.senderId !== userId) throw new HttpError(404, 'not_found', 'no such scheduled message');
    return row;
  };

  /** The sender's upload to `peerId`, not attached nor held, as the list will show it (the store checks it again when holding it). */
  const mediaOf = async (userId: string, peerId: string, mediaId: string): Promise<ScheduledMedia> => {
    const row = await store.getCloudMedia(mediaId);
    if (!row || row.ownerUserId !== userId || row.toUserId !== peerId || row.messageId !== null) throw new HttpError(404, 'not_found', MEDIA_UNAVAILABLE);
    const { mime, name, width, height } = openMediaMeta(atRest, row);
    return { id: row.id, mime, name, size: row.size, ...(width && height ? { width, height } : {}) };
  };

  let backoffUntil = 0;

  /** Sends `row` now through the normal send path; the row goes in the same transaction. */
  async function sendRow(row: ScheduledRow): Promise<void> {
    const { text, replyTo, media } = openScheduled(atRest, row);
    await cloud.send(row.senderId, row.senderDeviceId, {
      id: row.id,
      toUserId: row.recipientId,
      text,
      replyTo,
      ...(media ? { media: { id: media.id, ttl: 0 } } : {}),
      scheduled: { id: row.id, version: row.version }
    });
  }

  /** A due send the relay refused: the row stays with the reason (a 409: another node sent it, or it changed). */
  async function refused(row: ScheduledRow, e: unknown): Promise<boolean> {
    if (!(e instanceof HttpError) || e.status === 409) return false;
    const r = await store.failScheduled(row.id, row.version, reasonOf(e));
    if (r) await cloud.publish(r.updates);
    return true;
  }

  async function runOnce(): Promise<number> {
    if (now() < backoffUntil) return 0;
    let sent = 0;
    for (const row of await store.dueScheduled(now(), BATCH)) {
      try {
        await sendRow(row);
        sent++;
      } catch (e) {
        if (await refused(row, e).catch(() => false)) continue;
        if (e instanceof HttpError && e.status === 409) continue;
        log.error('scheduled send failed', { id: row.id, err: e instanceof Error ? e : String(e) });
        backoffUntil = now() + RETRY_MS;
        break;
      }
    }
    if (sent > 0) log.debug('scheduled messages sent', { count: sent });
    return sent;
  }

  const timer = createDueScheduler({
    next: async () => {
      const at = await store.nextScheduledAt();
      return at === null ? null : Math.max(at, backoffUntil);
    },
    runOnce,
    log,
    label: 'scheduled messages',
    now,
    maxTimerMs: SCHEDULED_CHECK_MS
  });

  return {
    ...timer,

    async create(userId: string, deviceId: string, req: z.output<typeof ScheduleReq>): Promise<ScheduledMessage> {
      checkAt(req.at);
      const peer = await store.getUser(req.peerId);
      if (!peer) throw new HttpError(404, 'not_found', 'no such user');
      if (peer.deletedAt != null) throw new HttpError(410, 'gone', 'this account was deleted');
      if (req.peerId !== userId) {
        const { aBlockedB, bBlockedA } = await store.blockedBetween(userId, req.peerId);
        if (bBlockedA) throw new HttpError(403, 'blocked', 'This user blocked you: nothing was scheduled.');
        if (aBlockedB) throw new HttpError(403, 'you_blocked', 'You blocked this user. Unblock them to write to them.');
      }
      const media = req.media ? await mediaOf(userId, req.peerId, req.media.id) : undefined;
      const content = { text: req.text, replyTo: req.replyTo ?? null, ...(media ? { media } : {}) };
      const r = await store.createScheduled(
        { id: req.id, senderId: userId, senderDeviceId: deviceId, recipientId: req.peerId, body: sealScheduled(atRest, req.id, content), at: req.at, createdAt: now() },
        req.peerId,
        SCHEDULED.perChatMax,
        media?.id
      );
      if (r === 'media_unavailable') throw new HttpError(404, 'not_found', MEDIA_UNAVAILABLE);
      if (r === 'too_many') throw new HttpError(409, 'too_many_scheduled', `Up to ${SCHEDULED.perChatMax} scheduled messages per chat.`);
      if (r === 'id_conflict') throw new HttpError(409, 'conflict', 'that id is already used');
      await cloud.publish(r.updates);
      timer.scheduled();
      return scheduledWire(atRest, r.row, req.peerId);
    },

    async list(userId: string, peerId: string): Promise<ScheduledMessage[]> {
      const chat = await store.getChat(userId, peerId);
      if (!chat) return [];
      return (await store.listScheduled(userId, chat.id)).map((row) => scheduledWire(atRest, row, peerId));
    },

    async edit(userId: string, id: string, change: z.output<typeof EditScheduledReq>): Promise<ScheduledMessage> {
      const row = await mine(userId, id);
      if (change.at !== undefined) checkAt(change.at);
      const content = openScheduled(atRest, row);
      // A file's caption may be emptied; a text may not.
      if (change.text !== undefined && !content.media && change.text.trim().length === 0) throw new HttpError(400, 'bad_request', 'text: message is empty');
      const body = change.text !== undefined ? sealScheduled(atRest, id, { ...content, text: change.text }) : undefined;
      const r = await store.editScheduled(id, userId, { body, at: change.at });
      if (!r) throw new HttpError(404, 'not_found', 'no such scheduled message');
      await cloud.publish(r.updates);
      timer.scheduled();
      return scheduledWire(atRest, r.row, r.row.recipientId);
    },

    async remove(userId: string, id: string): Promise<void> {
      const r = await store.deleteScheduled(id, userId);
      if (!r) throw new HttpError(404, 'not_found', 'no such scheduled message');
      for (const m of r.media) {
        await mediaFiles?.remove(m).catch((err: unknown) => log.error('media file removal failed', { id: m, err: err instanceof Error ? err : String(err) }));
      }
      await cloud.publish(r.updates);
      timer.scheduled();
    },

    /** Sends it now (a failed one is tried again); a refusal is answered and kept on the row. */
    async sendNow(userId: string, id: string): Promise<void> {
      const row = await mine(userId, id);
      try {
        await sendRow(row);
      } catch (e) {
        if (e instanceof HttpError && e.status !== 409) {
          const r = await store.failScheduled(row.id, row.version, reasonOf(e));
          if (r) await cloud.publish(r.updates);
        }
        throw e;
      }
      timer.scheduled();
    }
  };
}

export type Scheduled = ReturnType<typeof createScheduled>;
