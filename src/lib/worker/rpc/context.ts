/**
 * What RPC handlers may use of the worker core. `Core` (../core.ts) owns the state and lifecycle
 * (database, vault, session, relay socket, sync, outbox flush, retry and purge timers) and hands each
 * handler this context; each area's file takes only the part it needs (`Pick<CoreContext, …>`).
 */
import type { CinderDB } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import type { ClientFrame } from '$lib/api/wire';
import type { ConnectionState, SessionView, WorkerEvent } from '../protocol';
import type { SecretEngine } from '../secret';
import type { Method, Result, ValidParams } from './methods';

export type SecretModule = typeof import('../secret');

export class CoreError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message);
  }
}

export interface CoreContext {
  /** The open local database (reopened empty after a wipe). */
  readonly db: CinderDB;
  /** The unlocked vault; throws 'locked' while the passcode lock is closed. */
  readonly vault: Vault;
  /** The vault is open (no passcode, or unlocked). */
  readonly unlocked: boolean;
  /** The signed-in user's id; throws 'unauthorized' without a session. */
  readonly me: string;
  readonly session: SessionView | null;
  readonly connection: ConnectionState;
  /** Resolves once the database is open and what expired meanwhile is purged. */
  readonly ready: Promise<void>;
  emit(e: WorkerEvent): void;
  /** The crypto half of the worker, loaded on first use (see secret/index.ts). */
  secretModule(): Promise<SecretModule>;
  /** The secret-chat engine of the unlocked vault. */
  secret(): Promise<SecretEngine>;

  // ---------- session ----------
  /** Creates this device's identity, registers it at `path` (signup or login) and signs in. */
  register(path: string, body: Record<string, unknown>): Promise<SessionView>;
  setSession(s: SessionView | null): Promise<void>;
  /** Once per worker: starts the relay for the stored session and checks it with the server. */
  confirmSession(): void;
  /** Wipes everything on this device: keys, history, outbox. */
  wipe(reason: 'revoked' | 'logout'): Promise<void>;

  // ---------- vault ----------
  /** Switches to an (un)locked vault (null = locked): the engine and cached keys belong to one vault. */
  useVault(vault: Vault | null): void;
  /** Sets or removes the passcode (`rekey` re-keys the store): switches to the new vault and tells the other tabs. */
  replaceVault(rekey: () => Promise<Vault>): Promise<void>;
  /** Closes the relay connection and the vault. */
  lock(): void;
  /** Tells this device's other tabs to lock too (the passcode lock is for the whole device). */
  lockOtherTabs(): void;

  // ---------- relay, sync and queues ----------
  startRelay(): void;
  /** Sends a frame on the relay socket if there is one (best effort). */
  sendFrame(frame: ClientFrame): void;
  /** Reconnects the relay socket now if it is waiting out a backoff. */
  kick(): void;
  /** The browser reported going offline: show it and check the open socket with a short deadline. */
  networkLost(): void;
  /** Replays the update log until caught up. */
  sync(): Promise<void>;
  /** Sends what the outbox holds. */
  flush(): Promise<void>;
  /** Retries the outbox and the secret send queue with backoff until they are empty. */
  scheduleRetry(): Promise<void>;
  /** Retries what waits now, without waiting out the backoff. */
  retryQueued(): Promise<void>;
  /** Deletes expired messages now and arms a timer for the next deadline. */
  armPurge(): Promise<void>;
}

/** A method's handler: validated params in, the method's result out. */
export type Handler<M extends Method, C = CoreContext> = (ctx: C, params: ValidParams<M>) => Promise<Result<M>>;

/** An area's handlers, each given the part `C` of the context that area uses. */
export type Handlers<M extends Method, C = CoreContext> = { [K in M]: Handler<K, C> };
