/**
 * The method table of the worker's RPC, declared once: each method's params schema and result type.
 * The page-side types (`Method`, `Params<M>`, `Result<M>`, re-exported by ../protocol as types only)
 * and the worker's runtime validation (`parseRequest`, `parseParams`) both derive from it. Pages
 * import this file for its types only, so zod never reaches their bundle.
 */
import { z } from '$lib/api/zod';
import { isAudioMime, VoiceMeta } from '$lib/api/voice';
import { hasDims, MEDIA_DIM_MAX } from '$lib/api/media-dims';
import { AutoDeleteReq, PrivacyReq, CloudMediaTtl, DeviceName, FORWARD_MAX, LIMITS, Reaction, TimerSeconds } from '$lib/api/wire';
import { ReplyQuote } from '$lib/api/quote';
import { SEARCH_QUERY_MAX, SEARCH_RERUN_MAX } from '$lib/api/search-text';
import { MUTED_FOREVER } from '$lib/api/limits';
import { PHOTO_MAX } from '$lib/api/photo';
import { THUMB_MAX } from '$lib/api/thumb';
import type {
  BlockedUserView,
  ChatView,
  ConnectionState,
  DeviceView,
  DiagnosticsView,
  KeyView,
  LastSeenPrivacyView,
  LastSeenView,
  MessagesPage,
  MessageView,
  PinnedView,
  PrefsView,
  SecretChatView,
  ScheduledView,
  SecretMessageView,
  SessionView,
  UserView
} from '../protocol';

/** A method's result type, carried by the table for the type system only (no runtime value). */
const returns = <R>(): R => undefined as R;

const None = z.object({});
const Str = (max: number) => z.string().check(z.maxLength(max));
const StrIn = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
const Uuid = z.string().check(z.uuid());
/** The most peers one `lastSeenMany` asks for (a chat list larger than any real one). */
const LIST_PEERS_MAX = 5000;
const PeerParams = z.object({ peerId: StrIn(1, 64) });
const ChatParams = z.object({ id: Uuid });
const IdsParams = z.extend(ChatParams, { ids: z.array(Uuid).check(z.minLength(1), z.maxLength(500)) });
const MessageIdParams = z.object({ messageId: Uuid });
const Text = z.string().check(z.trim(), z.minLength(1, 'Message is empty'), z.maxLength(LIMITS.textMax, 'Message is too long'));
/** An edit's new text: trimmed; empty only for a file's caption (the worker or the relay refuses it for a text). */
const EditText = z.string().check(z.trim(), z.maxLength(LIMITS.textMax, 'Message is too long'));
/** A draft as typed: untrimmed, and empty once the field is. */
const DraftText = z.string().check(z.maxLength(LIMITS.textMax, 'Message is too long'));
// z.number() refuses Infinity and NaN by itself (full zod's .finite() was a no-op).
/** One of REACTIONS, or '' to remove mine. */
const Emoji = z.union([Reaction, z.literal('')]);
const ChatKind = z.enum(['cloud', 'secret']);
const SecretCursor = z.optional(z.object({ at: z.number(), id: StrIn(1, 64) }));
/** The relay's default MAX_BLOB_BYTES, less room for the AES-GCM nonce and tag. */
export const MAX_FILE_BYTES = LIMITS.fileMax - 64;
const MediaDim = z.number().check(z.int(), z.minimum(1), z.maximum(MEDIA_DIM_MAX));
const FileBytes = z.instanceof(ArrayBuffer).check(z.refine((b) => b.byteLength > 0 && b.byteLength <= MAX_FILE_BYTES, 'Files up to 25 MB can be sent'));
/** A file to schedule in a cloud chat (a photo's or video's size in pixels along, as for a send). */
const ScheduledFile = z
  .object({
    name: z.string().check(z.trim(), z.minLength(1), z.maxLength(255)),
    mime: z.string().check(z.maxLength(127), z.regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, 'Unknown file type')),
    bytes: FileBytes,
    width: z.optional(MediaDim),
    height: z.optional(MediaDim)
  })
  .check(
    z.refine((f) => (f.width === undefined && f.height === undefined) || (f.width !== undefined && f.height !== undefined && hasDims(f.mime)), {
      message: 'Only a photo or video has a size, and it needs both sides',
      path: ['width']
    })
  );
