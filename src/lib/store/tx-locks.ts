/**
 * Every IndexedDB transaction of the app first takes Web Locks on the object stores it touches
 * (shared to read, exclusive to write), so IndexedDB is never handed a transaction that must wait
 * for another one with an overlapping scope: conflicting transactions wait here, in lock order.
 *
 * Why: WebKit (Safari, every iPhone browser) loses the whole database when a worker ends — a page
 * closed or navigated away — while one of its transactions is queued behind another read-write
 * transaction on the same stores: every later transaction of every tab and of the service worker
 * hangs with no error until the browser restarts (WebKit bug 324094; here it showed as "Opening
 * Cinder…" forever and messages that never arrived). Checked with a bare worker in WebKitGTK: two
 * overlapping read-write transactions in flight at the end hang the database at the second or third
 * try; one at a time, or disjoint stores, never. Web Locks span the page's worker and the service
 * worker, so neither ever queues inside IndexedDB behind the other.
 *
 * Dexie's open reads the schema in a transaction without requests that it does not wait for: our opens
 * hold their locks until it has ended (Dexie's own re-open after a version change elsewhere is the one
 * open left unlocked: it runs inside a transaction's locks, which it must not wait for).
 *
 * The wait is one IndexedDB would impose anyway (it runs overlapping transactions one after the other
 * when one writes), in the same order, so this adds no deadlock and changes no result.
 */
import { Dexie, type Table } from 'dexie';
import { watchHeld, watchOpen, watchTransaction } from './stall-watch';

type Mode = 'shared' | 'exclusive';

/** The part of the Web Locks API used here (navigator.locks, or the in-memory stand-in). */
export interface LockRequester {
  request<T>(name: string, options: { mode: Mode }, callback: () => Promise<T>): Promise<T>;
}

/** For contexts without Web Locks (Node in unit tests, very old engines): the same rules within one context. */
export class LocalLocks implements LockRequester {
  private readonly held = new Map<string, { mode: Mode; count: number }>();
  private readonly waiting = new Map<string, { mode: Mode; grant: () => void }[]>();

  async request<T>(name: string, options: { mode: Mode }, callback: () => Promise<T>): Promise<T> {
    await this.acquire(name, options.mode);
    try {
      return await callback();
    } finally {
      this.release(name);
    }
  }

  private acquire(name: string, mode: Mode): Promise<void> {
    const queue = this.waiting.get(name) ?? [];
    if (!queue.length && this.compatible(name, mode)) {
      this.take(name, mode);
      return Promise.resolve();
    }
    return new Promise((grant) => {
      queue.push({ mode, grant: () => (this.take(name, mode), grant()) });
      this.waiting.set(name, queue);
    });
  }

  private compatible(name: string, mode: Mode): boolean {
    const h = this.held.get(name);
    return !h || (h.mode === 'shared' && mode === 'shared');
  }

  private take(name: string, mode: Mode) {
    const h = this.held.get(name);
    this.held.set(name, { mode, count: (h?.count ?? 0) + 1 });
  }

  private release(name: string) {
    const h = this.held.get(name)!;
    if (--h.count === 0) this.held.delete(name);
    // First come, first served: grant from the head of the queue while it is compatible.
    const queue = this.waiting.get(name) ?? [];
    while (queue.length && this.compatible(name, queue[0].mode)) queue.shift()!.grant();
    if (!queue.length) this.waiting.delete(name);
  }
}

let local: LocalLocks | null = null;

/** One transaction of this context on its way through the store locks (for diagnostics). */
export interface LockedOp {
  db: string;
  stores: string[];
  mode: Mode;
  /** paused: the page is being left; opening: the database first; waiting: for the locks; held: locks taken, the transaction runs. */
  phase: 'paused' | 'opening' | 'waiting' | 'held';
  since: number;
}
const activity = new Set<LockedOp>();

/** Opens of this context running now (through openLocked): they count as work in flight too. */
let opensRunning = 0;

// ---------- a page being left ----------
// WebKitGTK 2.50 hung IndexedDB for the next page (its worker's open and transactions, and a fresh open
// from the page, got no answer) when a page was left while its worker was storing what it had just
// received: about one navigation in 20 of a soak (tests/engines/soak.spec.ts); none while the worker
// was idle. The cause is inside WebKit (docs/compatibility.md). So from the moment a page is about to
// be left, its worker starts no new transaction or open, and what holds its locks ends: 3 hangs in
// ~1,350 navigations of the same soak.

