/**
 * The relay's wire contract: every HTTP body and WebSocket frame that crosses the network.
 * Shared by the server (src/lib/server) and the client worker (src/lib/worker); both validate
 * with these schemas, so a malformed message is rejected at the boundary with a clear error.
 *
 * Binary values travel as base64url without padding (see `b64u`).
 */
import { z } from './zod';
import { LIMITS, MUTED_FOREVER, REACTIONS, TTL_CHOICES } from './limits';
import { VoiceMeta } from './voice';
import { MEDIA_DIM_MAX } from './media-dims';
import { ReplyQuote } from './quote';
import { b64u, ClientId, CONTROL_CHARS_MESSAGE, Id, isPlainText, plainText } from './wire-base';
import { Envelope } from './wire-devices';
import { ScheduledUpdate } from './wire-scheduled';
import { PublicUser } from './wire-account';
import { LastSeen, LastSeenPrivacy } from './wire-presence';

export { LIMITS };
export * from './wire-base';
export * from './wire-devices';
export * from './wire-blocks';
export * from './wire-account';
export * from './wire-presence';

/** A device's name as its owner types it in Settings (sign-up and login send the browser's guess). */
export const DeviceName = plainText(
  z
    .string()
    .check(z.trim(), z.minLength(1, 'device name must not be empty'), z.maxLength(LIMITS.deviceNameMax, `device name must be at most ${LIMITS.deviceNameMax} characters`))
);
/** PATCH /api/devices/:id: renames one of the caller's own devices; answers its DeviceInfo. */
export const RenameDeviceReq = z.object({ name: DeviceName });
export type RenameDeviceReq = z.input<typeof RenameDeviceReq>;

/**
 * `protocol`: the highest secret-chat protocol version the device speaks (1: version-1 addressing only;
 * 2: also sealed mailboxes, docs/protocol.md "Version 2"). Absent from an older relay: 1.
 */
export const PublicDevice = z.object({ id: Id, signPub: b64u(32), dhPub: b64u(32), protocol: z._default(z.number().check(z.int(), z.minimum(1)), 1) });
export type PublicDevice = z.infer<typeof PublicDevice>;

/** Body of `POST /api/devices/protocol`: the caller's own device's protocol version. */
export const DeviceProtocolReq = z.object({ protocol: z.union([z.literal(1), z.literal(2)]) });
export type DeviceProtocolReq = z.infer<typeof DeviceProtocolReq>;

// ---------- cloud chats ----------
/**
 * Self-destruct timers for cloud-chat photos and videos (seconds): Telegram's set, as in secret chats.
 * 0 = no timer (the media lives like a normal message).
 */
export const CLOUD_MEDIA_TTLS = TTL_CHOICES;
export const CloudMediaTtl = z.number().check(
  z.int(),
  z.refine((n) => (CLOUD_MEDIA_TTLS as readonly number[]).includes(n), 'Unsupported timer')
);

/**
 * A secret chat's self-destruct timer (seconds): the one schema for the sender's own check and the
 * peer's, so a device never sets a timer its peer would refuse.
 */
export const TimerSeconds = CloudMediaTtl;
/** One of the quick reactions (limits.ts REACTIONS). */
export const Reaction = z.enum(REACTIONS);
/** One user's reaction to a cloud message. */
export const CloudReaction = z.object({ userId: Id, emoji: Reaction });
export type CloudReaction = z.infer<typeof CloudReaction>;

/** Limits of a cloud attachment's metadata (headers of `POST /api/cloud/media`). */
export const CLOUD_MEDIA_LIMITS = { nameMax: 255, mimeMax: 127 } as const;
/** Headers of `POST /api/cloud/media`: the recipient user, the MIME type, the URL-encoded file name. */
export const CLOUD_MEDIA_TO_USER_HEADER = 'x-cinder-to-user';
export const CLOUD_MEDIA_MIME_HEADER = 'x-cinder-mime';
export const CLOUD_MEDIA_NAME_HEADER = 'x-cinder-name';
export const CloudMediaMime = z.pipe(
  z.pipe(
    z.string().check(z.maxLength(CLOUD_MEDIA_LIMITS.mimeMax)),
    z.transform((s: string) => s.toLowerCase())
  ),
  z.string().check(z.regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/, 'must be a MIME type like image/png'))
);
export const CloudMediaName = z.string().check(
  z.trim(),
  z.minLength(1, 'must not be empty'),
  z.maxLength(CLOUD_MEDIA_LIMITS.nameMax, `must be at most ${CLOUD_MEDIA_LIMITS.nameMax} characters`),
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  z.refine((s) => !/[\u0000-\u001f\u007f/\\]/.test(s), 'must not contain control characters or slashes'),
  z.refine((s) => isPlainText(s), CONTROL_CHARS_MESSAGE)
);

