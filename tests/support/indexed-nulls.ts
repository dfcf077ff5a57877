/**
 * Invariant: no stored row holds null (or an own `undefined`) in a property that a primary key or
 * an index reads. WebKit returns such rows from index range queries where other engines leave
 * them out, so one null deadline was enough to purge a message. The properties are taken from the
 * database's own schema (every table, every index, compound ones part by part), not a hand list.
 * No Node or test-runner APIs: it can run in a browser too.
 */
import type { IndexSpec, Table } from 'dexie';

export interface IndexedNull {
  table: string;
  /** The property holding null, e.g. `deadline`, or `seq` of `[peerId+seq]`. */
  property: string;
  /** The index it belongs to (its name, e.g. `[peerId+seq]`). */
  index: string;
  value: null | undefined;
  /** Primary key of the offending row. */
  key: unknown;
}

/** Property paths an index (or primary key) reads: one, or each part of a compound one. */
function propertiesOf(spec: IndexSpec): string[] {
  if (!spec.keyPath) return [];
  return Array.isArray(spec.keyPath) ? spec.keyPath : [spec.keyPath];
}

/** The value at a dotted path, and whether its last step is an own property. */
function lookup(row: unknown, path: string): { present: boolean; value: unknown } {
  let cur: unknown = row;
  for (const step of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, step)) return { present: false, value: undefined };
    cur = (cur as Record<string, unknown>)[step];
  }
  return { present: true, value: cur };
}

export async function findIndexedNulls(db: { tables: Table[] }): Promise<IndexedNull[]> {
  const found: IndexedNull[] = [];
  for (const table of db.tables) {
    const specs = [table.schema.primKey, ...table.schema.indexes];
    const primKey = propertiesOf(table.schema.primKey);
    for (const row of await table.toArray()) {
      const key = primKey.length === 1 ? lookup(row, primKey[0]).value : primKey.map((p) => lookup(row, p).value);
      for (const spec of specs) {
        for (const property of propertiesOf(spec)) {
          const { present, value } = lookup(row, property);
          if (present && (value === null || value === undefined)) found.push({ table: table.name, property, index: spec.name, value, key });
        }
      }
    }
  }
  return found;
}

/** One line per offending row, for an assertion message. */
export function describeIndexedNulls(found: IndexedNull[]): string {
  return found.map((f) => `${f.table}.${f.property} (index ${f.index}) is ${String(f.value)} in row ${JSON.stringify(f.key)}`).join('\n');
}