const pauses = new Set<Promise<void>>();
let quietWaiters: (() => void)[] = [];

const busy = () => opensRunning > 0 || [...activity].some((op) => op.phase === 'held');

function settled() {
  if (!quietWaiters.length || busy()) return;
  const waiters = quietWaiters;
  quietWaiters = [];
  for (const w of waiters) w();
}

/**
 * New transactions and opens of this context wait until `until` settles (ones already holding their
 * locks go on). Resolves once nothing of this context runs in IndexedDB any more.
 */
export function pauseTransactions(until: Promise<unknown>): Promise<void> {
  const pause = until.then(
    () => undefined,
    () => undefined
  );
  pauses.add(pause);
  void pause.then(() => pauses.delete(pause));
  if (!busy()) return Promise.resolve();
  return new Promise((resolve) => quietWaiters.push(resolve));
}

async function unpaused(op?: LockedOp): Promise<void> {
  // Each pause removes itself before anyone awaiting it wakes (its own `then` came first).
  while (pauses.size) {
    if (op) op.phase = 'paused';
    await Promise.race(pauses);
  }
  if (op) op.phase = 'opening';
}

/** What this context's transactions are doing now: a stuck one shows which stores and since when. */
export function lockActivity(): LockedOp[] {
  return [...activity].map((op) => ({ ...op, stores: [...op.stores] }));
}

function platformLocks(): LockRequester {
  const locks = (globalThis as { navigator?: { locks?: LockRequester } }).navigator?.locks;
  return locks ?? (local ??= new LocalLocks());
}

const isWrite = (mode: string) => mode === 'readwrite' || mode.startsWith('rw');

/** Takes the locks one by one in name order (a fixed order, so two transactions never wait on each other). */
function withLocks<T>(locks: LockRequester, names: string[], mode: Mode, run: () => Promise<T>): Promise<T> {
  const [first, ...rest] = names;
  if (first === undefined) return run();
  return locks.request(first, { mode }, () => withLocks(locks, rest, mode, run));
}

/** Store names of a Dexie `transaction(mode, ...tables, scope)` call. */
export function scopeOf(args: unknown[]): string[] {
  const names = new Set<string>();
  const add = (t: unknown): void => {
    if (Array.isArray(t)) t.forEach(add);
    else if (typeof t === 'string') names.add(t);
    else if (t && typeof (t as Table).name === 'string') names.add((t as Table).name);
  };
  args.slice(1, -1).forEach(add);
  return [...names];
}

const opens = new WeakMap<Dexie, () => Promise<void>>();

/**
 * Transactions still running per connection. Dexie's open reads the schema in a transaction without
 * requests and does not wait for it; an open holds its locks until that one has ended too, or a write
 * could queue behind it (the trap above). Each transaction and open is also watched for answers
 * (stall-watch.ts).
 */
const running = new WeakMap<IDBDatabase, Set<IDBTransaction>>();
let tracking = false;
function trackTransactions() {
  if (tracking || typeof IDBDatabase === 'undefined') return;
  tracking = true;
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const tx = transaction.apply(this, args);
    const set = running.get(this) ?? new Set<IDBTransaction>();
    running.set(this, set);
    set.add(tx);
    const end = () => set.delete(tx);
    tx.addEventListener('complete', end);
    tx.addEventListener('abort', end);
    watchTransaction(tx);
    return tx;
  } as IDBDatabase['transaction'];
  if (typeof IDBFactory !== 'undefined') {
    const open = IDBFactory.prototype.open;
    IDBFactory.prototype.open = function (this: IDBFactory, ...args: Parameters<IDBFactory['open']>) {
      const req = open.apply(this, args);
      watchOpen(req);
      return req;
    } as IDBFactory['open'];
  }
}
function ended(idb: IDBDatabase | null | undefined): Promise<void> {
  const txs = idb ? [...(running.get(idb) ?? [])] : [];
  return Promise.all(
    txs.map(
      (tx) =>
        new Promise<void>((done) => {
          tx.addEventListener('complete', () => done());
          tx.addEventListener('abort', () => done());
        })
    )
  ).then(() => undefined);
}

/** Opens the database the locked way (see lockTransactions); a Dexie without store locks opens plainly. */
export function openLocked(db: Dexie): Promise<void> {
  return (opens.get(db) ?? (() => db.open().then(() => undefined)))();
}

