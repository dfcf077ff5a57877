/**
 * The typed message API between pages and the crypto worker. Pages call methods with
 * `call(method, params)`; the worker answers with the method's result or an `RpcError`, and
 * pushes `WorkerEvent`s. This file holds the views, the events and the page's validator of what
 * the worker posts; requests are validated in the worker against the method table (./rpc/methods).
 * It must stay free of crypto and storage code (and of zod) because pages import it.
 */
import type { VoiceMeta } from '$lib/api/voice';
import type { Reaction } from '$lib/api/limits';
import type { LastSeen, LastSeenPrivacy } from '$lib/api/wire-presence';

/** What I may see of a person's "online" / "last seen" (docs/api.md "Last seen"), and who sees mine. */
export type LastSeenView = LastSeen;
export type LastSeenPrivacyView = LastSeenPrivacy;

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  /** The account was deleted (its username is then empty): nothing can be sent to it. */
  deleted?: true;
  /** The profile photo's version (the worker's `photo` gives its bytes); null or absent: initials. */
  photo?: number | null;
}

/** A user I blocked, and since when (ms). */
export interface BlockedUserView {
  id: string;
  username: string;
  displayName: string;
  since: number;
}

export interface SessionView {
  user: UserView;
  device: { id: string; name: string };
}

export interface DeviceView {
  id: string;
  name: string;
  createdAt: number;
  lastSeenAt: number;
  current: boolean;
}

/** The first two emoji of a secret chat's key fingerprint (as the key screen starts) and their spoken names. */
export interface KeyEmojiView {
  emoji: string;
  name: string;
}

/** Why a secret chat's handshake failed: refused by the device that took it, unsupported there, or no device left to take it. */
export type SecretFailureView = 'refused' | 'unsupported' | 'gone' | 'blocked';

export interface ChatView {
  kind: 'cloud' | 'secret';
  /** The route id: the peer's user id for cloud chats, the chat's own id for secret chats. */
  id: string;
  /** Secret chats only. */
  status?: 'waiting' | 'active' | 'cancelled' | 'failed';
  /** Secret chats only: the peer started it and this device accepted (an in-app notice says so once). */
  incoming?: boolean;
  /** Secret chats only: when it was started or accepted here, by whom, and its key's first two emoji (see SecretChatView). */
  createdAt?: number;
  role?: 'initiator' | 'acceptor';
  key?: KeyEmojiView;
  failure?: SecretFailureView;
  /** Secret chats only: a newer version of Cinder wrote its state; this one cannot open it (update to). */
  needsUpdate?: true;
  peer: UserView;
  preview: string;
  previewMine: boolean;
  /** The newest message's time, or the draft's when that is newer. */
  lastAt: number;
  unread: number;
  /** The chat's unsent draft (one line, shortened): the list shows it in place of the preview. */
  draft?: string; /** When I pinned it (the list shows pinned chats first, the latest pinned on top); absent: not pinned. */
  pinnedAt?: number;
  /** Its notifications are off until then (ms; MUTED_FOREVER: until unmuted); absent: not muted. A past time is no mute. */
  mutedUntil?: number;
  /** In "Archived chats", out of the main list; absent: not archived. */
  archived?: true;
  /** Marked as unread by hand: an unread badge without a number (counts as 1) until the chat is opened; absent: not marked. */
  markedUnread?: true;
}

/** What a reply shows of the message it answers (`id`), as the reader sees it. */
export interface QuoteView {
  id: string;
  /** Its first line, or "Photo", "Voice message", a file's name. */
  snippet: string;
  /** The reader wrote the original. */
  mine: boolean;
  /** The original is no longer on this device (secret chats: deleted, expired, cleared): its snippet is not shown. */
  gone?: boolean;
}

/** Who wrote a quoted original, for the reader: `from` is seen by the reply's author. */
export const quoteView = (replyTo: string | null, quote: { snippet: string; from: 'sender' | 'recipient' } | undefined, replyMine: boolean): QuoteView | null =>
  replyTo && quote ? { id: replyTo, snippet: quote.snippet, mine: (quote.from === 'sender') === replyMine } : null;

/** pending = in the outbox (clock); sent = stored on the server (one tick); read = two ticks. */
export type TickState = 'pending' | 'sent' | 'read' | 'failed';

export interface MessageView {
  id: string;
  seq: number;
  text: string;
  replyTo: string | null;
  mine: boolean;
  senderId: string;
  createdAt: number;
  ticks: TickState;
  /** A photo or video (cloud media; its bytes come from `cloudMedia`), else null. */
  media?: CloudMediaView | null;
  /** A reply: what it quotes (null: not a reply, or one sent before quotes). */
  quote?: QuoteView | null;
  /** When its author last edited it (the relay's clock), if they did: the bubble says "edited". */
  edited?: number;
  /** Each side's reaction (one of REACTIONS), if any: the chips under the bubble. */
  reactions?: ReactionsView;
  /** A forwarded copy: "Forwarded from <name>" above its text. */
  forwarded?: ForwardedView;
  /** A message of mine the relay refused for good, when it says why in words (a block): shown under it. */
  failure?: string;
}

