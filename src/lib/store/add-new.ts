/**
 * Adds rows that may be stored already, inside the caller's transaction: a row whose key exists fails
 * alone (ConstraintError, which Dexie's bulkAdd keeps from aborting the transaction once it is caught)
 * and the stored row stays as it was. One request per row and no read first: a batch of incoming
 * messages is checked for copies (the peer sent one twice) without reading every row back.
 */
import { Dexie, type EntityTable } from 'dexie';

/** Adds `rows` to `table`; resolves to the keys of those that were stored already. Rethrows any other failure. */
export async function addNew<T extends { id: string }>(table: EntityTable<T, 'id'>, rows: T[]): Promise<Set<string>> {
  const stored = new Set<string>();
  try {
    await table.bulkAdd(rows);
  } catch (e) {
    if (!(e instanceof Dexie.BulkError)) throw e;
    for (const [pos, err] of Object.entries(e.failuresByPos)) {
      if (err.name !== 'ConstraintError') throw err;
      stored.add(rows[Number(pos)]!.id);
    }
  }
  return stored;
}