/** A photo's or video's width or height in pixels. */
const MediaDim = z.number().check(z.int(), z.minimum(1), z.maximum(MEDIA_DIM_MAX));

/** An attachment of a cloud message (any file; self-destructing when `ttl` > 0). */
export const CloudMedia = z.object({
  /** The relay's id of the attachment (`GET /api/cloud/media/:id`). */
  id: Id,
  mime: z.string(),
  name: z.string(),
  /** Bytes of the plaintext file. */
  size: z.number().check(z.int(), z.nonnegative()),
  /** Self-destruct timer in seconds, 0 = none. */
  ttl: z.number().check(z.int(), z.nonnegative()),
  /** When the recipient first opened it (ms), else null. */
  openedAt: z.nullable(z.number()),
  /** When the relay deletes it and its message for both users (openedAt + ttl), else null. */
  deadline: z.nullable(z.number()),
  /** A voice message's duration and waveform (./voice.ts); absent for other media. */
  voice: z.optional(VoiceMeta),
  /** A photo's or video's size in pixels (./media-dims.ts); absent when not sent (older media, other files). */
  width: z.optional(MediaDim),
  height: z.optional(MediaDim)
});
export type CloudMedia = z.infer<typeof CloudMedia>;

/** Answer of `POST /api/cloud/media` (201). */
export const CloudMediaCreated = z.object({ id: Id });

/**
 * Where a forwarded cloud message first came from (`POST /api/cloud/forward`): written by the relay from
 * the stored original, never taken from a client, and kept through further forwards (the first origin).
 * `user`: the author's profile as the relay serves it now (a deleted account's says so); absent when the
 * relay no longer knows the account at all.
 */
export const ForwardedFrom = z
  .object({ userId: Id, createdAt: z.number(), user: z.optional(PublicUser) })
  .check(z.refine((f) => !f.user || f.user.id === f.userId, 'user must be the author named by userId'));
export type ForwardedFrom = z.infer<typeof ForwardedFrom>;

export const CloudMessage = z.object({
  id: ClientId,
  /** The chat, named by the other user's id from the reader's point of view. */
  peerId: Id,
  /** Server-assigned, strictly increasing per chat, starting at 1. */
  seq: z.number().check(z.int(), z.positive()),
  senderId: Id,
  senderDeviceId: Id,
  text: z.string(),
  replyTo: z.nullable(ClientId),
  /** What the reply quotes of `replyTo` (absent: not a reply, or sent before quotes existed). */
  quote: z.optional(ReplyQuote),
  createdAt: z.number(),
  /** The attached file (uploaded with `POST /api/cloud/media`); the relay always sends it (null: none). */
  media: z.optional(z.nullable(CloudMedia)),
  /** When its author last edited it (the relay's clock); absent: never edited. */
  editedAt: z.optional(z.number()),
  /** The reactions to it, at most one per member (absent: none). */
  reactions: z.optional(z.array(CloudReaction).check(z.maxLength(2))),
  /** A copy forwarded from another message: its original author and time (absent: written here). */
  forwardedFrom: z.optional(ForwardedFrom)
});
export type CloudMessage = z.infer<typeof CloudMessage>;

export const SendCloudReq = z
  .object({
    id: ClientId,
    toUserId: Id,
    /** May be empty only when `media` is given (a caption). */
    text: plainText(z.string().check(z.maxLength(LIMITS.textMax, 'message is too long')), 'text'),
    replyTo: z.optional(z.nullable(ClientId)),
    /**
     * When the sender wrote it (ms since epoch), for a message that waited in an outbox: the relay
     * keeps it as the message's time if it is not in the future and at most `LIMITS.writtenAtMaxAgeMs`
     * old, else it uses its own clock. Absent (older clients): the relay's time.
     */
    writtenAt: z.optional(z.number().check(z.int(), z.nonnegative())),
    /** The quoted snippet of `replyTo`, sealed with the message; only with `replyTo`. */
    quote: z.optional(ReplyQuote),
    /** Attaches an upload of the sender's addressed to `toUserId`, with an optional self-destruct timer. */
    media: z.optional(z.nullable(z.object({ id: Id, ttl: z.optional(CloudMediaTtl) })))
  })
  .check(
    z.superRefine((v, ctx) => {
      if (v.text.length === 0 && !v.media) ctx.addIssue({ code: 'custom', path: ['text'], message: 'message is empty' });
      if (v.quote && !v.replyTo) ctx.addIssue({ code: 'custom', path: ['quote'], message: 'a quote needs replyTo' });
    })
  );