/** Where a forwarded cloud message came from, as its bubble names it. */
export interface ForwardedView {
  /** The original author's display name ("Deleted account" for a deleted one). */
  name: string;
  /** When the original was written (ms). */
  createdAt: number;
}

/** A message pinned in the open chat, for its pinned bar: newest pin first. */
export interface PinnedView {
  id: string;
  /** When it was pinned. */
  at: number;
  /** One line of it: its text, or what its attachment is (a self-destructing one by its kind only). */
  snippet: string;
}

/** The reactions on a message: mine and the peer's (one emoji each at most). */
export interface ReactionsView {
  mine?: Reaction;
  peer?: Reaction;
}

/** A cloud message's attachment as pages see it. */
export interface CloudMediaView {
  mime: string;
  name: string;
  size: number;
  /** Self-destruct timer (s), 0 = none; it starts when the recipient opens the media. */
  ttl: number;
  /** When it disappears for both (ms since epoch), once opened; null before. */
  deadline: number | null;
  /** A voice message's duration (ms) and waveform; absent for other media. */
  voice?: VoiceMeta;
  /** A photo's or video's size in pixels, when the sender sent it (its box is reserved before it loads). */
  width?: number;
  height?: number;
}

export interface SecretChatView {
  id: string;
  peer: UserView;
  role: 'initiator' | 'acceptor';
  status: 'waiting' | 'active' | 'cancelled' | 'failed';
  cancelledBy: 'me' | 'peer' | null;
  /** With status 'failed': why the handshake ended without a chat. */
  failure?: SecretFailureView;
  /** The first two emoji of the key's fingerprint (the key screen's first ones), once there is a key: tells several chats with one person apart. */
  key?: KeyEmojiView;
  /** Self-destruct timer for messages I send from now on (seconds, 0 = off). */
  ttl: number;
  createdAt: number;
  verifiedByMe: boolean;
  /** The peer said (in the chat) it verified my key; only ever true once verifiedByMe is (else a MITM could say it). */
  verifiedByPeer: boolean;
  /** The peer device's key changed since this user verified it: warn loudly. */
  keyChanged: boolean;
  /** Not verified, but I verified another device of this user before: a new login, or a substituted device. */
  newDevice: boolean;
  /** A newer version of Cinder wrote this chat's state: nothing of it but the row is known here; the page asks to update. */
  needsUpdate?: true;
}

/** A secret message's place in display order. */
export interface SecretCursor {
  at: number;
  id: string;
}

/** A place in the all-chats search's order (time, then message id, both newest first): a page's `next`. */
export type SearchCursor = SecretCursor;

/** A message found by the all-chats search (worker/search-all.ts). */
export interface MessageHit {
  kind: 'cloud' | 'secret';
  /** The peer's id (a cloud chat) or the secret chat's id. */
  chatId: string;
  /** The chat's name: "Saved Messages" for mine, else the peer's name. */
  title: string;
  peer: UserView;
  saved: boolean;
  messageId: string;
  at: number;
  /** One line of its text around the match, as the chat list shows text (no markers, spoilers masked). */
  snippet: string;
  mine: boolean;
}

/** A page of the all-chats search, newest first; `next` asks for the page after it (null: no more). `partial`: older cloud history may be on the relay only. */
export interface MessagesPage {
  results: MessageHit[];
  next: SearchCursor | null;
  partial: boolean;
}

export interface SecretMessageView {
  id: string;
  at: number;
  mine: boolean;
  /** 'unsupported': a message of a newer Cinder this version cannot show; the page shows a placeholder. */
  kind: 'text' | 'service' | 'unsupported';
  text: string;
  replyTo: string | null;
  ttl: number;
  service?: 'established' | 'ttl' | 'screenshot' | 'cancelled' | 'cleared' | 'account_deleted';
  by?: 'me' | 'peer';
  /** Attachment metadata (its key stays in the worker). */
  file: { name: string; mime: string; size: number; width?: number; height?: number; voice?: VoiceMeta } | null;
  ticks: TickState;
  /** When it self-destructs (ms since epoch), once its timer runs; null before. */
  deadline: number | null;
  /** A reply: what it quotes (null: not a reply, or one sent before quotes). */
  quote?: QuoteView | null;
  /** When it was last edited (the editor's clock), if it was: the bubble says "edited". */
  edited?: number;
  /** Each side's reaction, if any: the chips under the bubble. */
  reactions?: ReactionsView;
}

export interface KeyView {
  /** 32-byte chat fingerprint. */
  fingerprint: Uint8Array;
  /** Ed25519 identity keys of this device and of the peer's device (32 bytes each). */
  myIdentity: Uint8Array;
  peerIdentity: Uint8Array;
}

