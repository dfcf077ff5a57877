/**
 * The storage floor of the backlog benches (bench/browser/idb-floor-worker.ts measures it in the
 * browser under test) and what it says about their goal: the rate a receive could reach if it did
 * nothing but one ratchet decryption and the raw IndexedDB write per message, one after the other.
 */
import { fmt, report } from '../support';

export interface Floor {
  /** Rows/s written with raw IndexedDB, median of the rounds. */
  raw: number;
  rawRounds: number[];
  /** The same through Dexie. */
  dexie: number;
  dexieRounds: number[];
}

/** Prints the floor beside `received` (msg/s) and the ratchet's one-way rate (encrypt + decrypt per message). */
export function reportFloor(floor: Floor, ratchet: number, received: number, goal: number): void {
  report('storage floor: the same 1,000 rows, raw IndexedDB (2 tx of 500)', floor.raw, 'rows/s', `rounds ${floor.rawRounds.map((r) => fmt(r)).join(', ')}`);
  report('  the same through Dexie', floor.dexie, 'rows/s', `rounds ${floor.dexieRounds.map((r) => fmt(r)).join(', ')}`);
  // A one-way step is an encryption and a decryption of about the same cost: receiving needs the decryption only.
  const ceiling = 1 / (1 / (2 * ratchet) + 1 / floor.raw);
  report('ceiling: a ratchet decryption + the raw write per message, serially', ceiling, 'msg/s', `received ${fmt(received / ceiling, 2)}x of it`);
  const wanted = goal * ratchet;
  if (wanted > floor.raw) console.log(`  note: the goal (${fmt(wanted)} msg/s) is above what IndexedDB alone writes here (${fmt(floor.raw)} rows/s, no crypto)`);
}
