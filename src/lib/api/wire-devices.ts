/**
 * The device-addressed part of the wire contract: secret-chat envelopes, sealed mailboxes, encrypted
 * blobs and Web Push. Re-exported by src/lib/api/wire.ts, which the rest of the code imports.
 */
import { z } from './zod';
import { b64u, ClientId, CONTROL_CHARS_MESSAGE, Id, isPlainText } from './wire-base';

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
/** A `GET /api/envelopes` page; `more`: cut short by the byte budget (LIMITS.envelopePageBytes), so ask for the next. */
export const EnvelopePage = z.object({ envelopes: z.array(Envelope), more: z.optional(z.boolean()) });
export type EnvelopePage = z.infer<typeof EnvelopePage>;
export const AckReq = z.object({ upTo: z.number().check(z.int(), z.positive()) });

// ---------- sealed mailboxes (protocol version 2; docs/protocol.md "Version 2: sealed addressing") ----------
export const MAILBOX_LIMITS = {
  /** Mailboxes per `POST /api/mailboxes` or `POST /api/mailboxes/drop`. */
  perCall: 256,
  /** How far ahead a mailbox may expire (ms); a later expiresAt is clamped to this. */
  maxTtlMs: 4 * 86_400_000,
  /**
   * Unexpired mailboxes per device. A device holds about 4 per version-2 chat (days e-1 … e+2), so
   * this is ~1,000 chats: far above real use, low enough that one device cannot fill the table.
   */
  perDevice: 4096
} as const;
/** One receive mailbox: its id, the capability key senders prove with, and when the relay forgets it (ms). */
export const MailboxReg = z.object({ id: MailboxId, cap: b64u(32), expiresAt: z.number().check(z.int(), z.nonnegative()) });
export type MailboxReg = z.infer<typeof MailboxReg>;
/** Body of `POST /api/mailboxes` (authenticated): registers receive mailboxes for the caller's device. */
export const RegisterMailboxesReq = z.object({ mailboxes: z.array(MailboxReg).check(z.minLength(1), z.maxLength(MAILBOX_LIMITS.perCall)) });
export type RegisterMailboxesReq = z.infer<typeof RegisterMailboxesReq>;
/** Answer of `POST /api/mailboxes`: the ids not registered because another device (or key) holds them; the rest are. */
export const RegisterMailboxesRes = z.object({ conflicts: z.array(MailboxId) });
export type RegisterMailboxesRes = z.infer<typeof RegisterMailboxesRes>;
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