export type SendCloudReq = z.input<typeof SendCloudReq>;

export const ChatSummary = z.object({
  peer: PublicUser,
  lastMessage: z.nullable(CloudMessage),
  /** Highest seq the reader has read. */
  myReadSeq: z.number().check(z.int(), z.nonnegative()),
  /** Highest seq the peer has read (drives two ticks). */
  peerReadSeq: z.number().check(z.int(), z.nonnegative()),
  unread: z.number().check(z.int(), z.nonnegative()),
  /** The reader's own settings of the chat (absent from a relay before them): when pinned, muted until when, archived, marked as unread. */
  pinnedAt: z.optional(z.nullable(z.number().check(z.int(), z.nonnegative()))),
  mutedUntil: z.optional(z.nullable(z.number().check(z.int(), z.nonnegative()))),
  archived: z.optional(z.boolean()),
  markedUnread: z.optional(z.boolean()),
  /** The reader's own "cleared up to" seq (absent or 0: never cleared): older messages are gone for them. */
  clearedSeq: z.optional(z.number().check(z.int(), z.nonnegative()))
});
export type ChatSummary = z.infer<typeof ChatSummary>;

/** How many messages one `POST /api/cloud/forward` copies at most. */
export const FORWARD_MAX = 100;
const ForwardIds = z.array(ClientId).check(z.minLength(1, 'name at least one message'), z.maxLength(FORWARD_MAX, `at most ${FORWARD_MAX} messages at once`));

/**
 * Body of `POST /api/cloud/forward`: copies my chat with `fromPeerId`'s messages `ids` (in that order)
 * into my chat with `toUserId`, as new messages `newIds` (client-chosen, one per id, like
 * SendCloudReq.id: the same request again makes no second copy). `writtenAt`: when the forward was
 * made, for one that waited in an outbox; kept as the copies' time under SendCloudReq.writtenAt's rule.
 */
export const ForwardCloudReq = z
  .object({ toUserId: Id, fromPeerId: Id, ids: ForwardIds, newIds: ForwardIds, writtenAt: z.optional(z.number().check(z.int(), z.nonnegative())) })
  .check(
    z.superRefine((v, ctx) => {
      if (v.newIds.length !== v.ids.length) ctx.addIssue({ code: 'custom', path: ['newIds'], message: 'one new id for each id' });
      if (new Set(v.ids).size !== v.ids.length) ctx.addIssue({ code: 'custom', path: ['ids'], message: 'a message is named twice' });
      if (new Set(v.newIds).size !== v.newIds.length) ctx.addIssue({ code: 'custom', path: ['newIds'], message: 'a new id is named twice' });
      if (v.newIds.some((id) => v.ids.includes(id))) ctx.addIssue({ code: 'custom', path: ['newIds'], message: 'a new id must not name an original' });
    })
  );
export type ForwardCloudReq = z.input<typeof ForwardCloudReq>;
/** Answer of `POST /api/cloud/forward`: the copies, in the order asked, from the forwarder's point of view. */
export const ForwardCloudRes = z.object({ messages: z.array(CloudMessage) });
export type ForwardCloudRes = z.infer<typeof ForwardCloudRes>;

export const ReadReq = z.object({ seq: z.number().check(z.int(), z.positive()) });
export const DeleteCloudReq = z.object({ ids: z.array(ClientId).check(z.minLength(1), z.maxLength(100)) });
/**
 * Body of `POST /api/cloud/chats/:peerId/clear`: clear history up to seq `upTo` (absent: the chat's
 * newest on the relay, what this device has not synced yet too; the app sends none), for me on all my
 * devices, and with `forBoth` deleted for the peer too; with `removeChat` the chat also leaves my list
 * until a later message (Delete chat).
 */
export const ClearCloudReq = z.object({
  upTo: z.optional(z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER))),
  forBoth: z.boolean(),
  removeChat: z.boolean()
});
export type ClearCloudReq = z.input<typeof ClearCloudReq>;
/**
 * Body of `POST /api/cloud/chats/:peerId/edit`: my message `id`'s new text (the limits of a sent text).
 * It may be empty only for a message with an attachment (a caption removed): the relay checks that.
 */
export const EditCloudReq = z.object({
  id: ClientId,
  text: plainText(z.string().check(z.maxLength(LIMITS.textMax, 'message is too long')), 'text')
});
export type EditCloudReq = z.input<typeof EditCloudReq>;

