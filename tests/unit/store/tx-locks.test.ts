/**
 * Store locks (store/tx-locks.ts): IndexedDB is never handed a transaction that would queue behind an
 * overlapping one (the WebKit trap that loses the database when a worker ends), and results stay as
 * they were. Live transactions are watched at the IndexedDB level (fake-indexeddb).
 */
import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CinderDB, destroyStore, openStore } from '$lib/store/db';
import { DIAG_CHANNEL, answerDiagnostics, type ContextReport } from '$lib/store/lock-diagnostics';
import { LocalLocks, lockActivity, lockTransactions, openLocked, pauseTransactions } from '$lib/store/tx-locks';

interface Live {
  db: string;
  stores: string[];
  write: boolean;
}

let live: Live[] = [];
let conflicts: string[] = [];
// The store's own tracking of running transactions wraps IDBDatabase#transaction once per context,
// at the first CinderDB: done here first, so the watcher below wraps it and never drops it.
new CinderDB('tx-init').close();
const original = IDBDatabase.prototype.transaction;

beforeEach(() => {
  live = [];
  conflicts = [];
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, stores: string | string[], mode?: IDBTransactionMode, opts?: IDBTransactionOptions) {
    const tx = original.call(this, stores, mode, opts);
    const me: Live = { db: this.name, stores: typeof stores === 'string' ? [stores] : [...stores], write: mode === 'readwrite' };
    for (const other of live) {
      if (other.db === me.db && (other.write || me.write) && other.stores.some((s) => me.stores.includes(s)))
        conflicts.push(`${me.write ? 'write' : 'read'} [${me.stores}] created while ${other.write ? 'write' : 'read'} [${other.stores}] was live`);
    }
    live.push(me);
    const end = () => (live = live.filter((l) => l !== me));
    tx.addEventListener('complete', end);
    tx.addEventListener('abort', end);
    return tx;
  } as typeof original;
});

afterEach(() => {
  IDBDatabase.prototype.transaction = original;
});

/** The kind of traffic the worker makes: explicit multi-store writes, lone writes and reads, all at once. */
async function traffic(db: Dexie & { meta: Dexie.Table; messages: Dexie.Table; chats: Dexie.Table }) {
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    work.push(
      db.transaction('rw', db.messages, db.chats, async () => {
        await db.messages.put({ id: `m${i}`, peerId: 'p', seq: i, createdAt: i });
        await db.chats.put({ peerId: 'p', lastAt: i });
      })
    );
    work.push(db.meta.put({ key: `k${i}`, value: i }));
    work.push(db.messages.get(`m${i - 1}`));
    work.push(db.transaction('r', db.meta, db.messages, () => Promise.all([db.meta.count(), db.messages.count()])));
  }
  await Promise.all(work);
}