/** A chat key's fingerprint (verify/), as the page holds it: 32 to 64 bytes. */
const KeyBytes = z.custom<Uint8Array>((b) => b instanceof Uint8Array && b.length >= 32 && b.length <= 64, 'A key is 32 to 64 bytes');
/** An attachment's plaintext as pages get it. */
type MediaBytes = { bytes: ArrayBuffer; mime: string; name: string };

export const METHODS = {
  // ---------- session and passcode lock ----------
  init: { params: None, result: returns<{ session: SessionView | null; connection: ConnectionState; locked: boolean; hasPasscode: boolean }>() },
  lock: { params: None, result: returns<null>() },
  unlock: { params: z.object({ passcode: StrIn(1, 256) }), result: returns<null>() },
  setPasscode: { params: z.object({ passcode: z.string().check(z.minLength(4, 'Use at least 4 characters'), z.maxLength(256)) }), result: returns<null>() },
  removePasscode: { params: None, result: returns<null>() },
  signup: {
    params: z.object({ username: Str(64), password: Str(LIMITS.passwordMax), displayName: z.optional(Str(LIMITS.displayNameMax)) }),
    result: returns<SessionView>()
  },
  login: { params: z.object({ username: Str(64), password: Str(LIMITS.passwordMax) }), result: returns<SessionView>() },
  logout: { params: None, result: returns<null>() },

  // ---------- account and devices ----------
  updateProfile: { params: z.object({ displayName: Str(LIMITS.displayNameMax) }), result: returns<SessionView>() },
  listDevices: { params: None, result: returns<DeviceView[]>() },
  revokeDevice: { params: z.object({ id: StrIn(1, 64) }), result: returns<null>() },
  /** One of this account's devices, renamed (the relay checks the name like every human string). */
  renameDevice: { params: z.object({ id: StrIn(1, 64), name: DeviceName }), result: returns<DeviceView>() },
  /** Both sign out every other device of the account; the result is how many. */
  changePassword: {
    params: z.object({ currentPassword: Str(LIMITS.passwordMax), newPassword: Str(LIMITS.passwordMax) }),
    result: returns<{ signedOut: number }>()
  },
  revokeOtherDevices: { params: None, result: returns<{ signedOut: number }>() },
  /** Deletes the account on the relay (password and the username typed again), then wipes this device. */
  deleteAccount: { params: z.object({ password: Str(LIMITS.passwordMax), confirm: Str(64) }), result: returns<null>() },
  /** "Delete my account if away for N months" (0 = never). */
  getAutoDelete: { params: None, result: returns<{ months: number }>() },
  setAutoDelete: { params: AutoDeleteReq, result: returns<{ months: number }>() },
  /** Who sees my "last seen" (online only: the relay's word). */
  getPrivacy: { params: None, result: returns<{ lastSeen: LastSeenPrivacyView }>() },
  setPrivacy: { params: PrivacyReq, result: returns<{ lastSeen: LastSeenPrivacyView }>() },
  /** A person's "online" / "last seen" as I may see it (../presence.ts); null when not known (offline) or none (a deleted account, myself). */
  lastSeen: { params: z.object({ userId: StrIn(1, 64) }), result: returns<LastSeenView | null>() },
  /** The chat list's peers at once (asked of the relay in batches); users it says nothing of are left out. */
  lastSeenMany: { params: z.object({ userIds: z.array(StrIn(1, 64)).check(z.maxLength(LIST_PEERS_MAX)) }), result: returns<Record<string, LastSeenView>>() },

  // ---------- people and the chat list ----------
  searchUsers: { params: z.object({ q: Str(64) }), result: returns<UserView[]>() },
  userByName: { params: z.object({ username: Str(64) }), result: returns<UserView>() },
  listChats: { params: None, result: returns<ChatView[]>() },
  /** `refresh`: also ask the relay for the peer's profile (a rename, a deleted account) and announce a change. */
  chat: { params: z.extend(PeerParams, { refresh: z.optional(z.boolean()) }), result: returns<{ peer: UserView; peerReadSeq: number }>() },

  // ---------- blocked users (../blocks.ts) ----------
  /** My blocked users as this device last heard them (offline too), the latest blocked first. */
  blockedUsers: { params: None, result: returns<BlockedUserView[]>() },
  /** Blocks a user at the relay (online only: needs_connection otherwise); idempotent. */
  blockUser: { params: z.object({ userId: StrIn(1, 64) }), result: returns<BlockedUserView>() },
  /** Unblocks a user at the relay (online only); idempotent. */
  unblockUser: { params: z.object({ userId: StrIn(1, 64) }), result: returns<null>() },

  // ---------- profile photos ----------
  /** A person's photo at `version` (fetched once, then cached); without `version`, only what is cached. Null: none to show. */
  photo: { params: z.object({ userId: StrIn(1, 64), version: z.optional(z.number().check(z.int(), z.positive())) }), result: returns<Blob | null>() },
  /** My new photo, as the page re-encoded it; the session with its version. */
  setPhoto: {
    params: z.object({
      bytes: z.instanceof(ArrayBuffer).check(z.refine((b) => b.byteLength > 0 && b.byteLength <= PHOTO_MAX, 'A photo up to 256 KB')),
      type: z.enum(['image/jpeg', 'image/webp'])
    }),
    result: returns<SessionView>()
  },
  removePhoto: { params: None, result: returns<SessionView>() },

  // ---------- cloud chats ----------
  /**
   * A page of a cloud chat, oldest first: the newest (with the outbox's messages after it), the one
   * before `beforeSeq`, or the one after `afterSeq` (a long chat's window moving back down).
   * `hasMore`: older messages exist; `hasNewer`: stored messages exist after this page.
   */
  messages: {
    params: z
      .extend(PeerParams, {
        beforeSeq: z.optional(z.number().check(z.int(), z.positive())),
        afterSeq: z.optional(z.number().check(z.int(), z.nonnegative())),
        limit: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(LIMITS.pageMax)))
      })
      .check(z.refine((q) => q.beforeSeq === undefined || q.afterSeq === undefined, 'beforeSeq and afterSeq exclude each other')),
    result: returns<{ messages: MessageView[]; hasMore: boolean; hasNewer: boolean }>()
  },
  /** The stored messages of the chat among `ids` (an edit rewrote them), in no particular order; the others are left out. */
  messageRows: { params: z.extend(PeerParams, { ids: z.array(Uuid).check(z.minLength(1), z.maxLength(500)) }), result: returns<MessageView[]>() },
  /** Ids of the messages still stored with fromSeq ≤ seq ≤ toSeq, at most 1,000 (nothing decrypted): a long window drops what is gone. */
  messageIds: {
    params: z
      .extend(PeerParams, { fromSeq: z.number().check(z.int(), z.positive()), toSeq: z.number().check(z.int(), z.positive()) })
      .check(z.refine((q) => q.fromSeq <= q.toSeq, 'fromSeq comes before toSeq')),
    result: returns<string[]>()
  },
  send: { params: z.extend(PeerParams, { text: Text, replyTo: z.optional(z.nullable(Uuid)), quote: z.optional(ReplyQuote) }), result: returns<MessageView>() },
  markRead: { params: z.extend(PeerParams, { seq: z.number().check(z.int(), z.positive()) }), result: returns<null>() },
  deleteMessages: { params: z.extend(PeerParams, { ids: z.array(Uuid).check(z.minLength(1), z.maxLength(100)) }), result: returns<null>() },
  /** Edits my cloud message `id` at the relay (the author, within 48 h; a text, or an untimed file's caption); every device gets it through the update log. */
  editMessage: { params: z.extend(PeerParams, { id: Uuid, text: EditText }), result: returns<null>() },
  /** Sets my reaction to cloud message `id` ('' removes it), on every device of both users (through the relay's log). */
  reactMessage: { params: z.extend(PeerParams, { id: Uuid, emoji: Emoji }), result: returns<null>() },
  /** Deletes cloud messages on this device only ("Delete for me"); the peer keeps them. */
  deleteForMe: { params: z.extend(PeerParams, { ids: z.array(Uuid).check(z.minLength(1), z.maxLength(100)) }), result: returns<null>() },
  /**
   * Clears my cloud chat's history up to its newest message here, on all my devices, and with `forBoth`
   * for the peer too; `removeChat` also takes it out of my list until a later message (online only).
   */
  /** My scheduled messages of the cloud chat held here, earliest first; `refresh`: read from the relay first when online. */
  scheduledList: { params: z.extend(PeerParams, { refresh: z.optional(z.boolean()) }), result: returns<ScheduledView[]>() },
  /**
   * Has the relay send `text` (and the reply) to the cloud chat at `at` (online only; the relay checks the
   * time). With `file`: uploads it first (progress events carry the scheduled message's id), `text` its
   * caption (may be empty); no self-destruct timer (`ttl` > 0 is refused). `thumb`: a photo's or video's
   * small picture (JPEG, made in the page) this device keeps for its Scheduled view until the row goes.
   */
  scheduleMessage: {
    params: z
      .extend(PeerParams, {
        id: z.optional(Uuid),
        text: z.string().check(z.trim(), z.maxLength(LIMITS.textMax, 'Message is too long')),
        replyTo: z.optional(z.nullable(Uuid)),
        at: z.number().check(z.int(), z.nonnegative()),
        file: z.optional(ScheduledFile),
        thumb: z.optional(z.instanceof(ArrayBuffer).check(z.refine((b) => b.byteLength > 0 && b.byteLength <= THUMB_MAX, 'The small picture is too large'))),
        ttl: z.optional(z.number().check(z.int(), z.nonnegative()))
      })
      .check(
        z.refine((p) => p.file !== undefined || p.text.length > 0, { message: 'Message is empty', path: ['text'] }),
        z.refine((p) => p.thumb === undefined || (p.file !== undefined && hasDims(p.file.mime)), {
          message: 'Only a photo or video has a small picture',
          path: ['thumb']
        })
      ),
    result: returns<ScheduledView>()
  },
  /** A new text (a file's caption, which may be emptied: the relay refuses an empty text) and/or time for my scheduled message (online only). */
  editScheduled: {
    params: z
      .object({
        id: Uuid,
        text: z.optional(z.string().check(z.trim(), z.maxLength(LIMITS.textMax, 'Message is too long'))),
        at: z.optional(z.number().check(z.int(), z.nonnegative()))
      })
      .check(z.refine((p) => p.text !== undefined || p.at !== undefined, 'give text or at')),
    result: returns<null>()
  },
  deleteScheduled: { params: z.object({ id: Uuid }), result: returns<null>() },
  /** Has the relay send my scheduled message now (online only); it then arrives like any message. */
  sendScheduledNow: { params: z.object({ id: Uuid }), result: returns<null>() },
  clearCloudChat: { params: z.extend(PeerParams, { forBoth: z.boolean(), removeChat: z.boolean() }), result: returns<null>() },
  typing: { params: PeerParams, result: returns<null>() },
  /** Forwards messages of my cloud chat with `fromPeerId` (in the chat's order) to my cloud chat with `toPeerId`; the relay copies them (offline: queued in the outbox, shown pending). */
  forwardMessages: {
    params: z
      .object({ fromPeerId: StrIn(1, 64), toPeerId: StrIn(1, 64), ids: z.array(Uuid).check(z.minLength(1), z.maxLength(FORWARD_MAX)) })
      .check(z.refine((p) => new Set(p.ids).size === p.ids.length, 'a message is named twice')),
    result: returns<null>()
  },
  syncNow: { params: None, result: returns<null>() },
  /**
   * The page is about to be left (or to reload itself): no new storage work for a few seconds, and the
   * answer comes once nothing runs in IndexedDB (store/tx-locks.ts says why). Served before the core is ready.
   */
  leaving: { params: None, result: returns<null>() },
  /** Retries what waits in the outbox and the secret send queue now (the network is back, or the app is visible again). */
  retryQueued: { params: None, result: returns<null>() },
  /** The browser reported going offline (the page's `offline` event): shown at once, and the open socket is checked. */
  networkLost: { params: None, result: returns<null>() },

  // ---------- secret chats ----------
  startSecretChat: { params: PeerParams, result: returns<{ id: string }>() },
  secretChat: { params: ChatParams, result: returns<SecretChatView>() },
  /**
   * A page of a secret chat in display order (`at`, then id): the newest `limit`, the ones just
   * before or after a message, or everything `from` a message on (a window's refresh), at most `limit`.
   */
  secretMessages: {
    params: z
      .extend(ChatParams, {
        before: SecretCursor,
        after: SecretCursor,
        from: SecretCursor,
        // Local reads only (a page's whole window at most), nothing goes to the relay.
        limit: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(1000)))
      })
      .check(z.refine((q) => [q.before, q.after, q.from].filter(Boolean).length <= 1, 'before, after and from exclude each other')),
    result: returns<{ messages: SecretMessageView[]; hasMore: boolean; hasNewer: boolean }>()
  },
  /** These messages of a secret chat as the window shows them; ids no longer stored in it are left out. */
  secretRows: {
    params: z.extend(ChatParams, { ids: z.array(StrIn(1, 64)).check(z.minLength(1), z.maxLength(500)) }),
    result: returns<SecretMessageView[]>()
  },
  secretSend: {
    params: z.extend(ChatParams, { text: Text, replyTo: z.optional(z.nullable(Uuid)), quote: z.optional(ReplyQuote) }),
    result: returns<{ id: string }>()
  },
  secretRead: { params: IdsParams, result: returns<null>() },
  secretTyping: { params: ChatParams, result: returns<null>() },
  secretDelete: { params: IdsParams, result: returns<null>() },
  /** Edits my message `msg` (a text, or a file's caption; no timer, at most 48 h old) here and on the peer's device; an unchanged text sends nothing. */
  secretEdit: { params: z.extend(ChatParams, { msg: Uuid, text: EditText }), result: returns<null>() },
  /** Sets my reaction to message `msg` ('' removes it) here and on the peer's device. */
  secretReact: { params: z.extend(ChatParams, { msg: Uuid, emoji: Emoji }), result: returns<null>() },
  /** Deletes secret messages on this device only ("Delete for me"); nothing is sent to the peer. */
  secretDeleteForMe: { params: IdsParams, result: returns<null>() },
  secretClear: { params: ChatParams, result: returns<null>() },
  secretDeleteChat: { params: ChatParams, result: returns<null>() },
  secretSetTimer: { params: z.extend(ChatParams, { seconds: TimerSeconds }), result: returns<null>() },
  secretScreenshot: { params: ChatParams, result: returns<null>() },
  diagnostics: { params: None, result: returns<DiagnosticsView>() },

  // ---------- verification ----------
  secretKey: { params: ChatParams, result: returns<KeyView>() },
  /** `fingerprint`: the key the user compared (scanned or shown); the worker refuses any other than the chat's. */
  secretVerify: {
    params: z.extend(ChatParams, { fingerprint: KeyBytes }),
    result: returns<null>()
  },

  // ---------- media ----------
  secretSendFile: {
    params: z
      .extend(ChatParams, {
        name: StrIn(1, 255),
        mime: Str(127),
        bytes: FileBytes,
        caption: z.optional(Str(LIMITS.textMax)),
        /** This file's own self-destruct timer (the photo preview's choice); the chat's timer without it. */
        ttl: z.optional(TimerSeconds),
        /** A photo's or video's size in pixels, sent along so the peer reserves its box before it loads. */
        width: z.optional(MediaDim),
        height: z.optional(MediaDim),
        /** A voice message's duration and waveform (the file is then its audio). */
        voice: z.optional(VoiceMeta)
      })
      .check(z.refine((p) => !p.voice || isAudioMime(p.mime), { message: 'A voice message must be audio', path: ['mime'] })),
    result: returns<{ id: string }>()
  },
  secretMedia: { params: MessageIdParams, result: returns<MediaBytes>() },
  /** Uploads a file (photo, video, voice message, any other) to a cloud chat (progress events carry the returned message id), then sends it. */
  cloudSendMedia: {
    params: z
      .extend(PeerParams, {
        name: z.string().check(z.trim(), z.minLength(1), z.maxLength(255)),
        mime: z.string().check(z.maxLength(127), z.regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, 'Unknown file type')),
        bytes: FileBytes,
        ttl: CloudMediaTtl,
        /** Sent as the message's text (the attach panel's caption). */
        caption: z.optional(Str(LIMITS.textMax)),
        /** A voice message's duration and waveform (the file is then its audio). */
        voice: z.optional(VoiceMeta),
        /** A photo's or video's size in pixels, sent along so the peer reserves its box before it loads. */
        width: z.optional(MediaDim),
        height: z.optional(MediaDim)
      })
      .check(
        z.refine((p) => !p.voice || isAudioMime(p.mime), { message: 'A voice message must be audio', path: ['mime'] }),
        z.refine((p) => (p.width === undefined && p.height === undefined) || (p.width !== undefined && p.height !== undefined && hasDims(p.mime)), {
          message: 'Only a photo or video has a size, and it needs both sides',
          path: ['width']
        })
      ),
    result: returns<MessageView>()
  },
  /** A cloud message's attachment (cached sealed on the device after the first download). */
  cloudMedia: { params: MessageIdParams, result: returns<MediaBytes>() },
  /** The recipient opened a (timed) attachment: starts its timer on the relay; returns its deadline. */
  cloudMediaOpened: { params: MessageIdParams, result: returns<{ deadline: number | null }>() },

  // ---------- drafts (kept on this device only, see ../drafts.ts) ----------
  /** A cloud chat's stored draft, with the message it replies to while that is still stored; null without one. */
  draft: { params: PeerParams, result: returns<{ text: string; replyTo: MessageView | null } | null>() },
  /** Stores a cloud chat's draft as typed so far (ignored for a chat not stored here); blank text deletes it. */
  saveDraft: { params: z.extend(PeerParams, { text: DraftText, replyTo: z.optional(z.nullable(Uuid)) }), result: returns<null>() },
  secretDraft: { params: ChatParams, result: returns<{ text: string; replyTo: SecretMessageView | null } | null>() },
  /** Stores a secret chat's draft while the chat is active (ignored otherwise); blank text deletes it. */
  secretSaveDraft: { params: z.extend(ChatParams, { text: DraftText, replyTo: z.optional(z.nullable(Uuid)) }), result: returns<null>() },

  // ---------- a chat's pin, mute, archive and unread mark (./chat-settings.ts) ----------
  /** Pins (at most LIMITS.pinnedMax chats: too_many_pinned) or unpins a chat; a cloud chat's on every device of mine. */
  pinChat: { params: z.object({ kind: ChatKind, id: StrIn(1, 64), pinned: z.boolean() }), result: returns<null>() },
  /** Mutes a chat's notifications until `mutedUntil` (ms; MUTED_FOREVER: until unmuted), or unmutes it (null). */
  muteChat: {
    params: z.object({ kind: ChatKind, id: StrIn(1, 64), mutedUntil: z.nullable(z.number().check(z.int(), z.nonnegative(), z.lte(MUTED_FOREVER))) }),
    result: returns<null>()
  },
  /** Archives a chat (out of the main list; the peer's message brings it back unless muted) or unarchives it; a cloud chat's on every device of mine. */
  archiveChat: { params: z.object({ kind: ChatKind, id: StrIn(1, 64), archived: z.boolean() }), result: returns<null>() },
  /**
   * Marks a chat as unread (an unread badge without a number until it is opened; never Saved Messages:
   * bad_request) or takes the mark off (opening the chat does); a cloud chat's on every device of mine.
   */
  markChatUnread: { params: z.object({ kind: ChatKind, id: StrIn(1, 64), marked: z.boolean() }), result: returns<null>() },
  /**
   * "Mark as read": takes the mark off and, in a cloud chat, reads its messages up to the newest (the
   * peer sees them read). A secret chat's messages stay unread: their receipts start the sender's
   * timers, so only the screen showing them sends those.
   */
  markChatRead: { params: z.object({ kind: ChatKind, id: StrIn(1, 64) }), result: returns<null>() },

  // ---------- search inside a chat (./search.ts) ----------
  /**
   * The messages of one chat stored on this device whose text, caption or file name holds `query`
   * (see $lib/api/search-text), newest first, at most 1,000 (`more`: there were others). Empty for a
   * query too short. `partial`: older history may exist only on the relay (a cloud chat).
   */
  searchChat: {
    params: z.object({ kind: z.enum(['cloud', 'secret']), id: StrIn(1, 64), query: Str(SEARCH_QUERY_MAX) }),
    result: returns<{ ids: string[]; more: boolean; partial: boolean }>()
  },
  /**
   * Every chat's stored messages (cloud, Saved Messages, archived and secret chats) that hold `query`,
   * newest first across chats, SEARCH_PAGE at a time (`limit`: more at once, up to SEARCH_RERUN_MAX, when a
   * shown search is re-run with its loaded pages); `before` is the previous page's `next`. An empty page
   * for a query too short, or when a newer search superseded this one.
   */
  searchMessages: {
    params: z.object({
      query: Str(SEARCH_QUERY_MAX),
      before: SecretCursor,
      limit: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(SEARCH_RERUN_MAX)))
    }),
    result: returns<MessagesPage>()
  },
  /** The cloud chat's page around one stored message (it included): where a search result or a quote's original far back is shown; null when not stored. */
  messagesAround: {
    params: z.extend(PeerParams, { messageId: Uuid }),
    result: returns<{ messages: MessageView[]; hasMore: boolean; hasNewer: boolean } | null>()
  },
  /** The same for a secret chat. */
  secretMessagesAround: {
    params: z.extend(ChatParams, { messageId: StrIn(1, 64) }),
    result: returns<{ messages: SecretMessageView[]; hasMore: boolean; hasNewer: boolean } | null>()
  },

  // ---------- pinned messages (./pins.ts) ----------
  /** The open chat's pinned messages whose messages are here, newest pin first, with one line of each (its pinned bar). */
  pinnedMessages: { params: z.object({ kind: ChatKind, id: StrIn(1, 64) }), result: returns<PinnedView[]>() },
  /** Pins message `msg` of the chat for both members (cloud: a queued action for the relay, shown at once, offline too; secret: with the peer's device), or unpins it. */
  pinMessage: { params: z.object({ kind: ChatKind, id: StrIn(1, 64), msg: Uuid, pinned: z.boolean() }), result: returns<null>() },

  // ---------- opening a chat (./opening.ts) ----------
  /**
   * The page a cloud chat opens at: around its first unread message (`unreadFrom`, where the "Unread
   * messages" divider goes), else its newest page of `limit` messages (`unreadFrom` null).
   */
  messagesOpening: {
    params: z.extend(PeerParams, { limit: z.number().check(z.int(), z.minimum(1), z.maximum(LIMITS.pageMax)) }),
    result: returns<{ messages: MessageView[]; hasMore: boolean; hasNewer: boolean; unreadFrom: string | null }>()
  },
  /** The same for a secret chat (an active one: only its messages can be read). */
  secretMessagesOpening: {
    params: z.extend(ChatParams, { limit: z.number().check(z.int(), z.minimum(1), z.maximum(1000)) }),
    result: returns<{ messages: SecretMessageView[]; hasMore: boolean; hasNewer: boolean; unreadFrom: string | null }>()
  },

  // ---------- push and preferences ----------
  pushKey: { params: None, result: returns<{ publicKey: string }>() },
  pushSubscribe: {
    params: z.object({ endpoint: z.string().check(z.url(), z.maxLength(2048)), keys: z.object({ p256dh: Str(200), auth: Str(100) }) }),
    result: returns<null>()
  },
  pushUnsubscribe: { params: None, result: returns<null>() },
  prefs: { params: None, result: returns<PrefsView>() },
  setPrefs: {
    params: z.object({ hidePreviews: z.optional(z.boolean()), autoLockMinutes: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(1440))) }),
    result: returns<PrefsView>()
  }
} satisfies Record<string, { params: z.ZodMiniType<object>; result: unknown }>;

