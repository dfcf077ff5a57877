/**
 * The typed message API between pages and the crypto worker. Pages call methods with
 * `call(method, params)`; the worker answers with the method's result or an `RpcError`, and
 * pushes `WorkerEvent`s. This file holds types and the validators for the postMessage boundary
 * only: it must stay free of crypto and storage code because pages import it.
 */

export interface UserView {
  id: string;
  username: string;
  displayName: string;
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

export interface ChatView {
  kind: 'cloud' | 'secret';
  /** The route id: the peer's user id for cloud chats, the chat's own id for secret chats. */
  id: string;
  /** Secret chats only. */
  status?: 'waiting' | 'active' | 'cancelled';
  peer: UserView;
  preview: string;
  previewMine: boolean;
  lastAt: number;
  unread: number;
}

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
}

export interface SecretChatView {
  id: string;
  peer: UserView;
  role: 'initiator' | 'acceptor';
  status: 'waiting' | 'active' | 'cancelled';
  cancelledBy: 'me' | 'peer' | null;
  /** Self-destruct timer for messages I send from now on (seconds, 0 = off). */
  ttl: number;
  createdAt: number;
  verifiedByMe: boolean;
  verifiedByPeer: boolean;
  /** The peer device's key changed since this user verified it: warn loudly. */
  keyChanged: boolean;
}

/** A secret message's place in display order. */
export interface SecretCursor {
  at: number;
  id: string;
}

export interface SecretMessageView {
  id: string;
  at: number;
  mine: boolean;
  kind: 'text' | 'service';
  text: string;
  replyTo: string | null;
  ttl: number;
  service?: 'established' | 'ttl' | 'screenshot' | 'cancelled' | 'cleared';
  by?: 'me' | 'peer';
  /** Attachment metadata (its key stays in the worker). */
  file: { name: string; mime: string; size: number } | null;
  ticks: TickState;
  /** When it self-destructs (ms since epoch), once its timer runs; null before. */
  deadline: number | null;
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

export interface Methods {
  init: { params: Record<string, never>; result: { session: SessionView | null; connection: ConnectionState; locked: boolean; hasPasscode: boolean } };
  lock: { params: Record<string, never>; result: null };
  unlock: { params: { passcode: string }; result: null };
  setPasscode: { params: { passcode: string }; result: null };
  removePasscode: { params: Record<string, never>; result: null };
  signup: { params: { username: string; password: string; displayName?: string }; result: SessionView };
  login: { params: { username: string; password: string }; result: SessionView };
  logout: { params: Record<string, never>; result: null };
  updateProfile: { params: { displayName: string }; result: SessionView };
  listDevices: { params: Record<string, never>; result: DeviceView[] };
  revokeDevice: { params: { id: string }; result: null };
  /** Both sign out every other device of the account; the result is how many. */
  changePassword: { params: { currentPassword: string; newPassword: string }; result: { signedOut: number } };
  revokeOtherDevices: { params: Record<string, never>; result: { signedOut: number } };
  searchUsers: { params: { q: string }; result: UserView[] };
  userByName: { params: { username: string }; result: UserView };
  listChats: { params: Record<string, never>; result: ChatView[] };
  chat: { params: { peerId: string }; result: { peer: UserView; peerReadSeq: number } };
  /**
   * A page of a cloud chat, oldest first: the newest (with the outbox's messages after it), the one
   * before `beforeSeq`, or the one after `afterSeq` (a long chat's window moving back down).
   * `hasMore`: older messages exist; `hasNewer`: stored messages exist after this page.
   */
  messages: {
    params: { peerId: string; beforeSeq?: number; afterSeq?: number; limit?: number };
    result: { messages: MessageView[]; hasMore: boolean; hasNewer: boolean };
  };
  /** Ids of the messages still stored with fromSeq ≤ seq ≤ toSeq, at most 1,000 (nothing decrypted): a long window drops what is gone. */
  messageIds: { params: { peerId: string; fromSeq: number; toSeq: number }; result: string[] };
  send: { params: { peerId: string; text: string; replyTo?: string | null }; result: MessageView };
  markRead: { params: { peerId: string; seq: number }; result: null };
  deleteMessages: { params: { peerId: string; ids: string[] }; result: null };
  typing: { params: { peerId: string }; result: null };
  syncNow: { params: Record<string, never>; result: null };
  /** Retries what waits in the outbox and the secret send queue now (the network is back, or the app is visible again). */
  retryQueued: { params: Record<string, never>; result: null };
  startSecretChat: { params: { peerId: string }; result: { id: string } };
  secretChat: { params: { id: string }; result: SecretChatView };
  /**
   * A page of a secret chat in display order (`at`, then id): the newest `limit`, the ones just
   * before or after a message, or everything `from` a message on (a window's refresh), at most `limit`.
   */
  secretMessages: {
    params: { id: string; before?: SecretCursor; after?: SecretCursor; from?: SecretCursor; limit?: number };
    result: { messages: SecretMessageView[]; hasMore: boolean; hasNewer: boolean };
  };
  secretSend: { params: { id: string; text: string; replyTo?: string | null }; result: { id: string } };
  secretRead: { params: { id: string; ids: string[] }; result: null };
  secretTyping: { params: { id: string }; result: null };
  secretDelete: { params: { id: string; ids: string[] }; result: null };
  secretClear: { params: { id: string }; result: null };
  secretDeleteChat: { params: { id: string }; result: null };
  secretSetTimer: { params: { id: string; seconds: number }; result: null };
  secretKey: { params: { id: string }; result: KeyView };
  secretVerify: { params: { id: string }; result: null };
  diagnostics: { params: Record<string, never>; result: DiagnosticsView };
  secretSendFile: { params: { id: string; name: string; mime: string; bytes: ArrayBuffer; caption?: string }; result: { id: string } };
  secretMedia: { params: { messageId: string }; result: { bytes: ArrayBuffer; mime: string; name: string } };
  secretScreenshot: { params: { id: string }; result: null };
  /** Uploads a photo or video to a cloud chat (progress events carry the returned message id), then sends it. */
  cloudSendMedia: { params: { peerId: string; name: string; mime: string; bytes: ArrayBuffer; ttl: number }; result: MessageView };
  /** A cloud message's attachment (cached sealed on the device after the first download). */
  cloudMedia: { params: { messageId: string }; result: { bytes: ArrayBuffer; mime: string; name: string } };
  /** The recipient opened a (timed) attachment: starts its timer on the relay; returns its deadline. */
  cloudMediaOpened: { params: { messageId: string }; result: { deadline: number | null } };
  pushKey: { params: Record<string, never>; result: { publicKey: string } };
  pushSubscribe: { params: { endpoint: string; keys: { p256dh: string; auth: string } }; result: null };
  pushUnsubscribe: { params: Record<string, never>; result: null };
  prefs: { params: Record<string, never>; result: PrefsView };
  setPrefs: { params: Partial<PrefsView>; result: PrefsView };
}

export type Method = keyof Methods;
export type Params<M extends Method> = Methods[M]['params'];
export type Result<M extends Method> = Methods[M]['result'];

export type WorkerEvent =
  | { type: 'session'; session: SessionView | null; reason?: 'revoked' | 'logout' }
  | { type: 'connection'; state: ConnectionState }
  | { type: 'chats' }
  | { type: 'messages'; peerId: string }
  | { type: 'typing'; peerId: string; chatId?: string }
  | { type: 'secret'; chatId: string }
  | { type: 'diagnostics' }
  | { type: 'lock'; locked: boolean; hasPasscode: boolean }
  | { type: 'prefs' }
  /** Attachment upload/download progress (bytes). */
  | { type: 'progress'; id: string; loaded: number; total: number };

export interface RpcError {
  code: string;
  message: string;
}

export type Request = { kind: 'call'; id: number; method: Method; params: unknown };
export type Response =
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; error: RpcError }
  | { kind: 'event'; event: WorkerEvent };

