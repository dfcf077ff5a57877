/**
 * The worker's state and lifecycle: it owns the device keys, the local database, the passcode
 * vault, the session and the relay connection (sync, outbox flush, retry and purge timers). The
 * methods pages call are in ./rpc, one file per area, and reach this state only through the
 * `CoreContext` it hands them; pages see only the views defined in ./protocol.
 */
import { toB64u } from '$lib/api/b64';
import type { CryptoBackend, Identity } from '$lib/crypto';
import { Session, type Envelope, type ServerFrame } from '$lib/api/wire';
import { destroyStore, openStore, type CinderDB } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { onStaleWrite } from '$lib/store/vault-guard';
import { flushCloud } from './cloud-actions-flush';
import { cloudEvents } from './data-channel';
import { applyKept, applyLive, pullUpdates, type Applied, type SyncState } from './cloud-sync';
import { NetError, request } from './net';
import type { ConnectionState, SessionView, WorkerEvent } from './protocol';
import { CoreError, type CoreContext } from './rpc/context';
import { dispatch } from './rpc';
import { METHODS, type Method, type Params, type Result } from './rpc/methods';
import { deviceName } from './device-name';
import { RelaySocket } from './socket';
import type { SecretEngine } from './secret';
import { loadKeygen, loadSecret } from './lazy';
import { keepAddressing } from './protocol-announce';
import { refreshBlocks } from './blocks';
import { VaultFollower } from './vault-follow';
import { parkedWaiting, receiveHeld } from './locked-inbox';
import { IdentityCache } from './identity-cache';
import { PurgeTimer } from './purge-timer';
import { anyQueued, countQueued } from './queued';
import { failDeadUploads } from './secret-uploads';
import { ephemeralFrame } from './presence';

