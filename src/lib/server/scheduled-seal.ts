/** A scheduled message's body, sealed at rest like a cloud message's (./cloud.ts), and its wire form. */
import type { ScheduledMedia, ScheduledMessage } from '../api/wire-scheduled';
import type { AtRest } from './atrest';
import type { ScheduledRow } from './store/types';

export interface ScheduledContent {
  text: string;
  replyTo: string | null;
  /** The upload it carries (held for it: cloud_media.scheduled_id), as its sender's list shows it; absent: a text. */
  media?: ScheduledMedia;
}

const aad = (id: string) => `sched:${id}`;

export const sealScheduled = (atRest: AtRest, id: string, content: ScheduledContent): Buffer => atRest.seal(Buffer.from(JSON.stringify(content), 'utf8'), aad(id));

export const openScheduled = (atRest: AtRest, row: ScheduledRow): ScheduledContent => JSON.parse(atRest.open(row.body, aad(row.id)).toString('utf8')) as ScheduledContent;

/** The row as its sender's devices get it (`peerId`: the chat's other member, or the sender in Saved Messages). */
export function scheduledWire(atRest: AtRest, row: ScheduledRow, peerId: string): ScheduledMessage {
  const { text, replyTo, media } = openScheduled(atRest, row);
  return { id: row.id, peerId, text, replyTo, ...(media ? { media } : {}), at: row.at, createdAt: row.createdAt, failed: row.failed };
}
