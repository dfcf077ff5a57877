/**
 * The relay's wire contract: every HTTP body and WebSocket frame that crosses the network.
 * Shared by the server (src/lib/server) and the client worker (src/lib/worker); both validate
 * with these schemas, so a malformed message is rejected at the boundary with a clear error.
 *
 * Binary values travel as base64url without padding (see `b64u`).
 */
import { z } from './zod';
import { LIMITS, TTL_CHOICES } from './limits';
import { VoiceMeta } from './voice';
import { MEDIA_DIM_MAX } from './media-dims';
import { ReplyQuote } from './quote';

export { LIMITS };

/**
 * The one rule for human-readable strings (names, and the metadata strings the relay stores):
 * - `line` (names, file names, URLs): no C0 controls (NUL included), DEL, C1 controls, bidi
 *   embeddings/overrides U+202A–202E or isolates U+2066–2069 (they let a name render as another,
 *   "Trojan Source" style), and no lone surrogates (not representable in UTF-8, so a backend would
 *   store something else). PostgreSQL refuses NUL outright; this keeps both backends the same.
 * - `text` (message text: user content): newlines, tabs and CR are content and bidi controls are
 *   legitimate in right-to-left writing, so only the other C0 controls (NUL included) and lone
 *   surrogates are refused.
 */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const LINE_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const TEXT_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const CONTROL_CHARS_MESSAGE = 'must not contain control characters, bidirectional overrides or unpaired surrogates';
/** Whether `s` passes the rule above for its kind. */
export function isPlainText(s: string, kind: 'line' | 'text' = 'line'): boolean {
  return !(kind === 'line' ? LINE_FORBIDDEN : TEXT_FORBIDDEN).test(s) && !LONE_SURROGATE.test(s);
}
/** Adds the rule to a string schema (after trim/min/max, so their messages come first). */
export const plainText = <S extends z.ZodMiniType<string>>(schema: S, kind: 'line' | 'text' = 'line') =>
  schema.check(
    z.refine((s: string) => isPlainText(s, kind), kind === 'line' ? CONTROL_CHARS_MESSAGE : 'must not contain NUL or other control characters (newline and tab are fine)')
  );

const B64U = /^[A-Za-z0-9_-]*$/;
/** base64url (no padding), optionally of an exact decoded byte length. */
export const b64u = (bytes?: number) => {
  const s = z.string().check(z.regex(B64U, 'must be base64url'));
  if (bytes === undefined) return s;
  const len = Math.ceil((bytes * 4) / 3);
  return s.check(z.length(len, `must be ${bytes} bytes in base64url`));
};

export const Username = z.pipe(
  z.pipe(
    z
      .string()
      .check(
        z.minLength(LIMITS.usernameMin, `username must be at least ${LIMITS.usernameMin} characters`),
        z.maxLength(LIMITS.usernameMax, `username must be at most ${LIMITS.usernameMax} characters`)
      ),
    z.transform((s: string) => s.toLowerCase())
  ),
  z.string().check(z.regex(/^[a-z0-9_]+$/, 'username may contain only a-z, 0-9 and _'))
);

export const Password = z
  .string()
  .check(z.minLength(LIMITS.passwordMin, `password must be at least ${LIMITS.passwordMin} characters`), z.maxLength(LIMITS.passwordMax, 'password is too long'));

export const DisplayName = plainText(
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'display name must not be empty'),
      z.maxLength(LIMITS.displayNameMax, `display name must be at most ${LIMITS.displayNameMax} characters`)
    )
);

/** Ids minted by the server: short opaque strings. */
export const Id = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'malformed id'));
/** Ids minted by clients (message ids, envelope ids): UUIDs, so a resend is idempotent. */
export const ClientId = z.string().check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lowercase UUID'));

export const DeviceKeys = z.object({
  name: plainText(z.string().check(z.trim(), z.minLength(1), z.maxLength(LIMITS.deviceNameMax))),
  /** Ed25519 identity public key (32 bytes). */
  signPub: b64u(32),
  /** X25519 identity public key (32 bytes). */
  dhPub: b64u(32)
});
export type DeviceKeys = z.infer<typeof DeviceKeys>;

