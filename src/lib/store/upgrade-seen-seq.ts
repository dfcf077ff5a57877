/**
 * Schema version 8: a seen-envelope record keeps the relay seq it came with (indexed), so a receive
 * run finds which of a page's envelopes it handled before with one range read over the page's seqs
 * instead of one read per envelope. Records written before keep seq 0 ("not known"): while any is
 * left (they are pruned after 8 days) the run also looks its envelopes up by id. Schema 9 then puts
 * a whole batch in one record (upgrade-seen-batches.ts).
 */
import type { Transaction } from 'dexie';

/** The seq of a record written before seqs were kept. Relay seqs start at 1. */
export const SEQ_UNKNOWN = 0;

/** A seen record as schemas 2 to 8 stored it: one per envelope (`seq` from 8 on). */
export interface SeenV8Row {
  id: string;
  at: number;
  seq?: number;
}

export async function seenWithSeq(tx: Transaction): Promise<void> {
  await tx
    .table<SeenV8Row, string>('seenEnvelopes')
    .toCollection()
    .modify((r) => {
      if (typeof r.seq !== 'number') r.seq = SEQ_UNKNOWN;
    });
}
