/**
 * Schema version 4: removes null from indexed properties of rows written by earlier versions.
 * IndexedDB leaves a null-keyed row out of an index, except WebKit, whose range queries return it
 * (a purge asking for `deadline <= now` deleted every message without a timer). From version 4
 * such a property is left out instead of set to null.
 */
import type { Transaction } from 'dexie';

/** The indexed properties that versions 1–3 stored as null ("not yet"). */
export const NULLED_BEFORE_V4: Readonly<Record<string, readonly string[]>> = {
  messages: ['deadline'],
  secretMessages: ['deadline'],
  secretChats: ['protoChatId']
};

export async function dropIndexedNulls(tx: Transaction): Promise<void> {
  for (const [table, props] of Object.entries(NULLED_BEFORE_V4)) {
    // A full scan: the index cannot find these rows (outside WebKit they are not in it).
    await tx
      .table(table)
      .toCollection()
      .filter((row: Record<string, unknown>) => props.some((p) => p in row && row[p] == null))
      .modify((row: Record<string, unknown>) => {
        for (const p of props) if (p in row && row[p] == null) delete row[p];
      });
  }
}