// ---------- auth ----------
export const SignupReq = z.object({
  username: Username,
  password: Password,
  displayName: z.optional(DisplayName),
  device: DeviceKeys
});
export type SignupReq = z.input<typeof SignupReq>;

export const LoginReq = z.object({
  username: z.pipe(
    plainText(z.string().check(z.minLength(1), z.maxLength(LIMITS.usernameMax))),
    z.transform((s: string) => s.toLowerCase())
  ),
  password: z.string().check(z.minLength(1), z.maxLength(LIMITS.passwordMax)),
  device: DeviceKeys
});
export type LoginReq = z.input<typeof LoginReq>;

/** The new password follows sign-up's rules; the current one only login's. */
export const ChangePasswordReq = z.object({
  currentPassword: z.string().check(z.minLength(1), z.maxLength(LIMITS.passwordMax)),
  newPassword: Password
});
export type ChangePasswordReq = z.input<typeof ChangePasswordReq>;

/** Answer of a password change and of "sign out all other devices": how many devices were revoked. */
export const SignedOutRes = z.object({ signedOut: z.number().check(z.int(), z.nonnegative()) });
export type SignedOutRes = z.infer<typeof SignedOutRes>;

/** `deleted`: the account was deleted (its username is then empty); absent for every other user. */
export const PublicUser = z.object({ id: Id, username: z.string(), displayName: z.string(), deleted: z.optional(z.literal(true)) });
export type PublicUser = z.infer<typeof PublicUser>;

export const DeviceInfo = z.object({
  id: Id,
  name: z.string(),
  createdAt: z.number(),
  lastSeenAt: z.number(),
  current: z.boolean()
});
export type DeviceInfo = z.infer<typeof DeviceInfo>;

/** Response of signup, login and GET /api/me. The session token is only ever in an HttpOnly cookie. */
export const Session = z.object({
  user: PublicUser,
  device: z.object({ id: Id, name: z.string() })
});
export type Session = z.infer<typeof Session>;

export const UpdateProfileReq = z.object({ displayName: DisplayName });

// ---------- account deletion ----------
/** Body of `POST /api/account/delete`: the password, and the username typed again as the confirmation. */
export const DeleteAccountReq = z.object({
  password: z.string().check(z.minLength(1), z.maxLength(LIMITS.passwordMax)),
  confirm: plainText(z.string().check(z.minLength(1, 'type your username to confirm'), z.maxLength(LIMITS.usernameMax)))
});
export type DeleteAccountReq = z.input<typeof DeleteAccountReq>;

/** "Delete my account if away for": months without any device's activity (0 = never). */
export const AUTO_DELETE_MONTHS = [0, 1, 3, 6, 12] as const;
export const AutoDeleteMonths = z.number().check(
  z.int(),
  z.refine((n) => (AUTO_DELETE_MONTHS as readonly number[]).includes(n), `months must be one of ${AUTO_DELETE_MONTHS.join(', ')}`)
);
/** Body of `PUT /api/account/auto-delete` and the answer of its GET. */
export const AutoDeleteReq = z.object({ months: AutoDeleteMonths });
export type AutoDeleteReq = z.infer<typeof AutoDeleteReq>;
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
  media: z.optional(z.nullable(CloudMedia))
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
  unread: z.number().check(z.int(), z.nonnegative())
});
export type ChatSummary = z.infer<typeof ChatSummary>;

export const ReadReq = z.object({ seq: z.number().check(z.int(), z.positive()) });
export const DeleteCloudReq = z.object({ ids: z.array(ClientId).check(z.minLength(1), z.maxLength(100)) });

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
  z.object({ kind: z.literal('delete'), cursor: z.number().check(z.int()), peerId: Id, ids: z.array(ClientId) })
]);
export type Update = z.infer<typeof Update>;

export const SyncRes = z.object({ updates: z.array(Update), cursor: z.number().check(z.int()), more: z.boolean() });
export type SyncRes = z.infer<typeof SyncRes>;