/** Body of `POST /api/cloud/chats/:peerId/react`: my reaction to message `id` of the chat ('' or null removes it). */
export const ReactCloudReq = z.object({ id: ClientId, emoji: z.nullable(z.union([Reaction, z.literal('')])) });
export type ReactCloudReq = z.input<typeof ReactCloudReq>;

/** Body of `POST /api/cloud/chats/:peerId/pin`: pin message `id` of the chat for both members, or unpin it. */
export const PinCloudReq = z.object({ id: ClientId, pinned: z.boolean() });
export type PinCloudReq = z.input<typeof PinCloudReq>;

/** A pinned message of a cloud chat and when it was pinned. */
export const CloudPin = z.object({ id: ClientId, at: z.number().check(z.int(), z.nonnegative()) });
export type CloudPin = z.infer<typeof CloudPin>;
/** Pins an update may carry: room above LIMITS.pinnedMessagesMax, so a later relay raising it is not refused here. */
const PINS_WIRE_MAX = 100;

/** A time `mutedUntil` may name (ms; MUTED_FOREVER: until unmuted). */
const MutedUntil = z.number().check(z.int(), z.nonnegative(), z.lte(MUTED_FOREVER));

/**
 * Body of `PUT /api/cloud/chats/:peerId/settings`: my own settings of the chat, synced to my devices only
 * (the peer never learns them). `pinned`: pin (keeps an earlier pin's time) or unpin; `mutedUntil`: muted
 * until then (ms), null unmutes; `archived`: out of the main list (the relay takes it back out of the
 * archive when the peer's message comes while it is not muted); `markedUnread`: marked as unread by hand
 * (never in Saved Messages: 400), cleared when a device of mine opens the chat. An absent field is left
 * as it is; at least one must be given.
 */
export const ChatSettingsReq = z
  .object({
    pinned: z.optional(z.boolean()),
    mutedUntil: z.optional(z.nullable(MutedUntil)),
    archived: z.optional(z.boolean()),
    markedUnread: z.optional(z.boolean())
  })
  .check(
    z.refine(
      (v) => v.pinned !== undefined || v.mutedUntil !== undefined || v.archived !== undefined || v.markedUnread !== undefined,
      'give pinned, mutedUntil, archived or markedUnread'
    )
  );
export type ChatSettingsReq = z.input<typeof ChatSettingsReq>;

/**
 * One user's own settings of a cloud chat (null: not pinned, not muted). `archived` or `markedUnread`
 * absent: false (a relay from before them).
 */
export const ChatSettings = z.object({
  pinnedAt: z.nullable(z.number().check(z.int(), z.nonnegative())),
  mutedUntil: z.nullable(MutedUntil),
  archived: z.optional(z.boolean()),
  markedUnread: z.optional(z.boolean())
});
export type ChatSettings = z.infer<typeof ChatSettings>;

/** One entry of a user's update log: what every device of the user replays to converge. */
export const Update = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), cursor: z.number().check(z.int()), message: CloudMessage, peer: PublicUser }),
  z.object({
    kind: z.literal('read'),
    cursor: z.number().check(z.int()),
    peerId: Id,
    /** Who read: the reader's own user id or the peer's. */
    readerId: Id,
    seq: z.number().check(z.int(), z.nonnegative())
  }),
  z.object({ kind: z.literal('delete'), cursor: z.number().check(z.int()), peerId: Id, ids: z.array(ClientId) }),
  /** A message's new text (its current one, read when the update is served), and when it was edited. */
  z.object({ kind: z.literal('edit'), cursor: z.number().check(z.int()), peerId: Id, id: ClientId, text: z.string(), editedAt: z.number() }),
  /** Message `id`'s reactions now (all of them, read when the update is served): a device replaces what it had. */
  z.object({ kind: z.literal('react'), cursor: z.number().check(z.int()), peerId: Id, id: ClientId, reactions: z.array(CloudReaction).check(z.maxLength(2)) }),
  /** My own settings of the chat with `peerId` now (in my log only: the peer never learns them). */
  z.object({
    kind: z.literal('settings'),
    cursor: z.number().check(z.int()),
    peerId: Id,
    pinnedAt: z.nullable(z.number().check(z.int(), z.nonnegative())),
    mutedUntil: z.nullable(MutedUntil),
    /** Absent from a relay before archiving: not archived. */
    archived: z.optional(z.boolean()),
    /** Absent from a relay before the unread mark: not marked. */
    markedUnread: z.optional(z.boolean())
  }),
  /** The chat's pinned messages now (all of them, newest pin first, read when the update is served): a device replaces what it had. */
  z.object({ kind: z.literal('pin'), cursor: z.number().check(z.int()), peerId: Id, pins: z.array(CloudPin).check(z.maxLength(PINS_WIRE_MAX)) }),
  /** `peer` (the peer, or me in Saved Messages) changed their name or photo: their profile now, as served to me. */
  z.object({ kind: z.literal('profile'), cursor: z.number().check(z.int()), peerId: Id, peer: PublicUser }),
  /**
   * I cleared my history of the chat with `peerId` up to seq `upTo` (in my log only): every message up
   * to it goes from my devices; `removed`: the chat also leaves my list until a later message.
   */
  z.object({
    kind: z.literal('clear'),
    cursor: z.number().check(z.int()),
    peerId: Id,
    upTo: z.number().check(z.int(), z.nonnegative()),
    removed: z.boolean()
  }),
  /** One of my scheduled messages as it is now, or null once gone (./wire-scheduled.ts; in my log only). */
  ScheduledUpdate
]);
export type Update = z.infer<typeof Update>;