describe('store locks', () => {
  it('a plain Dexie (control) does hand IndexedDB overlapping transactions at once', async () => {
    const db = new Dexie('tx-control') as Dexie & { meta: Dexie.Table; messages: Dexie.Table; chats: Dexie.Table };
    db.version(1).stores({ meta: 'key', messages: 'id', chats: 'peerId' });
    await traffic(db);
    expect(conflicts.length).toBeGreaterThan(0);
    db.close();
  });

  it('CinderDB never does, under the same traffic, and every write lands', async () => {
    const db = new CinderDB('tx-locked');
    await traffic(db as never);
    expect(conflicts).toEqual([]);
    expect(await db.messages.count()).toBe(20);
    expect(await db.meta.count()).toBe(20);
    expect((await db.chats.get('p'))?.lastAt).toBeGreaterThanOrEqual(0);
    db.close();
  });

  it('keeps the order of results: a read issued after a write (not awaited) sees it', async () => {
    const db = new CinderDB('tx-order');
    const writes = Array.from({ length: 10 }, (_, i) => db.meta.put({ key: 'x', value: i }));
    const read = db.meta.get('x');
    await Promise.all(writes);
    expect((await read)?.value).toBe(9);
    db.close();
  });

  it('work inside a transaction passes straight through (no wait on its own locks), and a failed one releases them', async () => {
    const db = new CinderDB('tx-nested');
    await db.transaction('rw', db.meta, db.messages, async () => {
      await db.meta.put({ key: 'a', value: 1 });
      await db.transaction('rw', db.meta, () => db.meta.put({ key: 'b', value: 2 }));
      expect(await db.meta.count()).toBe(2);
    });
    await expect(
      db.transaction('rw', db.meta, async () => {
        await db.meta.put({ key: 'c', value: 3 });
        throw new Error('boom');
      })
    ).rejects.toThrow('boom');
    // The failed transaction rolled back and let go of its locks: the next one runs.
    expect(await db.meta.get('c')).toBeUndefined();
    await db.meta.put({ key: 'd', value: 4 });
    expect(await db.meta.count()).toBe(3);
    db.close();
  });

  it('two connections to one database (page worker and service worker) take the same locks', async () => {
    const a = new CinderDB('tx-two');
    const b = new CinderDB('tx-two');
    await Promise.all([traffic(a as never), traffic(b as never)]);
    expect(conflicts).toEqual([]);
    a.close();
    b.close();
  });

  it('a database deleted by one connection (logout) while another is busy: both go on, nothing waits for good', async () => {
    const a = await openStore('tx-delete');
    const b = new CinderDB('tx-delete');
    await b.meta.put({ key: 'x', value: 1 });
    // b keeps writing while a erases the device; Dexie closes b on the version change and opens it again.
    const busy = Promise.allSettled(Array.from({ length: 30 }, (_, i) => b.transaction('rw', b.meta, b.messages, () => b.meta.put({ key: `b${i}`, value: i }))));
    const erased = (async () => {
      await destroyStore(a.db);
      return openStore('tx-delete');
    })();
    const timeout = new Promise((_, fail) => setTimeout(() => fail(new Error('waited for good')), 10_000));
    const [, fresh] = (await Promise.race([Promise.all([busy, erased]), timeout])) as [unknown, Awaited<ReturnType<typeof openStore>>];
    await fresh.db.meta.put({ key: 'after', value: 2 });
    expect((await b.meta.get('after'))?.value).toBe(2);
    fresh.db.close();
    b.close();
  });

  it('names what each transaction holds or waits for, here and over the diagnostics channel', async () => {
    const db = new CinderDB('tx-diag');
    await db.open();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // Holds its locks until the gate opens (Dexie then reports the commit as premature: not the point here).
    const first = db.transaction('rw', db.meta, db.chats, () => gate).catch(() => undefined);
    const seen = () => lockActivity().map((op) => `${op.db} ${op.mode} ${[...op.stores].sort().join('+')} ${op.phase}`);
    while (!seen().some((s) => s.endsWith('held'))) await new Promise((r) => setTimeout(r, 5));
    const second = db.meta.delete('m');
    while (seen().length < 2) await new Promise((r) => setTimeout(r, 5));
    const expected = ['tx-diag exclusive chats+meta held', 'tx-diag exclusive meta waiting'];
    expect(seen().sort()).toEqual(expected);

    const stop = answerDiagnostics('unit-test');
    const channel = new BroadcastChannel(DIAG_CHANNEL);
    const report = new Promise<ContextReport>((done) =>
      channel.addEventListener('message', (ev: MessageEvent) => {
        const r = ev.data as ContextReport;
        if (r.type === 'report' && r.ask === 'q1' && r.context === 'unit-test') done(r);
      })
    );
    channel.postMessage({ type: 'ask', ask: 'q1' });
    const got = await report;
    channel.close();
    stop();
    expect(got.ops.map((op) => `${op.db} ${op.mode} ${[...op.stores].sort().join('+')} ${op.phase}`).sort()).toEqual(expected);

    release();
    await Promise.all([first, second]);
    expect(lockActivity()).toEqual([]);
    db.close();
  });

  it('a page being left: what holds its locks ends, then the pause answers; new work (and opens) waits until it ends', async () => {
    const db = new CinderDB('tx-pause');
    await db.open();
    const phases = () => lockActivity().map((op) => `${[...op.stores].sort().join('+')} ${op.phase}`);
    const until = async (what: string) => {
      while (!phases().includes(what)) await new Promise((r) => setTimeout(r, 5));
    };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const running = db.transaction('rw', db.meta, db.chats, async () => {
      await db.meta.put({ key: 'a', value: 1 });
      await Dexie.waitFor(gate);
      await db.meta.put({ key: 'b', value: 2 });
    });
    await until('chats+meta held');

    let resume!: () => void;
    let quiet = false;
    const paused = pauseTransactions(new Promise<void>((r) => (resume = r))).then(() => (quiet = true));
    const later = db.meta.put({ key: 'c', value: 3 });
    const other = new CinderDB('tx-pause-other');
    const opened = openLocked(other);
    await until('meta paused');
    expect(quiet).toBe(false);

    release();
    await running;
    await paused;
    // Nothing of this context runs now; the write and the open that came after the pause still wait.
    expect(phases()).toEqual(['meta paused']);
    expect(other.isOpen()).toBe(false);

    resume();
    await Promise.all([later, opened]);
    expect(other.isOpen()).toBe(true);
    expect((await db.meta.bulkGet(['a', 'b', 'c'])).map((r) => r?.value)).toEqual([1, 2, 3]);
    // A pause with nothing running answers at once, and work goes on once it ends.
    await pauseTransactions(Promise.resolve());
    await db.meta.put({ key: 'd', value: 4 });
    expect(lockActivity()).toEqual([]);
    db.close();
    other.close();
  });

  it('refuses to run on a Dexie whose internals moved (rather than silently not locking)', () => {
    const db = new Dexie('tx-internals');
    (db as unknown as { Table: { prototype: Record<string, unknown> } }).Table.prototype._trans = undefined;
    expect(() => lockTransactions(db)).toThrow('Table#_trans is missing');
  });
});

describe('LocalLocks (the stand-in where Web Locks are missing)', () => {
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('runs shared holders together and an exclusive one alone, first come first served', async () => {
    const locks = new LocalLocks();
    const log: string[] = [];
    const hold = (name: string, mode: 'shared' | 'exclusive', label: string, gate: Promise<void>) =>
      locks.request(name, { mode }, async () => {
        log.push(`+${label}`);
        await gate;
        log.push(`-${label}`);
      });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const all = [
      hold('s', 'shared', 'r1', gate),
      hold('s', 'shared', 'r2', gate),
      hold('s', 'exclusive', 'w', Promise.resolve()),
      hold('s', 'shared', 'r3', Promise.resolve())
    ];
    await tick();
    expect(log).toEqual(['+r1', '+r2']);
    open();
    await Promise.all(all);
    expect(log).toEqual(['+r1', '+r2', '-r1', '-r2', '+w', '-w', '+r3', '-r3']);
  });

  it('releases a lock whose holder threw', async () => {
    const locks = new LocalLocks();
    await expect(locks.request('s', { mode: 'exclusive' }, () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await locks.request('s', { mode: 'exclusive' }, async () => 'next')).toBe('next');
  });
});