// ---------- device envelopes (secret chats; opaque to the relay) ----------
/** A sealed mailbox's id: 16 bytes, base64url. */
export const MailboxId = b64u(16);
export const SendEnvelopeReq = z.object({
  id: ClientId,
  toDeviceId: Id,
  /** Opaque ciphertext, padded by the client. */
  body: b64u(),
  /**
   * Marks a secret-chat handshake request fanned out to every device of one user: the relay records
   * the request and lets exactly one of those devices claim it (`POST /api/secret/claim`).
   */
  requestId: z.optional(ClientId)
});
export type SendEnvelopeReq = z.input<typeof SendEnvelopeReq>;
export const Envelope = z.object({
  /** Queue position on the recipient device; acknowledge by this. */
  seq: z.number().check(z.int(), z.positive()),
  id: ClientId,
  /** The sending device and its user; both null on a sealed envelope (`POST /api/sealed`: the relay does not know). */
  fromDeviceId: z.nullable(Id),
  fromUserId: z.nullable(Id),
  body: b64u(),
  createdAt: z.number(),
  /** The handshake request this envelope belongs to (as sent in `SendEnvelopeReq`), else null. */
  requestId: z.nullable(ClientId),
  /**
   * Set only by the relay itself (no client can send one): 'account_deleted' says the sender device's
   * account was deleted, so the recipient's secret chats with that device end. Its body is empty.
   */
  notice: z.optional(z.enum(['account_deleted'])),
  /** The mailbox a sealed envelope was posted to (present only on those; then both senders are null). */
  mailbox: z.optional(MailboxId)
});
export type Envelope = z.infer<typeof Envelope>;
/** An envelope whose sender the relay recorded: every one but a sealed one. */
export type AddressedEnvelope = Envelope & { fromDeviceId: string; fromUserId: string };
export const isAddressed = (e: Envelope): e is AddressedEnvelope => e.fromDeviceId !== null && e.fromUserId !== null;
export const AckReq = z.object({ upTo: z.number().check(z.int(), z.positive()) });

// ---------- sealed mailboxes (protocol version 2; docs/protocol.md "Version 2: sealed addressing") ----------
export const MAILBOX_LIMITS = {
  /** Mailboxes per `POST /api/mailboxes` or `POST /api/mailboxes/drop`. */
  perCall: 256,
  /** How far ahead a mailbox may expire (ms); a later expiresAt is clamped to this. */
  maxTtlMs: 4 * 86_400_000
} as const;
/** One receive mailbox: its id, the capability key senders prove with, and when the relay forgets it (ms). */
export const MailboxReg = z.object({ id: MailboxId, cap: b64u(32), expiresAt: z.number().check(z.int(), z.nonnegative()) });
export type MailboxReg = z.infer<typeof MailboxReg>;
/** Body of `POST /api/mailboxes` (authenticated): registers receive mailboxes for the caller's device. */
export const RegisterMailboxesReq = z.object({ mailboxes: z.array(MailboxReg).check(z.minLength(1), z.maxLength(MAILBOX_LIMITS.perCall)) });
export type RegisterMailboxesReq = z.infer<typeof RegisterMailboxesReq>;
/** Body of `POST /api/mailboxes/drop` (authenticated): forgets the caller's own mailboxes with these ids. */
export const DropMailboxesReq = z.object({ ids: z.array(MailboxId).check(z.minLength(1), z.maxLength(MAILBOX_LIMITS.perCall)) });
export type DropMailboxesReq = z.infer<typeof DropMailboxesReq>;
/**
 * Body of `POST /api/sealed` (no authentication): an envelope for the device owning `mailbox`.
 * `mac` = HMAC-SHA-256(cap, utf8("Cinder/v2/post") || utf8(id) || 0x00 || body bytes).
 */
export const SealedPostReq = z.object({ id: ClientId, mailbox: MailboxId, body: b64u(), mac: b64u(32) });
export type SealedPostReq = z.infer<typeof SealedPostReq>;
/** Answer of `POST /api/envelopes` and `POST /api/sealed`: the envelope's place in the recipient's queue. */
export const EnvelopeQueued = z.object({ seq: z.number().check(z.int(), z.positive()) });
export type EnvelopeQueued = z.infer<typeof EnvelopeQueued>;

/** Body of `POST /api/secret/claim` and `POST /api/secret/withdraw`. */
export const SecretRequestReq = z.object({ requestId: ClientId });
export type SecretRequestReq = z.input<typeof SecretRequestReq>;