export const SyncRes = z.object({ updates: z.array(Update), cursor: z.number().check(z.int()), more: z.boolean() });
export type SyncRes = z.infer<typeof SyncRes>;

// ---------- WebSocket frames ----------
export const ClientFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ping'), n: z.optional(z.number().check(z.int())) }),
  /** Ephemeral, never stored: "typing…" in a cloud chat. */
  z.object({ t: z.literal('typing'), peerId: Id })
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const ServerFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello'), cursor: z.number().check(z.int()), envelopes: z.number().check(z.int()) }),
  z.object({ t: z.literal('pong'), n: z.optional(z.number().check(z.int())) }),
  /**
   * `prev`: the user's cursor just before this update; a device holding another pulls instead of
   * applying. Optional only so a relay from before it (rolling upgrade) still works: absent → pull.
   */
  z.object({ t: z.literal('update'), update: Update, prev: z.optional(z.number().check(z.int(), z.nonnegative())) }),
  /**
   * `prev`: the seq of the device's newest envelope still queued before this one (0: none). A device
   * that handled everything up to `prev` takes this envelope from the frame; otherwise, or when absent
   * (a relay notice, an older relay), it pulls, so nothing queued earlier is skipped or reordered.
   */
  z.object({ t: z.literal('envelope'), envelope: Envelope, prev: z.optional(z.number().check(z.int(), z.nonnegative())) }),
  z.object({ t: z.literal('typing'), peerId: Id }),
  /**
   * Ephemeral, never logged: a user I share a cloud chat with went online or offline, as I may see it
   * (./wire-presence.ts); `lastSeen` absent: none shown any more (the account was deleted).
   */
  z.object({ t: z.literal('presence'), userId: Id, lastSeen: z.optional(LastSeen) }),
  /** My "last seen" privacy changed (on this or another device of mine): what I see of others may change too. */
  z.object({ t: z.literal('privacy'), lastSeen: LastSeenPrivacy }),
  /** My block list changed (on another device of mine, or a blocked account was deleted): read it again (`GET /api/blocks`). */
  z.object({ t: z.literal('blocks') }),
  z.object({ t: z.literal('revoked') }),
  z.object({ t: z.literal('error'), code: z.string(), message: z.string() })
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** Every 4xx/5xx body. */
export const ApiError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ApiError = z.infer<typeof ApiError>;

/** Error codes the API uses; clients may branch on these. */
export type ErrorCode =
  | 'bad_request'
  | 'invalid_json'
  | 'too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'username_taken'
  /** 409: the username belonged to a deleted account and is still in quarantine. */
  | 'username_quarantined'
  | 'bad_credentials'
  | 'rate_limited'
  | 'conflict'
  /** 410: the thing existed but was withdrawn (a secret-chat request, a deleted message). */
  | 'gone'
  /** 403: only a message's author may edit it. */
  | 'not_author'
  /** 403: the message is older than the edit window (48 h). */
  | 'edit_expired'
  /** 403: not a message that can be edited (one with a self-destructing attachment). */
  | 'not_editable'
  /** 403: not a message that can be forwarded (one with a self-destructing attachment). */
  | 'not_forwardable'
  /** 409: pinning one more chat would pass LIMITS.pinnedMax. */
  | 'too_many_pinned'
  /** 403: the recipient blocked the sender (nothing was stored or sent). */
  | 'blocked'
  /** 403: the sender blocked the recipient: they must unblock them first. */
  | 'you_blocked'
  /** 409: blocking one more user would pass LIMITS.blockedMax. */
  | 'too_many_blocked'
  /** 409: one more scheduled message would pass 100 in the chat. */
  | 'too_many_scheduled'
  /** 413: the user's blob storage quota would be exceeded. */
  | 'quota_exceeded'
  | 'method_not_allowed'
  | 'internal';
