/**
 * Limits that both sides agree on. The server enforces them; the client checks before sending.
 * Apart from wire.ts so pages can check input without bundling zod.
 */
export const LIMITS = {
  usernameMin: 3,
  usernameMax: 32,
  passwordMin: 8,
  passwordMax: 1024,
  /** A cloud message sent from an outbox keeps the time it was written if it is at most this old (7 days). */
  writtenAtMaxAgeMs: 7 * 24 * 3600_000,
  displayNameMax: 64,
  deviceNameMax: 64,
  textMax: 4096,
  /** Largest JSON body the API accepts (bytes). */
  jsonBodyMax: 256 * 1024,
  /** Largest WebSocket frame the relay accepts (bytes). */
  wsFrameMax: 256 * 1024,
  /** Largest opaque envelope body (bytes, decoded). */
  envelopeMax: 128 * 1024,
  /** Largest media blob the relay stores by default (bytes; MAX_BLOB_BYTES may set another): a file as sent, less its encryption overhead. */
  fileMax: 25 * 1024 * 1024,
  pageMax: 200,
  /**
   * Secret envelopes per `GET /api/envelopes` page: a backlog received in fewer, larger batches (one
   * lock, state seal and transaction per chat per page). A page also stops at envelopePageBytes.
   */
  envelopePageMax: 500,
  /** Envelope body bytes per page (decoded; the first envelope always comes): large envelopes make short pages. */
  envelopePageBytes: 4 * 1024 * 1024,
  syncPageMax: 500,
  /** A message can be edited by its author this long after it was sent (48 h; the relay enforces it for cloud chats). */
  editWindowMs: 48 * 3600_000,
  /** Chats pinned to the top of the list, at most (cloud and secret together on a device; the relay counts cloud ones). */
  pinnedMax: 5,
  /** Messages pinned inside one chat, at most (both members' together; the relay enforces it for cloud chats, each side for a secret one). */
  pinnedMessagesMax: 20,
  /** Users one account may block, at most (the relay enforces it: 409 too_many_blocked). */
  blockedMax: 1000
} as const;

/** `mutedUntil` of a chat muted "until I turn it back on". */
export const MUTED_FOREVER = Number.MAX_SAFE_INTEGER;

/**
 * The quick reactions (Telegram's without premium: one per person per message), in the message menu's
 * order. Part of the contract: a reaction outside this list is refused by the relay and by a secret peer.
 */
export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;
export type Reaction = (typeof REACTIONS)[number];
export const isReaction = (e: unknown): e is Reaction => (REACTIONS as readonly unknown[]).includes(e);

/**
 * Self-destruct timer choices (seconds), Telegram's set; 0 = off. Part of the contract: the peer's worker
 * refuses a secret message whose timer is not one of these, the relay a cloud photo's. The UI lists them.
 */
export const TTL_CHOICES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 30, 60, 3600, 86400, 604800] as const;
