/**
 * Scheduled messages of cloud chats (docs/api.md, "Scheduled messages"): a text the relay keeps sealed
 * and sends as a message from me at `at`, through the normal send path. Text (with its formatting
 * markers) and an optional reply, or a file uploaded first (`POST /api/cloud/media`) with its caption;
 * never in a secret chat (its ratchet encrypts at send time).
 */
import { z } from './zod';
import { LIMITS } from './limits';
import { MEDIA_DIM_MAX } from './media-dims';
import { ClientId, Id, plainText } from './wire-base';

export const SCHEDULED = {
  /** A scheduled time is at least this far ahead (ms)… */
  minAheadMs: 5_000,
  /** …and at most this far (365 days). */
  maxAheadMs: 365 * 24 * 60 * 60 * 1000,
  /** Scheduled messages per chat and sender. */
  perChatMax: 100,
  /** A failure reason as stored and shown ("Not sent: …"). */
  reasonMax: 200
} as const;

const At = z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER));
const Text = plainText(z.string().check(z.maxLength(LIMITS.textMax, 'message is too long')), 'text');
const MediaDim = z.number().check(z.int(), z.minimum(1), z.maximum(MEDIA_DIM_MAX));

/** What a scheduled message's file is, as its sender's list shows it (the relay's upload `id`, readable by me). */
export const ScheduledMedia = z.object({
  id: Id,
  mime: z.string(),
  name: z.string(),
  size: z.number().check(z.int(), z.nonnegative()),
  width: z.optional(MediaDim),
  height: z.optional(MediaDim)
});
export type ScheduledMedia = z.infer<typeof ScheduledMedia>;

/** One of my scheduled messages. `failed`: why the relay could not send it when due (it stays until I delete, edit or send it). */
export const ScheduledMessage = z.object({
  id: ClientId,
  peerId: Id,
  text: z.string().check(z.maxLength(LIMITS.textMax)),
  replyTo: z.nullable(ClientId),
  /** The file it carries (its `text` the caption); absent or null: a text. */
  media: z.optional(z.nullable(ScheduledMedia)),
  at: At,
  createdAt: At,
  failed: z.nullable(z.string().check(z.maxLength(SCHEDULED.reasonMax)))
});
export type ScheduledMessage = z.infer<typeof ScheduledMessage>;

/**
 * Body of `POST /api/cloud/scheduled`: `id` (mine, new) becomes the sent message's id. `media`: my upload to
 * `peerId`, not attached yet (then `text` is its caption and may be empty); no self-destruct timer.
 */
export const ScheduleReq = z
  .object({
    id: ClientId,
    peerId: Id,
    text: Text,
    replyTo: z.optional(z.nullable(ClientId)),
    at: At,
    media: z.optional(z.nullable(z.object({ id: Id, ttl: z.optional(z.number().check(z.int(), z.nonnegative())) })))
  })
  .check(
    z.refine((v) => v.media || v.text.trim().length > 0, { path: ['text'], message: 'message is empty' }),
    z.refine((v) => !v.media?.ttl, { path: ['media', 'ttl'], message: 'A scheduled file cannot have a self-destruct timer.' })
  );
export type ScheduleReq = z.input<typeof ScheduleReq>;

/**
 * Body of `PATCH /api/cloud/scheduled/:id`: a new text (a file's caption, which may be empty) and/or a new
 * time (at least one). The file itself cannot be changed.
 */
export const EditScheduledReq = z
  .object({ text: z.optional(Text), at: z.optional(At) })
  .check(z.refine((v) => v.text !== undefined || v.at !== undefined, 'give text or at'));
export type EditScheduledReq = z.input<typeof EditScheduledReq>;

export const ScheduledListRes = z.object({ scheduled: z.array(ScheduledMessage).check(z.maxLength(SCHEDULED.perChatMax * 2)) });
export type ScheduledListRes = z.infer<typeof ScheduledListRes>;

/**
 * The 'scheduled' update (in my log only): my scheduled message `id` of the chat with `peerId` as it is
 * now (read when the update is served), or null when it is gone (sent, deleted).
 */
export const ScheduledUpdate = z.object({
  kind: z.literal('scheduled'),
  cursor: z.number().check(z.int()),
  peerId: Id,
  id: ClientId,
  item: z.nullable(ScheduledMessage)
});
