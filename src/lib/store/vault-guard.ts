/**
 * No sealed value is stored under a key the vault no longer has. Setting or removing the passcode
 * re-keys every sealed value (passcode.ts), while other work goes on: this context's secret engine
 * committing a received message, another tab, the service worker. Any of them may have sealed a value
 * with the old key just before; stored after the re-key, it would never open again (a secret chat whose
 * state does not open is lost). So every write of a sealed table runs in a transaction that also holds
 * the vault store, and each row's `box` must name the key in the vault row of that same transaction
 * (vault.ts: a sealed value carries its key id). A stale one aborts the whole transaction with
 * VaultError('stale_key'): nothing of it is stored, and the writer tries again with the current key
 * (the engine's retries, the relay keeping what was not acknowledged) or locks (worker/vault-follow.ts).
 *
 * The vault store joins the transaction's scope before its store locks are taken (tx-locks.ts), so
 * the rule that IndexedDB never queues one transaction behind another holds for it too.
 */
import { Dexie, type DBCore, type DBCoreMutateRequest, type DBCoreTable, type Table } from 'dexie';
import type { VaultRow } from './db';
import { scopeOf } from './tx-locks';
import { equalBytes } from '$lib/crypto/bytes';
import { keyIdOf, LEGACY_KEY_ID, VaultError } from './vault';

/** The tables whose rows hold a `box` sealed by the vault: re-keyed together, guarded on every write. */
export const SEALED_TABLES = [
  'secrets',
  'messages',
  'outbox',
  'secretChats',
  'secretMessages',
  'secretMedia',
  'cloudMedia',
  'drafts',
  'keptUpdates',
  'cloudActions',
  'scheduled'
] as const;
export type SealedTable = (typeof SEALED_TABLES)[number];

const SEALED: ReadonlySet<string> = new Set(SEALED_TABLES);
const VAULT = 'vault';
const isWrite = (mode: string) => mode === 'readwrite' || mode.startsWith('rw');

/** Throws VaultError('stale_key') when a value's box names another key than `row` holds. */
export function checkBoxes(row: VaultRow | undefined, values: readonly unknown[]): void {
  // No vault yet (a database being created): nothing can have been sealed.
  if (!row) return;
  const current = row.keyId ?? LEGACY_KEY_ID;
  for (const v of values) {
    const box = (v as { box?: unknown } | null)?.box;
    if (box == null) continue;
    const id = keyIdOf(box);
    // Bytes that are no sealed value at all fail when opened; this guard is about keys.
    if (id && !equalBytes(id, current))
      throw new VaultError('stale_key', 'a value sealed under a replaced vault key was not stored (the passcode was set or removed meanwhile)');
  }
}

const staleListeners = new WeakMap<Dexie, () => void>();

/** `fn` runs whenever a write of `db` was refused for a stale key (the worker then follows the vault). */
export function onStaleWrite(db: Dexie, fn: () => void): void {
  staleListeners.set(db, fn);
}

function guardedTable(db: Dexie, down: DBCore, table: DBCoreTable): DBCoreTable {
  return {
    ...table,
    async mutate(req: DBCoreMutateRequest) {
      if (req.type === 'add' || req.type === 'put') {
        try {
          checkBoxes((await down.table(VAULT).get({ trans: req.trans, key: 'main' })) as VaultRow | undefined, req.values);
        } catch (e) {
          if (e instanceof VaultError) staleListeners.get(db)?.();
          throw e;
        }
      }
      return table.mutate(req);
    }
  };
}

/**
 * Installs the guard on `db`: after lockTransactions (its store locks then cover the vault store too).
 * Writes of sealed tables outside an explicit transaction run in one with the vault store.
 */
export function guardSealedWrites(db: Dexie): void {
  db.use({
    stack: 'dbcore',
    name: 'cinder-vault-guard',
    create: (down) => ({ ...down, table: (name: string) => (SEALED.has(name) ? guardedTable(db, down, down.table(name)) : down.table(name)) })
  });

  const transaction = db.transaction.bind(db) as (...args: unknown[]) => Promise<unknown>;
  (db as unknown as { transaction: (...args: unknown[]) => Promise<unknown> }).transaction = (...args: unknown[]) => {
    const names = scopeOf(args);
    if (!isWrite(String(args[0])) || names.includes(VAULT) || !names.some((n) => SEALED.has(n))) return transaction(...args);
    return transaction(args[0], [...names, VAULT], args[args.length - 1]);
  };

  // A lone write (table.put/add/bulkPut/update/delete…) makes its own transaction in Table#_trans.
  type Trans = (mode: string, fn: unknown, writeLocked?: boolean) => PromiseLike<unknown>;
  const proto = (db as unknown as { Table: { prototype: { _trans: Trans } } }).Table.prototype;
  const trans = proto._trans;
  if (typeof trans !== 'function') throw new Error('Dexie internals changed: Table#_trans is missing');
  proto._trans = function (this: Table & { _tx?: unknown }, mode, fn, writeLocked) {
    if (this._tx || Dexie.currentTransaction || !isWrite(mode) || !SEALED.has(this.name)) return trans.call(this, mode, fn, writeLocked);
    return db.transaction('rw', [this.name, VAULT], () => trans.call(this, mode, fn, writeLocked));
  };
}