// ---------- encrypted media blobs (secret chats; opaque to the relay) ----------
/** Header naming the one device (besides the uploader) allowed to download a blob. */
export const BLOB_TO_DEVICE_HEADER = 'x-cinder-to-device';
/**
 * Instead of a session and BLOB_TO_DEVICE_HEADER, an anonymous upload for a sealed mailbox's device:
 * the mailbox id, and the blob token base64url(HMAC-SHA-256(cap, utf8("Cinder/v2/blob"))).
 */
export const BLOB_MAILBOX_HEADER = 'x-cinder-mailbox';
export const BLOB_TOKEN_HEADER = 'x-cinder-blob-token';
/** Answer of `POST /api/blobs` (201). */
export const BlobCreated = z.object({ id: Id });
export type BlobCreated = z.infer<typeof BlobCreated>;

// ---------- Web Push (content-free wake-ups; docs/api.md "Web Push", docs/timers.md) ----------
export const PUSH_LIMITS = {
  endpointMax: 2048,
  /** Wake-up times per `POST /api/wakeups`. */
  wakeupsPerCall: 100,
  /** How far ahead a wake-up may be registered (ms). */
  wakeupHorizonMs: 8 * 86_400_000,
  /** Wake-ups pending per device. */
  wakeupsPerDevice: 1000
} as const;

/** base64url of an exact byte length; trailing `=` padding (some browsers add it) is accepted and dropped. */
const b64uKey = (bytes: number) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s: string) => s.replace(/=+$/, ''))
    ),
    b64u(bytes)
  );

/** Answer of `GET /api/push/key`: the relay's VAPID public key, for `pushManager.subscribe({applicationServerKey})`. */
export const PushKeyRes = z.object({ publicKey: b64u(65) });
export type PushKeyRes = z.infer<typeof PushKeyRes>;

/**
 * Body of `POST /api/push/subscribe`: `PushSubscription.toJSON()`. The relay additionally requires an
 * https endpoint on a public host name (see `pushEndpointProblem` in src/lib/server/push.ts).
 */
export const PushSubscribeReq = z.object({
  endpoint: z.string().check(
    z.maxLength(PUSH_LIMITS.endpointMax, 'must be at most 2048 characters'),
    z.url('must be a URL'),
    z.refine((s) => /^https?:\/\//i.test(s), 'must be an https URL'),
    z.refine((s) => isPlainText(s), CONTROL_CHARS_MESSAGE)
  ),
  expirationTime: z.optional(z.nullable(z.number())),
  keys: z.object({
    /** The subscription's P-256 public key, uncompressed (65 bytes). */
    // An uncompressed point starts with byte 0x04, i.e. base64url "B" (checked without Buffer: the client uses this too).
    p256dh: b64uKey(65).check(z.refine((s) => s.startsWith('B'), 'must be an uncompressed P-256 point')),
    /** The subscription's auth secret (16 bytes). */
    auth: b64uKey(16)
  })
});
export type PushSubscribeReq = z.input<typeof PushSubscribeReq>;

/** Body of `POST /api/wakeups`: deadlines (ms since the epoch) at which the device wants a `wake` push. */
export const WakeupsReq = z.object({
  at: z
    .array(z.number().check(z.int('must be whole milliseconds'), z.nonnegative()))
    .check(z.minLength(1, 'must list at least one time'), z.maxLength(PUSH_LIMITS.wakeupsPerCall, `at most ${PUSH_LIMITS.wakeupsPerCall} times per call`))
});
export type WakeupsReq = z.input<typeof WakeupsReq>;

/**
 * The decrypted payload of every push the relay sends. Content-free on purpose: the service worker
 * fetches what is pending itself. envelope: a secret-chat envelope is queued for this device;
 * update: a new cloud message; wake: a registered self-destruct deadline passed.
 */
export const PushPayload = z.object({ t: z.enum(['envelope', 'update', 'wake']) });
export type PushPayload = z.infer<typeof PushPayload>;

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
  /** 410: the thing existed but was withdrawn (a secret-chat request). */
  | 'gone'
  /** 413: the user's blob storage quota would be exceeded. */
  | 'quota_exceeded'
  | 'method_not_allowed'
  | 'internal';