/**
 * Makes every transaction this Dexie instance starts (explicit `db.transaction()` and the implicit
 * one behind a lone `table.get/put/…`) take its store locks first. Work inside a transaction
 * already holds them and passes straight through.
 */
export function lockTransactions(db: Dexie, locks: LockRequester = platformLocks()): void {
  const names = (stores: string[]) => stores.map((s) => `cinder-idb:${db.name}:${s}`).sort();

  // Opening reads the schema in a transaction over every store: it takes them all, shared. Done
  // before a transaction's own locks are taken: Dexie opens a closed database (after a version change
  // elsewhere) on its own when a transaction starts, and that open must not wait for locks its caller
  // holds, so Dexie's own opens are left as they are (db.open is not replaced).
  const open = db.open.bind(db);
  const state = (db as unknown as { _state?: { autoOpen?: unknown } })._state;
  if (typeof state?.autoOpen !== 'boolean') throw new Error('Dexie internals changed: _state.autoOpen is missing');
  const mustOpen = () => !db.isOpen() && state.autoOpen === true;
  trackTransactions();
  watchHeld(() => [...activity].filter((op) => op.phase === 'held').map((op) => op.since));
  opens.set(db, async () => {
    if (pauses.size) await unpaused();
    await withLocks(locks, names(db.tables.map((t) => t.name)), 'shared', async () => {
      opensRunning++;
      try {
        await open();
        await ended((db as unknown as { idbdb?: IDBDatabase | null }).idbdb);
      } finally {
        opensRunning--;
        settled();
      }
    });
  });
  // A database closed on purpose stays so (autoOpen off): Dexie's own path then reports it.
  const locked = async <T>(stores: string[], mode: Mode, run: () => Promise<T>): Promise<T> => {
    const op: LockedOp = { db: db.name, stores, mode, phase: 'opening', since: Date.now() };
    activity.add(op);
    try {
      if (pauses.size) await unpaused(op);
      if (mustOpen()) await openLocked(db).catch(() => undefined);
      op.phase = 'waiting';
      return await withLocks(locks, names(stores), mode, () => {
        op.phase = 'held';
        op.since = Date.now();
        return run();
      });
    } finally {
      activity.delete(op);
      settled();
    }
  };

  const transaction = db.transaction.bind(db) as (...args: unknown[]) => Promise<unknown>;
  (db as unknown as { transaction: (...args: unknown[]) => Promise<unknown> }).transaction = (...args: unknown[]) => {
    if (Dexie.currentTransaction) return transaction(...args);
    const mode: Mode = isWrite(String(args[0])) ? 'exclusive' : 'shared';
    // Dexie resolves an explicit transaction only once IndexedDB completed it: the locks last that long.
    return Dexie.Promise.resolve(locked(scopeOf(args), mode, () => transaction(...args)));
  };

  // The implicit transaction of a lone table operation is made in Table#_trans (Dexie 4's one path for it).
  type Trans = (mode: string, fn: (idbtrans: IDBTransaction, trans: unknown) => unknown, writeLocked?: boolean) => PromiseLike<unknown>;
  const proto = (db as unknown as { Table: { prototype: { _trans: Trans } } }).Table.prototype;
  const trans = proto._trans;
  if (typeof trans !== 'function') throw new Error('Dexie internals changed: Table#_trans is missing');
  proto._trans = function (this: Table & { _tx?: unknown }, mode, fn, writeLocked) {
    if (this._tx || Dexie.currentTransaction) return trans.call(this, mode, fn, writeLocked);
    return Dexie.Promise.resolve(
      locked([this.name], isWrite(mode) ? 'exclusive' : 'shared', () => {
        // A read resolves before its transaction has committed: hold the lock until it has.
        let done: Promise<void> = Promise.resolve();
        const result = Promise.resolve(
          trans.call(
            this,
            mode,
            (idbtrans, t) => {
              done = new Promise<void>((ended) => {
                idbtrans.addEventListener('complete', () => ended());
                idbtrans.addEventListener('abort', () => ended());
              });
              return fn(idbtrans, t);
            },
            writeLocked
          )
        );
        return result.then(
          async (value) => (await done, value),
          async (error) => {
            await done;
            throw error;
          }
        );
      })
    );
  };
}
