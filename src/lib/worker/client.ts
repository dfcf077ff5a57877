/**
 * Page-side handle on the crypto worker. Pages talk to keys and storage only through this.
 */
import { humanError } from '$lib/api/error-text';
import { parseResponse, type Method, type Params, type Result, type RpcError, type WorkerEvent } from './protocol';

export class WorkerCallError extends Error implements RpcError {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message);
    this.name = 'WorkerCallError';
  }
}

/** How long leave() waits for the worker to finish storing before the app reloads anyway. */
const LEAVE_WAIT_MS = 3000;
/** How long the saves at `beforeunload` may hold back the worker's pause (ms): the page may be gone first anyway. */
const LEAVE_SAVE_MS = 1000;

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Listener = (e: WorkerEvent) => void;

class WorkerClient {
  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners = new Set<Listener>();
  private leaveSaves = new Set<() => Promise<unknown>>();

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'cinder-core' });
    this.worker.addEventListener('message', (ev) => this.onMessage(ev.data));
    // WebKit keeps a page that was left in its back/forward cache with the worker frozen, not ended:
    // its Web Locks and IndexedDB transactions stay held and the next page's worker (and the service
    // worker) wait on them for good. Ending the worker when the page is hidden releases them (a
    // transaction cut short rolls back whole); a page brought back from that cache starts afresh.
    window.addEventListener('pagehide', () => this.worker.terminate());
    // WebKit's IndexedDB can hang for the next page when a page is left while its worker stores
    // something (store/tx-locks.ts): from `beforeunload` on, the worker starts no new storage work.
    // Safari on iOS never fires it; the app's own reloads go through leave() instead.
    // What the page still has to store (a draft typed just now) goes first: the pause would hold it back.
    window.addEventListener('beforeunload', () => {
      const saved = Promise.all([...this.leaveSaves].map((save) => save().catch(() => undefined)));
      void Promise.race([saved, new Promise((done) => setTimeout(done, LEAVE_SAVE_MS))])
        .then(() => this.call('leaving', {}))
        .catch(() => undefined);
    });
    window.addEventListener('pageshow', (ev) => {
      if (ev.persisted) location.reload();
    });
    this.worker.addEventListener('error', (ev) => {
      console.error('cinder worker failed', ev.message);
      for (const p of this.pending.values()) p.reject(new WorkerCallError('worker_failed', 'The app core stopped unexpectedly'));
      this.pending.clear();
    });
  }

  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ kind: 'call', id, method, params });
    });
  }

  /**
   * Before the app reloads itself: the worker finishes what it is storing and starts nothing new. Waits
   * at most LEAVE_WAIT_MS, so a store that stopped answering cannot keep the reload from happening.
   */
  async leave(): Promise<void> {
    await Promise.race([this.call('leaving', {}).catch(() => null), new Promise((done) => setTimeout(done, LEAVE_WAIT_MS))]);
  }

  /** Registers what the page stores when it is left (`beforeunload`), before the worker pauses; returns its removal. */
  onLeave(save: () => Promise<unknown>): () => void {
    this.leaveSaves.add(save);
    return () => this.leaveSaves.delete(save);
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onMessage(data: unknown) {
    const msg = parseResponse(data);
    if (!msg) {
      console.warn('cinder: ignored malformed message from worker');
      return;
    }
    if (msg.kind === 'event') {
      for (const l of this.listeners) l(msg.event);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(new WorkerCallError(msg.error.code, msg.error.message));
  }
}

let client: WorkerClient | null = null;

/** The single worker of this page, started on first use (never during SSR). */
export function core(): WorkerClient {
  client ??= new WorkerClient();
  return client;
}

/** What to tell the person: a sentence without field prefixes (see $lib/api/error-text). */
export function errorMessage(e: unknown): string {
  if (e instanceof WorkerCallError) return humanError(e.code, e.message);
  if (e instanceof Error) return humanError(undefined, e.message);
  return String(e);
}

/** The worker could not reach the relay. */
export const isUnreachable = (e: unknown): boolean => e instanceof WorkerCallError && e.code === 'offline';