export const METHODS: readonly Method[] = [
  'init',
  'lock',
  'unlock',
  'setPasscode',
  'removePasscode',
  'signup',
  'login',
  'logout',
  'updateProfile',
  'listDevices',
  'revokeDevice',
  'changePassword',
  'revokeOtherDevices',
  'searchUsers',
  'userByName',
  'listChats',
  'chat',
  'messages',
  'messageIds',
  'send',
  'markRead',
  'deleteMessages',
  'typing',
  'syncNow',
  'retryQueued',
  'startSecretChat',
  'secretChat',
  'secretMessages',
  'secretSend',
  'secretRead',
  'secretTyping',
  'secretDelete',
  'secretClear',
  'secretDeleteChat',
  'secretSetTimer',
  'secretKey',
  'secretVerify',
  'diagnostics',
  'secretSendFile',
  'secretMedia',
  'secretScreenshot',
  'cloudSendMedia',
  'cloudMedia',
  'cloudMediaOpened',
  'pushKey',
  'pushSubscribe',
  'pushUnsubscribe',
  'prefs',
  'setPrefs'
];

/** Validates a request arriving at the worker: shape only; each handler validates its params. */
export function parseRequest(data: unknown): Request | null {
  if (typeof data !== 'object' || data === null) return null;
  const r = data as Record<string, unknown>;
  if (r.kind !== 'call' || typeof r.id !== 'number' || !Number.isSafeInteger(r.id)) return null;
  if (typeof r.method !== 'string' || !(METHODS as readonly string[]).includes(r.method)) return null;
  if (typeof r.params !== 'object' || r.params === null || Array.isArray(r.params)) return null;
  return { kind: 'call', id: r.id, method: r.method as Method, params: r.params };
}

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
