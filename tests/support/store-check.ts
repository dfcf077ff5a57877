/**
 * Runs a store scenario on a fresh CinderDB and reports it as data, so the same scenario runs in Node
 * (fake-indexeddb, unit tests) and, bundled, inside each real engine (tests/engines/storage.spec.ts).
 * Imports only the store and Dexie: no Node or test-runner APIs.
 */
import { Dexie } from 'dexie';
import { CinderDB } from '$lib/store/db';

export interface StoreCheckResult {
  ok: boolean;
  details: string;
}

/** Collects mismatches as lines instead of throwing at the first one. */
export type Expect = (what: string, got: unknown, want: unknown) => void;

export async function runStoreCheck(dbName: string, label: string, scenario: (db: CinderDB, expect: Expect) => Promise<void>, passed: string): Promise<StoreCheckResult> {
  const problems: string[] = [];
  const expect: Expect = (what, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };
  await Dexie.delete(dbName);
  const db = new CinderDB(dbName);
  try {
    await db.open();
    await scenario(db, expect);
    return { ok: problems.length === 0, details: problems.length ? problems.join('\n') : passed };
  } catch (e) {
    return { ok: false, details: `${label} threw: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
  } finally {
    db.close();
    await Dexie.delete(dbName);
  }
}
