/**
 * The worker's state and the methods pages call. It owns the device keys, the local database
 * and the relay connection; pages see only the views defined in ./protocol.
 */
import { z } from 'zod';
import { toB64u } from '$lib/api/b64';
import type { CryptoBackend, Identity } from '$lib/crypto';
import { isProtocolError } from '$lib/crypto/errors';
import {
  CLOUD_MEDIA_MIME_HEADER,
  CLOUD_MEDIA_NAME_HEADER,
  CLOUD_MEDIA_TO_USER_HEADER,
  CLOUD_MEDIA_TTLS,
  CloudMedia,
  CloudMessage,
  Envelope,
  DeviceInfo,
  PublicUser,
  Session,
  SignedOutRes,
  LIMITS,
  type ServerFrame
} from '$lib/api/wire';
import { destroyStore, openStore, type CinderDB, type MessageRow } from '$lib/store/db';
import { places } from '$lib/store/places';
import { nextDeadline, purgeExpired } from '$lib/store/purge';
import { removePasscode, setPasscode, unlockVault, PasscodeError } from '$lib/store/passcode';
import type { Vault } from '$lib/store/vault';
import {
  applyLive,
  chatViews,
  flushOutbox,
  localPageAfter,
  storedIds,
  pullUpdates,
  type SyncState,
  localPage,
  messageView,
  msgPlace,
  sealMessage,
  storeChatPeer,
  storeOpenedMedia,
  type Body
} from './cloud';
import { downloadBytes, uploadBytes } from './media';
import { NetError, request } from './net';
import type { ConnectionState, Methods, Params, Result, SessionView, WorkerEvent } from './protocol';
import { RelaySocket } from './socket';
import { loadPrefs } from './prefs';
import type { SecretEngine } from './secret';
import { emptyDiagnostics, SecretError, type Diagnostics } from './secret-error';

type SecretModule = typeof import('./secret-module');
let secretModule: Promise<SecretModule> | null = null;
/** The crypto half of the worker, loaded on first use (see secret-module.ts). */
const loadSecret = (): Promise<SecretModule> => (secretModule ??= import('./secret-module'));

export class CoreError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message);
  }
}

const Str = (max: number) => z.string().max(max);
const PeerParams = z.object({ peerId: z.string().min(1).max(64) });
const ChatParams = z.object({ id: z.string().uuid() });
/** The relay's default MAX_BLOB_BYTES, less room for the AES-GCM nonce and tag. */
const MAX_FILE_BYTES = 25 * 1024 * 1024 - 64;
const IdsParams = ChatParams.extend({ ids: z.array(z.string().uuid()).min(1).max(500) });

type Handler<M extends keyof Methods> = (p: Params<M>) => Promise<Result<M>>;