export { CoreError };

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
  /** The browser reported no network, or the heartbeat found the socket dead: shown as 'offline' until the relay answers. */
  private netDown = false;
  /** The last queued counts told to pages (messages: outbox and secret send queue; cloud actions). */
  private queued = '';
  /**
   * Resolves once the database is open, what expired while the app was closed is purged and secret
   * files whose upload died with an earlier worker are marked failed (secret-uploads.ts); every call
   * waits for it (see worker.ts), so no call can read a message whose timer already ran out.
   */
  readonly ready: Promise<void>;
  private backendP: Promise<CryptoBackend> | null = null;
  private readonly identities = new IdentityCache();
  /** init has started the relay and the session check for the stored session (once per worker). */
  private confirming = false;
  /** Timed messages' deadlines; worker-main re-arms it when another context changed messages. */
  readonly purge = new PurgeTimer({ db: () => this.db, emit: (e) => this.emit(e) });
  private wiping: Promise<void> | null = null;
  private readonly ctx: CoreContext = this.context();
  /** Another tab set or removed the passcode: this worker follows (./vault-follow.ts). */
  private readonly vaults = new VaultFollower({
    db: () => this.db,
    current: () => this.unlockedVault,
    useClear: (vault) => {
      const wasLocked = !this.unlockedVault;
      this.useVault(vault);
      this.emit({ type: 'lock', locked: false, hasPasscode: false });
      if (!wasLocked) return;
      if (this.session) this.startRelay();
      void receiveHeld(this.db, () => this.secret()).catch(() => undefined);
    },
    lockOut: () => {
      this.lock();
      this.emit({ type: 'lock', locked: true, hasPasscode: true });
    }
  });

  constructor(private readonly emit: (e: WorkerEvent) => void) {
    this.ready = this.openDb().then(() => Promise.all([this.purge.arm(), failDeadUploads(this.db, this.emit).catch(() => undefined)]).then(() => undefined));
  }

  /**
   * Opens the database and takes the stored session with it, so calls sent at start-up alongside
   * `init` (the route's chat and first page) find the device signed in instead of failing once.
   */
  private async openDb() {
    const { db, vault } = await openStore();
    this.db = db;
    onStaleWrite(db, () => void this.vaults.follow().catch(() => undefined));
    this.useVault(vault);
    this.session = ((await db.meta.get('session'))?.value as SessionView | undefined) ?? null;
  }

  private backend(): Promise<CryptoBackend> {
    this.backendP ??= loadKeygen().then((m) => m.detectBackend());
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
    if (this.engine) return this.engine;
    this.engine = new SecretEngine({
      db: this.db,
      vault,
      backend: () => this.backend(),
      identity: () => this.identity(),
      me: () => ({ userId: this.me, deviceId: this.session!.device.id }),
      emit: (e) => {
        this.emit(e);
        if (e.type === 'secret') void this.purge.arm();
      },
      sendStalled: () => void this.scheduleRetry()
    });
    // Chats stored by an earlier version are sealed again in the current format (this needs the open vault).
    void this.engine.upgradeStored().catch(() => undefined);
    return this.engine;
  }

  /** Switches to an (un)locked vault: the engine and cached keys belong to one vault. */
  private useVault(vault: Vault | null) {
    this.identities.clear();
    this.unlockedVault = vault;
    this.engine?.stop(); // its receipt and wake-up timers: the next engine takes up what they held (kept in meta)
    this.engine = null; // the next secret() builds one for this vault
  }

  private identity(): Promise<Identity> {
    const vault = this.vault;
    return this.identities.get(this.db, vault, () => this.unlockedVault === vault);
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
        this.netDown = false;
        this.syncState.behind = true;
        this.syncState.epoch++;
        this.setConnection('updating');
      },
      onClose: (reason) => {
        if (reason === 'dead') this.netDown = true;
        this.setConnection('connecting');
      },
      onFrame: (f) => void this.onFrame(f)
    });
    this.setConnection('connecting');
    this.socket.start();
    void Promise.all([this.reportQueued(), this.unlockedVault && applyKept(this.db, this.unlockedVault, this.me, (a) => this.announce(a))]);
  }

  /** How long the open socket may stay silent once the browser reported going offline. */
  static readonly OFFLINE_CHECK_MS = 1500;

  /**
   * The browser says the network is gone: say so at once, and find out whether the open socket
   * died with it (a socket can stay "open" without a network; only the missing pong tells).
   */
  private networkLost() {
    if (!this.session || !this.socket) return;
    this.netDown = true;
    this.setConnection(this.connection);
    this.socket.check(Core.OFFLINE_CHECK_MS);
  }

  /** Tells pages how many messages wait to be sent (only when it changed). */
  private async reportQueued(): Promise<void> {
    if (!this.session) return;
    const { count, actions } = await countQueued(this.db);
    if (this.socket) this.socket.urgent = count + actions > 0;
    if (count + actions > 0) this.socket?.hurry();
    if (`${count}/${actions}` === this.queued) return;
    this.queued = `${count}/${actions}`;
    this.emit({ type: 'queued', count, ...(actions ? { actions } : {}) });
  }

  /**
   * Once per worker (init): starts the relay for the stored session (unless locked) and confirms
   * with the server that the device is still valid; offline keeps the cached session.
   */
  private confirmSession() {
    if (!this.session || this.confirming) return;
    this.confirming = true;
    if (this.unlockedVault) this.startRelay();
    request('GET', '/api/me', undefined, Session)
      .then((s) => this.setSession(s))
      .catch((e) => this.onNetFailure(e));
  }

  /** The passcode lock closes: the relay connection ends and the vault's keys are dropped. */
  private lock() {
    this.netDown = false;
    this.socket?.stop();
    this.socket = null;
    this.setConnection('offline');
    this.useVault(null);
  }

  private setConnection(requested: ConnectionState) {
    // Nothing reaches the relay while the network is down, whatever the last socket said.
    const state = this.netDown && requested !== 'offline' ? 'offline' : requested;
    if (state === this.connection) return;
    this.connection = state;
    this.emit({ type: 'connection', state });
  }

  /** Wipes everything on this device: keys, history, outbox. A wipe asked for while one runs joins it. */
  private wipe(reason: 'revoked' | 'logout'): Promise<void> {
    this.wiping ??= this.wipeNow(reason).finally(() => (this.wiping = null));
    return this.wiping;
  }

  private async wipeNow(reason: 'revoked' | 'logout') {
    this.purge.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.netDown = false;
    this.queued = '';
    this.socket?.stop();
    this.socket = null;
    this.setConnection('offline');
    await destroyStore(this.db);
    this.session = null;
    await this.openDb();
    this.emit({ type: 'session', session: null, reason });
  }

  private async register(path: string, body: Record<string, unknown>): Promise<SessionView> {
    const { generateIdentity, storeIdentity } = await loadKeygen();
    const identity = await generateIdentity(await this.backend());
    const device = { name: deviceName(), signPub: toB64u(identity.sign.pub), dhPub: toB64u(identity.dh.pub) };
    const session = await request('POST', path, { ...body, device }, Session);
    // A new account on this browser starts from an empty device.
    const previous = (await this.db.meta.get('session'))?.value as SessionView | undefined;
    if (previous && previous.user.id !== session.user.id) await this.wipe('logout');
    await storeIdentity(this.db, this.vault, session.device.id, identity);
    this.identities.set(identity);
    await this.db.meta.put({ key: 'cursor', value: 0 });
    await this.setSession(session);
    this.startRelay();
    return session;
  }

  // ---------- relay events ----------

  private async onFrame(f: ServerFrame) {
    if (ephemeralFrame(f, this.emit)) return; // typing, presence, privacy (./presence.ts)
    switch (f.t) {
      case 'hello':
        // A new socket (perhaps to a relay restored from a backup): what was handled counts again after a pull.
        this.engine?.reconnected();
        // The relay answers again: what waits goes out now, beside the catch-up pull, not after a
        // backoff wait left over from the outage.
        void this.sendQueuedNow();
        // The cloud catch-up and the secret pull side by side; the pull after the block list (blocks.ts: what a
        // peer blocked meanwhile sent is dropped). Nothing queued for this device (hello counts after subscribing, so a
        // later envelope brings its frame) and none parked: the crypto half is not loaded and compiled for an empty pull.
        await Promise.all([this.sync(), refreshBlocks(this.db, this.emit).then(async () => (f.envelopes > 0 || (await parkedWaiting(this.db))) && this.pullSecret())]);
        if (this.unlockedVault) void keepAddressing(this.db, () => this.secret()).catch(() => undefined); // sealed addressing
        break;
      case 'blocks':
        await refreshBlocks(this.db, this.emit);
        break;
      case 'envelope':
        // The frame's own envelope when it is next in queue order, else a pull (see SecretEngine.live).
        await this.pullSecret(f);
        break;
      case 'update': {
        // When this device is behind (a pull failed), this pulls instead, so nothing is skipped.
        await applyLive(this.db, this.vault, this.me, f.update, f.prev, this.syncState, (a) => this.announce(a)).catch((e) => this.onNetFailure(e));
        break;
      }
      case 'revoked':
        await this.wipe('revoked');
    }
  }

  /** The secret queue pulled, or a live envelope taken (its failure reported, never thrown). */
  private async pullSecret(live?: { envelope: Envelope; prev?: number }): Promise<void> {
    try {
      const engine = await this.secret();
      await (live ? engine.live(live.envelope, live.prev) : engine.pull());
    } catch (e) {
      await this.onNetFailure(e);
    }
  }

  private announce({ changed, deadlines = false, peers = new Set(), list = changed.size > 0, session, ...rest }: Partial<Applied> & Pick<Applied, 'changed'>) {
    for (const e of cloudEvents({ changed, peers, list, ...rest })) this.emit(e);
    if (deadlines) void this.purge.arm(); // an update brought a cloud media deadline: re-arm the purge timer for it
    if (session && this.session) void this.setSession(session); // my name or photo, changed on another device
  }

  /**
   * Replays the update log from the stored cursor until caught up. A hello that comes while a pull
   * runs joins it; that pull read the log before the new socket subscribed, so another one follows.
   */
  private sync(): Promise<void> {
    this.syncing ??= (async () => {
      this.setConnection('updating');
      do await pullUpdates(this.db, this.vault, this.me, (a) => this.announce(a), this.syncState);
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
    void this.reportQueued();
    if (this.flushing) {
      // Messages written while a flush runs go out in another pass.
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.flushAgain = false;
        // The outbox's sends, then the cloud actions taken offline (./cloud-actions-flush.ts).
        await flushCloud(this.db, this.vault, this.me, (a) => this.announce(a), this.emit);
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
    await this.reportQueued();
    if (!this.session || !this.socket || this.retryTimer) return;
    const behind = this.syncState.behind && this.socket.open;
    if (!behind && !(await anyQueued(this.db))) {
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
    if (this.netDown) {
      this.netDown = false;
      this.setConnection(this.socket.open ? 'online' : 'connecting');
      this.socket.check(Core.OFFLINE_CHECK_MS);
    }
    this.socket.kick();
    // The socket may have survived the outage; what failed meanwhile is retried now.
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryDelay = 0;
    await this.retryNow();
  }

  /** Cancels a pending backoff retry and sends both queues at once. */
  private async sendQueuedNow(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryDelay = 0;
    await this.flushBoth();
  }

  private async retryNow(): Promise<void> {
    if (!this.session || !this.socket) return;
    if (this.syncState.behind && this.socket.open) await this.sync();
    await this.flushBoth();
    void this.scheduleRetry();
  }

  /** The outbox and the secret send queue (the crypto half is not loaded just to find that one empty). */
  private async flushBoth(): Promise<void> {
    const secret = (await this.db.sendQueue.count()) ? (await this.secret()).flush().catch((e) => this.onNetFailure(e)) : null;
    await Promise.all([this.flush(), secret]);
  }

  // ---------- methods ----------

  /** What RPC handlers (./rpc) may use of this core: its state read-only, its lifecycle operations. */
  private context(): CoreContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const core = this;
    return {
      get db() {
        return core.db;
      },
      get vault() {
        return core.vault;
      },
      get unlocked() {
        return core.unlockedVault !== null;
      },
      get me() {
        return core.me;
      },
      get session() {
        return core.session;
      },
      get connection() {
        return core.connection;
      },
      get ready() {
        return core.ready;
      },
      emit: (e) => this.emit(e),
      secretModule: loadSecret,
      secret: () => this.secret(),
      register: (path, body) => this.register(path, body),
      setSession: (s) => this.setSession(s),
      confirmSession: () => this.confirmSession(),
      wipe: (reason) => this.wipe(reason),
      useVault: (vault) => this.useVault(vault),
      replaceVault: (rekey) => this.vaults.replace(rekey, (vault) => this.useVault(vault)),
      lock: () => this.lock(),
      lockOtherTabs: () => this.vaults.announceLocked(),
      startRelay: () => this.startRelay(),
      sendFrame: (frame) => void this.socket?.send(frame),
      kick: () => this.socket?.kick(),
      sync: () => this.sync(),
      flush: () => this.flush(),
      scheduleRetry: () => this.scheduleRetry(),
      retryQueued: () => this.retryQueued(),
      networkLost: () => this.networkLost(),
      armPurge: () => this.purge.arm()
    };
  }

  /** Calls a method: its params are validated against the method table, then its handler runs. */
  call<M extends Method>(method: M, params: unknown): Promise<Result<M>> {
    return this.vaults.around(() => dispatch(this.ctx, method, params));
  }

  /** Every method as a function of its params (validated), e.g. `core.methods.messages({ peerId })`. */
  readonly methods = Object.fromEntries((Object.keys(METHODS) as Method[]).map((m) => [m, (p: unknown) => this.call(m, p)])) as {
    [M in Method]: (p: Params<M>) => Promise<Result<M>>;
  };
}
