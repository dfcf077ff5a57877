/**
 * Scheduled messages of cloud chats (../scheduled.ts): the list held here (read again from the relay
 * when asked and online), and schedule / edit / delete / send now, which need the relay (offline they
 * are refused at once, nothing queued: the text stays in the composer). Each answer is applied here
 * as the 'scheduled' update will say it, under the sync's lock. A file is uploaded first (progress
 * events under the scheduled message's id), then named by the schedule; offline either step is refused
 * and the panel keeps the file.
 */
import { z } from '$lib/api/zod';
import { ScheduledListRes, ScheduledMessage } from '$lib/api/wire-scheduled';
import { SYNC_LOCK, withLock } from '../locks';
import { NetError, request } from '../net';
import { uploadCloudFile } from '../cloud-upload';
import { dropScheduled, keepThumb, replaceScheduled, scheduledViews, sealScheduled } from '../scheduled';
import { CoreError, type CoreContext, type Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'vault' | 'me' | 'emit'>;

const ScheduledRes = z.object({ scheduled: ScheduledMessage });

/** The relay's answer, or the words for being offline. */
async function online<T>(offline: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof NetError && e.code === 'offline') throw new CoreError('offline', offline);
    throw e;
  }
}

const OFFLINE_SCHEDULE = 'You are offline. Connect to schedule this message.';
const OFFLINE_CHANGE = 'You are offline. Connect to change scheduled messages.';
const NO_TIMER = 'A scheduled file cannot have a self-destruct timer.';

async function keep(ctx: Ctx, m: ScheduledMessage) {
  const row = await sealScheduled(ctx.vault, m);
  await withLock(SYNC_LOCK, () => ctx.db.scheduled.put(row));
  ctx.emit({ type: 'scheduled', peerId: m.peerId });
}

async function drop(ctx: Ctx, id: string) {
  const row = await ctx.db.scheduled.get(id);
  await withLock(SYNC_LOCK, () => dropScheduled(ctx.db, id));
  if (row) ctx.emit({ type: 'scheduled', peerId: row.peerId });
}

export const scheduledHandlers: Handlers<'scheduledList' | 'scheduleMessage' | 'editScheduled' | 'deleteScheduled' | 'sendScheduledNow', Ctx> = {
  scheduledList: async (ctx, { peerId, refresh }) => {
    if (refresh) {
      try {
        const { scheduled } = await request('GET', `/api/cloud/chats/${encodeURIComponent(peerId)}/scheduled`, undefined, ScheduledListRes);
        await withLock(SYNC_LOCK, () => replaceScheduled(ctx.db, ctx.vault, peerId, scheduled));
      } catch (e) {
        // Offline (or the relay down): the list held here is shown.
        if (!(e instanceof NetError)) throw e;
      }
    }
    return scheduledViews(ctx.db, ctx.vault, peerId);
  },

  scheduleMessage: async (ctx, { id, peerId, text, replyTo, at, file, thumb, ttl }) => {
    if (file && ttl) throw new CoreError('bad_request', NO_TIMER);
    const sid = id ?? crypto.randomUUID();
    const mediaId = file
      ? await online(OFFLINE_SCHEDULE, () =>
          uploadCloudFile(peerId, { ...file, bytes: new Uint8Array(file.bytes) }, (loaded, total) => ctx.emit({ type: 'progress', id: sid, loaded, total }))
        )
      : undefined;
    const body = { id: sid, peerId, text, replyTo: replyTo ?? null, at, ...(mediaId ? { media: { id: mediaId } } : {}) };
    const { scheduled } = await online(OFFLINE_SCHEDULE, () => request('POST', '/api/cloud/scheduled', body, ScheduledRes));
    // Before the row, so the list never shows it with the icon first (a picture without a row is dropped with it by the sync).
    if (thumb && scheduled.media) await keepThumb(ctx.db, ctx.vault, scheduled.id, scheduled.peerId, thumb);
    await keep(ctx, scheduled);
    const { media } = scheduled;
    return {
      id: scheduled.id,
      peerId: scheduled.peerId,
      text: scheduled.text,
      replyTo: scheduled.replyTo,
      ...(media ? { media } : {}),
      at: scheduled.at,
      failed: scheduled.failed
    };
  },

  editScheduled: async (ctx, { id, text, at }) => {
    const { scheduled } = await online(OFFLINE_SCHEDULE, () =>
      request('PATCH', `/api/cloud/scheduled/${encodeURIComponent(id)}`, { ...(text !== undefined ? { text } : {}), ...(at !== undefined ? { at } : {}) }, ScheduledRes)
    );
    await keep(ctx, scheduled);
    return null;
  },

  deleteScheduled: async (ctx, { id }) => {
    try {
      await online(OFFLINE_CHANGE, () => request('DELETE', `/api/cloud/scheduled/${encodeURIComponent(id)}`, undefined, null));
    } catch (e) {
      // Gone already (sent, or deleted on another device): nothing left to delete.
      if (!(e instanceof NetError && e.status === 404)) throw e;
    }
    await drop(ctx, id);
    return null;
  },

  sendScheduledNow: async (ctx, { id }) => {
    await online(OFFLINE_CHANGE, () => request('POST', `/api/cloud/scheduled/${encodeURIComponent(id)}/send`, undefined, null));
    // The message itself arrives through the sync, like any other.
    await drop(ctx, id);
    return null;
  }
};
