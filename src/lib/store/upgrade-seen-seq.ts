/**
 * Schema version 8: a seen-envelope record keeps the relay seq it came with (indexed), so a receive
 * run finds which of a page's envelopes it handled before with one range read over the page's seqs
 * instead of one read per envelope. Records written before keep seq 0 ("not known"): while any is
 * left (they are pruned after 8 days) the run also looks its envelopes up by id.
 */
import type { Transaction } from 'dexie';
import type { SeenEnvelopeRow } from './db';

/** The seq of a record written before seqs were kept. Relay seqs start at 1. */
export const SEQ_UNKNOWN = 0;

export async function seenWithSeq(tx: Transaction): Promise<void> {
  await tx
    .table<SeenEnvelopeRow, string>('seenEnvelopes')
    .toCollection()
    .modify((r) => {
      if (typeof r.seq !== 'number') r.seq = SEQ_UNKNOWN;
    });
}