export class Core {
  private db!: CinderDB;
  /** Null while the passcode lock is closed: nothing sealed can be read then. */
  private unlockedVault: Vault | null = null;
  private engine: SecretEngine | null = null;
  private session: SessionView | null = null;
  private socket: RelaySocket | null = null;
  private connection: ConnectionState = 'offline';
  private syncing: Promise<void> | null = null;
  private flushing: Promise<void> | null = null;
  private flushAgain = false;
  /** Live updates are applied one by one only once a pull has caught up on this connection. */
  private readonly syncState: SyncState = { behind: true, epoch: 0 };
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay = 0;
  /**
   * Resolves once the database is open and what expired while the app was closed is purged; every
   * call waits for it (see worker.ts), so no call (the page asks for messages in parallel with init)
   * can read a message whose timer already ran out.
   */
  readonly ready: Promise<void>;
  private backendP: Promise<CryptoBackend> | null = null;
  private identityCache: Identity | null = null;
  /** init has started the relay and the session check for the stored session (once per worker). */
  private confirming = false;
  private purgeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly emit: (e: WorkerEvent) => void) {
    this.ready = this.openDb().then(() => this.armPurge());
  }

  /**
   * Opens the database and takes the stored session with it, so calls sent at start-up alongside
   * `init` (the route's chat and first page) find the device signed in instead of failing once.
   */
  private async openDb() {
    const { db, vault } = await openStore();
    this.db = db;
    this.useVault(vault);
    this.session = ((await db.meta.get('session'))?.value as SessionView | undefined) ?? null;
  }

  private backend(): Promise<CryptoBackend> {
    this.backendP ??= loadSecret().then((m) => m.detectBackend());
    return this.backendP;
  }

  private get vault(): Vault {
    if (!this.unlockedVault) throw new CoreError('locked', 'Cinder is locked. Enter your passcode.');
    return this.unlockedVault;
  }

  /** The secret-chat engine of the unlocked vault (its code is loaded on first use). */
  private async secret(): Promise<SecretEngine> {
    const vault = this.vault; // throws 'locked'
    const { SecretEngine } = await loadSecret();
    if (this.unlockedVault !== vault) throw new CoreError('locked', 'Cinder is locked. Enter your passcode.');
    this.engine ??= new SecretEngine({
      db: this.db,
      vault,
      backend: () => this.backend(),
      identity: () => this.identity(),
      me: () => ({ userId: this.me, deviceId: this.session!.device.id }),
      emit: (e) => {
        this.emit(e);
        if (e.type === 'secret') void this.armPurge();
      },
      sendStalled: () => void this.scheduleRetry()
    });
    return this.engine;
  }

  /** Switches to an (un)locked vault: the engine and cached keys belong to one vault. */
  private useVault(vault: Vault | null) {
    if (this.identityCache) {
      this.identityCache.sign.priv.fill(0);
      this.identityCache.dh.priv.fill(0);
    }
    this.identityCache = null;
    this.unlockedVault = vault;
    this.engine = null; // the next secret() builds one for this vault
  }

  /** Deletes expired messages now and arms a timer for the next deadline. */
  private async armPurge(): Promise<void> {
    if (this.purgeTimer) clearTimeout(this.purgeTimer);
    this.purgeTimer = null;
    const { chats, blobs, cloudPeers } = await purgeExpired(this.db);
    for (const chatId of chats) this.emit({ type: 'secret', chatId });
    // Timed cloud photos and videos: the relay deletes them at the same deadline (a delete update follows).
    for (const peerId of cloudPeers) this.emit({ type: 'messages', peerId });
    if (chats.size || cloudPeers.size) this.emit({ type: 'chats' });
    for (const id of blobs) void request('DELETE', `/api/blobs/${encodeURIComponent(id)}`, undefined, null).catch(() => undefined);
    const next = await nextDeadline(this.db);
    if (next !== null) this.purgeTimer = setTimeout(() => void this.armPurge(), Math.max(0, next - Date.now()) + 5);
  }

  private async identity(): Promise<Identity> {
    if (this.identityCache) return this.identityCache;
    const vault = this.vault;
    const identity = await (await loadSecret()).loadIdentity(this.db, vault);
    const locked = this.unlockedVault !== vault; // locked meanwhile: the keys belong to a closed vault
    if (locked || this.identityCache) {
      identity.sign.priv.fill(0);
      identity.dh.priv.fill(0);
      if (locked) throw new CoreError('locked', 'Cinder is locked. Enter your passcode.');
      return this.identityCache!;
    }
    this.identityCache = identity;
    return identity;
  }

  private get me(): string {
    if (!this.session) throw new CoreError('unauthorized', 'You are not signed in');
    return this.session.user.id;
  }

  // ---------- session ----------

  private async setSession(s: SessionView | null) {
    this.session = s;
    if (s) await this.db.meta.put({ key: 'session', value: s });
    this.emit({ type: 'session', session: s });
  }

  private startRelay() {
    if (this.socket) return;
    const url = new URL('/ws', self.location.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.socket = new RelaySocket(url.href, {
      onOpen: () => {
        this.syncState.behind = true;
        this.syncState.epoch++;
        this.setConnection('updating');
      },
      onClose: () => this.setConnection('connecting'),
      onFrame: (f) => void this.onFrame(f)
    });
    this.setConnection('connecting');
    this.socket.start();
  }

  private setConnection(state: ConnectionState) {
    if (state === this.connection) return;
    this.connection = state;
    this.emit({ type: 'connection', state });
  }

  /** Wipes everything on this device: keys, history, outbox. */
  private async wipe(reason: 'revoked' | 'logout') {
    if (this.purgeTimer) clearTimeout(this.purgeTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.purgeTimer = null;
    this.socket?.stop();
    this.socket = null;
    this.setConnection('offline');
    await destroyStore(this.db);
    this.session = null;
    await this.openDb();
    this.emit({ type: 'session', session: null, reason });
  }

  private async register(path: string, body: Record<string, unknown>): Promise<SessionView> {
    const { generateIdentity, storeIdentity } = await loadSecret();
    const identity = await generateIdentity(await this.backend());
    const device = { name: deviceName(), signPub: toB64u(identity.sign.pub), dhPub: toB64u(identity.dh.pub) };
    const session = await request('POST', path, { ...body, device }, Session);
    // A new account on this browser starts from an empty device.
    const previous = (await this.db.meta.get('session'))?.value as SessionView | undefined;
    if (previous && previous.user.id !== session.user.id) await this.wipe('logout');
    await storeIdentity(this.db, this.vault, session.device.id, identity);
    this.identityCache = identity;
    await this.db.meta.put({ key: 'cursor', value: 0 });
    await this.setSession(session);
    this.startRelay();
    return session;
  }

  // ---------- relay events ----------

  private async onFrame(f: ServerFrame) {
    switch (f.t) {
      case 'hello':
        await this.sync();
        void this.flush();
        // Nothing queued for this device (hello counts after subscribing, so any later envelope
        // brings its own frame): the crypto half is not loaded and compiled for an empty pull.
        if (f.envelopes > 0) await (await this.secret()).pull().catch((e) => this.onNetFailure(e));
        break;
      case 'envelope':
        // Pull in queue order rather than handling this one alone (see SecretEngine.pull).
        await (await this.secret()).pull().catch((e) => this.onNetFailure(e));
        break;
      case 'update': {
        // When this device is behind (a pull failed), this pulls instead, so nothing is skipped.
        await applyLive(this.db, this.vault, this.me, f.update, f.prev, this.syncState, (a) => this.announce(a.changed, a.deadlines)).catch((e) =>
          this.onNetFailure(e)
        );
        break;
      }
      case 'typing':
        this.emit({ type: 'typing', peerId: f.peerId });
        break;
      case 'revoked':
        await this.wipe('revoked');
        break;
      default:
        break;
    }
  }

  private announce(changed: Set<string>, deadlines = false) {
    if (changed.size) this.emit({ type: 'chats' });
    for (const peerId of changed) this.emit({ type: 'messages', peerId });
    // An update brought a cloud media deadline: re-arm the purge timer for it.
    if (deadlines) void this.armPurge();
  }

  /** A stored cloud message and its sealed body, or not_found. */
  private async cloudMessage(messageId: string): Promise<{ row: MessageRow; body: Body }> {
    const row = await this.db.messages.get(messageId);
    if (!row) throw new CoreError('not_found', 'This message is gone');
    return { row, body: await this.vault.open<Body>(msgPlace(messageId), row.box) };
  }

  /**
   * Replays the update log from the stored cursor until caught up. A hello that comes while a pull
   * runs joins it; that pull read the log before the new socket subscribed, so another one follows.
   */
  private sync(): Promise<void> {
    this.syncing ??= (async () => {
      this.setConnection('updating');
      do await pullUpdates(this.db, this.vault, this.me, (a) => this.announce(a.changed, a.deadlines), this.syncState);
      while (this.syncState.behind && this.socket?.open);
      this.setConnection(this.socket?.open ? 'online' : 'connecting');
    })()
      .catch((e) => this.onNetFailure(e))
      .finally(() => {
        this.syncing = null;
        void this.scheduleRetry();
      });
    return this.syncing;
  }

  private async onNetFailure(e: unknown) {
    if (e instanceof NetError && e.code === 'unauthorized' && this.session) await this.wipe('revoked');
    else if (!(e instanceof NetError)) console.error('cinder core:', e);
    if (this.session) this.setConnection(this.socket?.open ? 'online' : 'connecting');
  }

  /** Sends what the outbox holds, oldest first; stops at the first network failure. */
  private flush(): Promise<void> {
    if (this.flushing) {
      // Messages written while a flush runs go out in another pass.
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.flushAgain = false;
        await flushOutbox(this.db, this.vault, (peerId) => this.announce(new Set([peerId])));
      } while (this.flushAgain);
    })()
      .catch((e) => this.onNetFailure(e))
      .finally(() => {
        this.flushing = null;
        void this.scheduleRetry();
      });
    return this.flushing;
  }

  /**
   * A failed pull, or an outbox or secret send queue that could not be emptied (offline while the
   * socket stayed open, 429, 5xx, a send that came in while a flush was already past it), is
   * retried with backoff: otherwise nothing would try again until the next send or reconnect.
   */
  private async scheduleRetry(): Promise<void> {
    if (!this.session || !this.socket || this.retryTimer) return;
    const behind = this.syncState.behind && this.socket.open;
    if (!behind && (await this.db.outbox.count()) === 0 && (await this.db.sendQueue.count()) === 0) {
      this.retryDelay = 0;
      return;
    }
    if (this.retryTimer) return;
    this.retryDelay = Math.min(30000, Math.max(1000, this.retryDelay * 2));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.retryNow();
    }, this.retryDelay);
  }

  /**
   * The page says the network is back or the app is visible again (see watchReturn in +layout):
   * Firefox and Safari have no Background Sync, so this is when queued messages go out there,
   * without waiting out the backoff. Cheap when nothing waits: local reads, no request.
   */
  private async retryQueued(): Promise<void> {
    if (!this.session || !this.socket) return;
    this.socket.kick();
    // The socket may have survived the outage; what failed meanwhile is retried now.
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryDelay = 0;
    await this.retryNow();
  }

  private async retryNow(): Promise<void> {
    if (!this.session || !this.socket) return;
    if (this.syncState.behind && this.socket.open) await this.sync();
    // The crypto half is not loaded just to find an empty send queue.
    const secret = (await this.db.sendQueue.count()) ? (await this.secret()).flush().catch((e) => this.onNetFailure(e)) : null;
    await Promise.all([this.flush(), secret]);
    void this.scheduleRetry();
  }

  // ---------- methods ----------

  readonly methods: { [M in keyof Methods]: Handler<M> } = {
    init: async () => {
      // `ready` (awaited by every call) already purged what expired while the app was closed.
      await this.ready;
      const hasPasscode = !!(await this.db.vault.get('main'))?.wrapped;
      if (this.session && !this.confirming) {
        this.confirming = true;
        if (this.unlockedVault) this.startRelay();
        // Confirms the device is still valid; offline keeps the cached session.
        request('GET', '/api/me', undefined, Session)
          .then((s) => this.setSession(s))
          .catch((e) => this.onNetFailure(e));
      }
      return { session: this.session, connection: this.connection, locked: !this.unlockedVault, hasPasscode };
    },

    lock: async () => {
      if (!(await this.db.vault.get('main'))?.wrapped) throw new CoreError('no_passcode', 'Set a passcode first');
      this.socket?.stop();
      this.socket = null;
      this.setConnection('offline');
      this.useVault(null);
      this.emit({ type: 'lock', locked: true, hasPasscode: true });
      return null;
    },

    unlock: async (p) => {
      const { passcode } = z.object({ passcode: z.string().min(1).max(256) }).parse(p);
      this.useVault(await unlockVault(this.db, passcode));
      this.emit({ type: 'lock', locked: false, hasPasscode: true });
      // What the service worker kept (undecrypted) while we were locked is handled first.
      const held = await this.db.lockedInbox.orderBy('seq').toArray();
      if (held.length) {
        const envelopes = held.map((h) => Envelope.parse(h.envelope));
        await (await this.secret()).receive(envelopes);
        await this.db.lockedInbox.bulkDelete(held.map((h) => h.id));
      }
      if (this.session) this.startRelay();
      return null;
    },

    setPasscode: async (p) => {
      const { passcode } = z.object({ passcode: z.string().min(4, 'Use at least 4 characters').max(256) }).parse(p);
      this.useVault(await setPasscode(this.db, this.vault, passcode));
      this.emit({ type: 'lock', locked: false, hasPasscode: true });
      return null;
    },

    removePasscode: async () => {
      this.useVault(await removePasscode(this.db, this.vault));
      this.emit({ type: 'lock', locked: false, hasPasscode: false });
      return null;
    },

    signup: async (p) => {
      await this.ready;
      const body = z
        .object({ username: Str(64), password: Str(LIMITS.passwordMax), displayName: Str(LIMITS.displayNameMax).optional() })
        .parse(p);
      return this.register('/api/auth/signup', body);
    },

    login: async (p) => {
      await this.ready;
      const body = z.object({ username: Str(64), password: Str(LIMITS.passwordMax) }).parse(p);
      return this.register('/api/auth/login', body);
    },

    logout: async () => {
      // Each peer learns that its secret chat with this device is cancelled before the keys go.
      // (Locked: the keys are out of reach, so the peers cannot be told; their chats stay open.)
      if (this.unlockedVault) await this.secret().then((engine) => engine.cancelAll()).catch(() => undefined);
      try {
        await request('POST', '/api/auth/logout', {}, null);
      } catch (e) {
        // Offline: this device is wiped anyway; it can be revoked later from another device.
        if (!(e instanceof NetError) || e.code !== 'offline') throw e;
      }
      await this.wipe('logout');
      return null;
    },

    updateProfile: async (p) => {
      const body = z.object({ displayName: Str(LIMITS.displayNameMax) }).parse(p);
      const s = await request('PATCH', '/api/me', body, Session);
      await this.setSession(s);
      return s;
    },

    listDevices: async () => (await request('GET', '/api/devices', undefined, z.object({ devices: z.array(DeviceInfo) }))).devices,

    revokeDevice: async (p) => {
      const { id } = z.object({ id: z.string().min(1).max(64) }).parse(p);
      await request('DELETE', `/api/devices/${encodeURIComponent(id)}`, undefined, null);
      return null;
    },

    changePassword: async (p) => {
      const body = z.object({ currentPassword: Str(LIMITS.passwordMax), newPassword: Str(LIMITS.passwordMax) }).parse(p);
      return request('POST', '/api/auth/password', body, SignedOutRes);
    },

    revokeOtherDevices: async () => request('POST', '/api/devices/revoke-others', {}, SignedOutRes),

    searchUsers: async (p) => {
      const { q } = z.object({ q: Str(64) }).parse(p);
      if (!q.trim()) return [];
      const res = await request('GET', `/api/users?q=${encodeURIComponent(q.trim().toLowerCase())}`, undefined, z.object({ users: z.array(PublicUser) }));
      return res.users;
    },

    userByName: async (p) => {
      const { username } = z.object({ username: Str(64) }).parse(p);
      const res = await request('GET', `/api/users/by-name/${encodeURIComponent(username.toLowerCase())}`, undefined, z.object({ user: PublicUser }));
      await storeChatPeer(this.db, res.user);
      return res.user;
    },

    listChats: async () => {
      const vault = this.vault;
      // Secret chats need the crypto code; a device without any doesn't wait for it.
      const secret = (await this.db.secretChats.count()) ? await (await loadSecret()).secretChatList(this.db, vault) : [];
      const all = [...(await chatViews(this.db, vault, this.me)), ...secret];
      return all.sort((a, b) => b.lastAt - a.lastAt);
    },

    chat: async (p) => {
      const { peerId } = PeerParams.parse(p);
      let chat = await this.db.chats.get(peerId);
      if (!chat) {
        const { user } = await request('GET', `/api/users/${encodeURIComponent(peerId)}`, undefined, z.object({ user: PublicUser }));
        chat = await storeChatPeer(this.db, user);
      }
      return { peer: chat.peer, peerReadSeq: chat.peerReadSeq };
    },

    messages: async (p) => {
      const { peerId, beforeSeq, afterSeq, limit } = PeerParams.extend({
        beforeSeq: z.number().int().positive().optional(),
        afterSeq: z.number().int().nonnegative().optional(),
        limit: z.number().int().min(1).max(LIMITS.pageMax).optional()
      })
        .refine((q) => q.beforeSeq === undefined || q.afterSeq === undefined, 'beforeSeq and afterSeq exclude each other')
        .parse(p);
      const n = limit ?? 50;
      const chat = await this.db.chats.get(peerId);
      const me = this.me;
      const viewsOf = async (rows: MessageRow[]) => {
        const views = [];
        for (const row of rows) views.push(await messageView(this.vault, row, me, chat?.peerReadSeq ?? 0));
        return views;
      };
      if (afterSeq !== undefined) {
        // Moving back down a long chat: everything after afterSeq is already on this device.
        const { stored, pending, hasNewer } = await localPageAfter(this.db, peerId, afterSeq, n);
        return { messages: await viewsOf([...stored, ...pending]), hasMore: afterSeq > 0 || (stored[0]?.seq ?? 1) > 1, hasNewer };
      }
      let { stored, pending } = await localPage(this.db, peerId, beforeSeq, n);
      const oldest = stored[0]?.seq ?? beforeSeq ?? Infinity;
      let hasMore = oldest > 1;
      const want = n - stored.length;
      if (want > 0 && hasMore && Number.isFinite(oldest)) {
        // Older history this device has not seen (e.g. before its cursor): ask the server.
        try {
          const res = await request(
            'GET',
            `/api/cloud/chats/${encodeURIComponent(peerId)}/messages?before=${oldest}&limit=${want}`,
            undefined,
            z.object({ messages: z.array(CloudMessage) })
          );
          const rows: MessageRow[] = [];
          for (const m of res.messages) rows.push(await sealMessage(this.vault, m));
          await this.db.messages.bulkPut(rows);
          stored = [...rows, ...stored];
          hasMore = rows.length === want && (rows[0]?.seq ?? 1) > 1;
        } catch (e) {
          if (!(e instanceof NetError) || e.code !== 'offline') throw e;
        }
      }
      // A page before beforeSeq has newer messages after it by definition.
      return { messages: await viewsOf([...stored, ...pending]), hasMore, hasNewer: beforeSeq !== undefined };
    },

    messageIds: async (p) => {
      const { peerId, fromSeq, toSeq } = PeerParams.extend({ fromSeq: z.number().int().positive(), toSeq: z.number().int().positive() })
        .refine((q) => q.fromSeq <= q.toSeq, 'fromSeq comes before toSeq')
        .parse(p);
      return storedIds(this.db, peerId, fromSeq, toSeq);
    },

    send: async (p) => {
      const { peerId, text, replyTo } = PeerParams.extend({
        text: z.string().trim().min(1, 'Message is empty').max(LIMITS.textMax, 'Message is too long'),
        replyTo: z.string().uuid().nullable().optional()
      }).parse(p);
      const id = crypto.randomUUID();
      const createdAt = Date.now();
      const body: Body = { text, replyTo: replyTo ?? null };
      const box = await this.vault.seal(msgPlace(id), body);
      const row: MessageRow = { id, peerId, seq: 0, senderId: this.me, createdAt, status: 'pending', box };
      await this.db.transaction('rw', this.db.messages, this.db.outbox, this.db.chats, async () => {
        await this.db.messages.add(row);
        await this.db.outbox.add({ id, peerId, createdAt, attempts: 0, box });
        await this.db.chats.update(peerId, { lastAt: createdAt });
      });
      this.emit({ type: 'messages', peerId });
      this.emit({ type: 'chats' });
      void this.flush();
      return messageView(this.vault, row, this.me, 0);
    },

    markRead: async (p) => {
      const { peerId, seq } = PeerParams.extend({ seq: z.number().int().positive() }).parse(p);
      const chat = await this.db.chats.get(peerId);
      if (!chat || seq <= chat.myReadSeq) return null;
      await this.db.chats.update(peerId, { myReadSeq: seq });
      this.emit({ type: 'chats' });
      void this.flush();
      return null;
    },

    deleteMessages: async (p) => {
      const { peerId, ids } = PeerParams.extend({ ids: z.array(z.string().uuid()).min(1).max(100) }).parse(p);
      await request('POST', `/api/cloud/chats/${encodeURIComponent(peerId)}/delete`, { ids }, null);
      await this.db.transaction('rw', [this.db.messages, this.db.outbox, this.db.cloudMedia], async () => {
        await this.db.messages.bulkDelete(ids);
        await this.db.outbox.bulkDelete(ids);
        await this.db.cloudMedia.bulkDelete(ids);
      });
      this.emit({ type: 'messages', peerId });
      this.emit({ type: 'chats' });
      return null;
    },

    typing: async (p) => {
      const { peerId } = PeerParams.parse(p);
      this.socket?.send({ t: 'typing', peerId });
      return null;
    },

    syncNow: async () => {
      this.socket?.kick();
      await this.sync();
      await this.flush();
      await (await this.secret()).flush();
      return null;
    },

    retryQueued: async () => {
      await this.retryQueued();
      return null;
    },

    startSecretChat: async (p) => {
      const { peerId } = PeerParams.parse(p);
      if (peerId === this.me) throw new CoreError('bad_request', 'A secret chat needs another person');
      return { id: await (await this.secret()).start(peerId) };
    },

    secretChat: async (p) => (await loadSecret()).secretChatView(this.db, this.vault, ChatParams.parse(p).id),

    secretMessages: async (p) => {
      const cursor = z.object({ at: z.number().finite(), id: z.string().min(1).max(64) }).optional();
      const { id, before, after, from, limit } = ChatParams.extend({
        before: cursor,
        after: cursor,
        from: cursor,
        // Local reads only (a page's whole window at most), nothing goes to the relay.
        limit: z.number().int().min(1).max(1000).optional()
      })
        .refine((q) => [q.before, q.after, q.from].filter(Boolean).length <= 1, 'before, after and from exclude each other')
        .parse(p);
      return (await loadSecret()).secretMessages(this.db, this.vault, id, { before, after, from, limit: limit ?? 50 });
    },

    secretSend: async (p) => {
      const { id, text, replyTo } = ChatParams.extend({
        text: z.string().trim().min(1, 'Message is empty').max(LIMITS.textMax, 'Message is too long'),
        replyTo: z.string().uuid().nullable().optional()
      }).parse(p);
      const sent = await (await this.secret()).sendText(id, text, replyTo ?? null);
      // Retried until the queue is empty, in case this flush fails (see scheduleRetry).
      void this.scheduleRetry();
      return { id: sent };
    },

    secretRead: async (p) => {
      const { id, ids } = IdsParams.parse(p);
      await (await this.secret()).markRead(id, ids);
      return null;
    },

    secretTyping: async (p) => {
      await (await this.secret()).typing(ChatParams.parse(p).id);
      return null;
    },

    secretDelete: async (p) => {
      const { id, ids } = IdsParams.parse(p);
      await (await this.secret()).deleteMessages(id, ids);
      return null;
    },

    secretClear: async (p) => {
      await (await this.secret()).clearHistory(ChatParams.parse(p).id);
      return null;
    },

    secretDeleteChat: async (p) => {
      await (await this.secret()).deleteChat(ChatParams.parse(p).id);
      return null;
    },

    secretSetTimer: async (p) => {
      const { id, seconds } = ChatParams.extend({ seconds: z.number().int() }).parse(p);
      await (await this.secret()).setTimer(id, seconds);
      return null;
    },

    secretKey: async (p) => (await loadSecret()).secretKey(this.db, this.vault, await this.db.secretChats.get(ChatParams.parse(p).id)),

    secretVerify: async (p) => {
      await (await this.secret()).verify(ChatParams.parse(p).id);
      return null;
    },

    secretSendFile: async (p) => {
      const { id, name, mime, bytes, caption } = ChatParams.extend({
        name: z.string().min(1).max(255),
        mime: z.string().max(127),
        bytes: z.instanceof(ArrayBuffer).refine((b) => b.byteLength > 0 && b.byteLength <= MAX_FILE_BYTES, 'Files up to 25 MB can be sent'),
        caption: z.string().max(LIMITS.textMax).optional()
      }).parse(p);
      return { id: await (await this.secret()).sendFile(id, name, mime || 'application/octet-stream', new Uint8Array(bytes), caption?.trim() ?? '') };
    },

    secretMedia: async (p) => {
      const { messageId } = z.object({ messageId: z.string().uuid() }).parse(p);
      const m = await (await this.secret()).media(messageId);
      return { bytes: m.bytes.buffer.slice(m.bytes.byteOffset, m.bytes.byteOffset + m.bytes.byteLength) as ArrayBuffer, mime: m.mime, name: m.name };
    },

    secretScreenshot: async (p) => {
      await (await this.secret()).screenshot(ChatParams.parse(p).id);
      return null;
    },

    cloudSendMedia: async (p) => {
      const { peerId, name, mime, bytes, ttl } = PeerParams.extend({
        name: z.string().trim().min(1).max(255),
        mime: z.string().max(127).regex(/^(image|video)\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, 'Only photos and videos can be sent here'),
        bytes: z.instanceof(ArrayBuffer).refine((b) => b.byteLength > 0 && b.byteLength <= MAX_FILE_BYTES, 'Files up to 25 MB can be sent'),
        ttl: z.number().int().refine((n) => (CLOUD_MEDIA_TTLS as readonly number[]).includes(n), 'Unsupported timer')
      }).parse(p);
      const id = crypto.randomUUID();
      const plain = new Uint8Array(bytes);
      // eslint-disable-next-line no-control-regex -- replacing control characters is the point
      const safeName = name.replace(/[\u0000-\u001f\u007f/\\]/g, '_');
      const mediaId = await uploadBytes(
        '/api/cloud/media',
        { [CLOUD_MEDIA_TO_USER_HEADER]: peerId, [CLOUD_MEDIA_MIME_HEADER]: mime.toLowerCase(), [CLOUD_MEDIA_NAME_HEADER]: encodeURIComponent(safeName) },
        plain,
        (loaded, total) => this.emit({ type: 'progress', id, loaded, total })
      );
      const { message } = await request(
        'POST',
        '/api/cloud/messages',
        { id, toUserId: peerId, text: '', media: { id: mediaId, ttl } },
        z.object({ message: CloudMessage })
      );
      const row = await sealMessage(this.vault, message);
      // The sender keeps the plaintext (sealed) so it never downloads its own upload.
      const box = await this.vault.sealBytes(places.cloudMedia(id), plain);
      await this.db.transaction('rw', [this.db.messages, this.db.chats, this.db.cloudMedia], async () => {
        await this.db.messages.put(row);
        await this.db.cloudMedia.put({ messageId: id, peerId, box });
        await this.db.chats.update(peerId, { lastAt: message.createdAt });
      });
      this.emit({ type: 'messages', peerId });
      this.emit({ type: 'chats' });
      return messageView(this.vault, row, this.me, (await this.db.chats.get(peerId))?.peerReadSeq ?? 0);
    },

    cloudMedia: async (p) => {
      const { messageId } = z.object({ messageId: z.string().uuid() }).parse(p);
      const { row, body } = await this.cloudMessage(messageId);
      if (!body.media) throw new CoreError('not_found', 'This message has no photo or video');
      const place = places.cloudMedia(messageId);
      const cached = await this.db.cloudMedia.get(messageId);
      let plain: Uint8Array;
      if (cached) plain = await this.vault.openBytes(place, cached.box);
      else {
        plain = await downloadBytes(`/api/cloud/media/${encodeURIComponent(body.media.id)}`, body.media.size, (loaded, total) =>
          this.emit({ type: 'progress', id: messageId, loaded, total })
        );
        const box = await this.vault.sealBytes(place, plain);
        // Cached only while the message exists: it may have been deleted during the download.
        await this.db.transaction('rw', this.db.messages, this.db.cloudMedia, async () => {
          if (await this.db.messages.get(messageId)) await this.db.cloudMedia.put({ messageId, peerId: row.peerId, box });
        });
      }
      return { bytes: plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.byteLength) as ArrayBuffer, mime: body.media.mime, name: body.media.name };
    },

    cloudMediaOpened: async (p) => {
      const { messageId } = z.object({ messageId: z.string().uuid() }).parse(p);
      const { row, body } = await this.cloudMessage(messageId);
      if (!body.media) throw new CoreError('not_found', 'This message has no photo or video');
      const res = await request(
        'POST',
        `/api/cloud/media/${encodeURIComponent(body.media.id)}/opened`,
        {},
        z.object({ media: CloudMedia.nullable() })
      );
      const media = res.media;
      if (media) {
        // The relay's 'message' update brings the same; applying it now shows the countdown at once.
        const box = await this.vault.seal<Body>(msgPlace(messageId), { ...body, media });
        await storeOpenedMedia(this.db, messageId, box, media.deadline);
        this.emit({ type: 'messages', peerId: row.peerId });
        void this.armPurge();
      }
      return { deadline: media?.deadline ?? null };
    },

    pushKey: async () => request('GET', '/api/push/key', undefined, z.object({ publicKey: z.string().min(1).max(200) })),

    pushSubscribe: async (p) => {
      const sub = z
        .object({ endpoint: z.string().url().max(2048), keys: z.object({ p256dh: z.string().max(200), auth: z.string().max(100) }) })
        .parse(p);
      await request('POST', '/api/push/subscribe', sub, null);
      return null;
    },

    pushUnsubscribe: async () => {
      await request('DELETE', '/api/push/subscribe', undefined, null);
      return null;
    },

    prefs: async () => loadPrefs(this.db),

    setPrefs: async (p) => {
      const change = z.object({ hidePreviews: z.boolean().optional(), autoLockMinutes: z.number().int().min(0).max(1440).optional() }).parse(p);
      const prefs = { ...(await loadPrefs(this.db)), ...change };
      await this.db.meta.put({ key: 'prefs', value: prefs });
      this.emit({ type: 'prefs' });
      return prefs;
    },

    diagnostics: async () => ((await this.db.meta.get('diagnostics'))?.value as Diagnostics | undefined) ?? emptyDiagnostics()
  };
}

function deviceName(): string {
  const ua = self.navigator?.userAgent ?? '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : 'unknown OS';
  return `${browser} on ${os}`;
}

export const toRpcError = (e: unknown): { code: string; message: string } => {
  if (e instanceof CoreError || e instanceof NetError || e instanceof SecretError || e instanceof PasscodeError) return { code: e.code, message: e.message };
  if (isProtocolError(e)) return { code: e.code, message: `Secret chat error: ${e.message}` };
  if (e instanceof z.ZodError) return { code: 'bad_request', message: e.issues[0]?.message ?? 'Invalid input' };
  console.error('cinder core:', e);
  return { code: 'internal', message: 'Something went wrong in the app core' };
};