export type Method = keyof typeof METHODS;
/** What a page passes (before validation). */
export type Params<M extends Method> = z.input<(typeof METHODS)[M]['params']>;
/** What a handler receives (after validation: trimmed, defaults applied, unknown keys dropped). */
export type ValidParams<M extends Method> = z.output<(typeof METHODS)[M]['params']>;
export type Result<M extends Method> = (typeof METHODS)[M]['result'];

export type Request = { kind: 'call'; id: number; method: Method; params: unknown };

export const isMethod = (name: unknown): name is Method => typeof name === 'string' && Object.hasOwn(METHODS, name);

/** Validates a request arriving at the worker: its shape and method name; `parseParams` checks its params. */
export function parseRequest(data: unknown): Request | null {
  if (typeof data !== 'object' || data === null) return null;
  const r = data as Record<string, unknown>;
  if (r.kind !== 'call' || typeof r.id !== 'number' || !Number.isSafeInteger(r.id)) return null;
  if (!isMethod(r.method)) return null;
  if (typeof r.params !== 'object' || r.params === null || Array.isArray(r.params)) return null;
  return { kind: 'call', id: r.id, method: r.method, params: r.params };
}

/** A method's params checked against its schema; throws a $ZodError (answered as bad_request) if they don't fit. */
export function parseParams<M extends Method>(method: M, params: unknown): ValidParams<M> {
  return METHODS[method].params.parse(params) as ValidParams<M>;
}