export interface DiagnosticsView {
  rejected: number;
  byCode: Record<string, number>;
  recent: { at: number; code: string }[];
}

export interface PrefsView {
  hidePreviews: boolean;
  /** Lock after this many minutes without use (0 = only by hand); applies when a passcode is set. */
  autoLockMinutes: number;
}

export type ConnectionState = 'offline' | 'connecting' | 'updating' | 'online';

// The method table (each method's params schema and result type) lives in ./rpc/methods; pages get
// its types from here, as types only, so zod stays out of their bundle.
export type { Method, Params, Result } from './rpc/methods';

/** One of my scheduled messages of a cloud chat (../worker/scheduled.ts); `failed`: why the relay could not send it. */
export interface ScheduledView {
  id: string;
  peerId: string;
  text: string;
  replyTo: string | null;
  /** The file it carries (`text` is then its caption); absent: a text. `id`: the relay's upload (my own, readable). */
  media?: { id: string; mime: string; name: string; size: number; width?: number; height?: number };
  /** A photo's or video's small picture (JPEG), when it was scheduled from this device; absent: the kind's icon. */
  thumb?: Blob;
  /** When the relay sends it (ms). */
  at: number;
  failed: string | null;
}

export type WorkerEvent =
  | { type: 'session'; session: SessionView | null; reason?: 'revoked' | 'logout' }
  | { type: 'connection'; state: ConnectionState }
  /**
   * How many messages wait to be sent (cloud outbox and secret messages not yet on the relay), and
   * `actions`: cloud edits, reactions, pins of messages, deletes and chat settings taken offline (absent: none).
   */
  | { type: 'queued'; count: number; actions?: number }
  /** Something the user did offline was refused by the relay for good (said once, in words; the true state is back). */
  | { type: 'notice'; text: string }
  | { type: 'chats' }
  /** My block list changed (here, on another device of mine, or read again at connect): pages read it again. */
  | { type: 'blocks' }
  /**
   * A chat's stored draft changed or was deleted (a save, a send), in this tab or another: `chat` is
   * the cloud chat's peer id or the secret chat's id. It carries no text: an open chat reads it again.
   */
  | { type: 'draft'; kind: 'cloud' | 'secret'; chat: string }
  /**
   * A cloud chat's rows changed; `edited`: messages an edit rewrote (an open window re-reads them wherever they are);
   * `peerRead`: the peer's read marker, when it moved (an open window shows my rows up to it as read, in place).
   */
  | { type: 'messages'; peerId: string; edited?: string[]; peerRead?: number }
  /** A cloud chat's peer profile changed (renamed, or the account deleted). */
  | { type: 'peer'; peerId: string }
  | { type: 'typing'; peerId: string; chatId?: string }
  /** My scheduled messages of a cloud chat changed (here, on another device of mine, or sent by the relay). */
  | { type: 'scheduled'; peerId: string }
  /** What I may see of the user's "online" / "last seen" changed (or must be asked again): `lastSeen` answers it. */
  | { type: 'presence'; userId: string }
  /**
   * My "last seen" privacy setting is now `lastSeen` (changed on this device or another of mine): Settings
   * shows it. Without it (a new socket: a change may have been missed), Settings asks again (`getPrivacy`).
   */
  | { type: 'privacy'; lastSeen?: LastSeenPrivacyView }
  /**
   * A secret chat changed. `rows`: the ids of the message rows added, changed or removed since its last
   * event (a page reads just those); absent when that is not known (a clear, many changes): read all.
   */
  | { type: 'secret'; chatId: string; rows?: string[] }
  | { type: 'diagnostics' }
  /** This worker's database connection stopped answering (store/stall-watch.ts): a reload sometimes gets it back, otherwise a browser restart. */
  | { type: 'storeStalled' }
  | { type: 'lock'; locked: boolean; hasPasscode: boolean }
  | { type: 'prefs' }
  /** Attachment upload/download progress (bytes). */
  | { type: 'progress'; id: string; loaded: number; total: number };

export interface RpcError {
  code: string;
  message: string;
}

export type Response =
  { kind: 'result'; id: number; ok: true; value: unknown } | { kind: 'result'; id: number; ok: false; error: RpcError } | { kind: 'event'; event: WorkerEvent };

/** Validates a message arriving at the page from the worker. */
export function parseResponse(data: unknown): Response | null {
  if (typeof data !== 'object' || data === null) return null;
  const r = data as Record<string, unknown>;
  if (r.kind === 'event') {
    const e = r.event as Record<string, unknown> | undefined;
    return e && typeof e.type === 'string' ? (r as unknown as Response) : null;
  }
  if (r.kind === 'result' && typeof r.id === 'number' && typeof r.ok === 'boolean') {
    if (!r.ok) {
      const e = r.error as Record<string, unknown> | undefined;
      if (!e || typeof e.code !== 'string' || typeof e.message !== 'string') return null;
    }
    return r as unknown as Response;
  }
  return null;
}
