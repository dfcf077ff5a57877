/**
 * Schema version 9: one seen-envelope record per commit instead of one per envelope. A batch of a
 * relay page (up to 500 envelopes) was 500 IndexedDB writes besides its message rows; now it is one
 * record listing the envelopes' ids and seqs, found by any of its seqs on a multi-entry index. The
 * upgrade turns each schema-8 record into a record of one envelope (seq 0 stays 0: not known).
 */
import type { Transaction } from 'dexie';
import type { SeenEnvelopeRow } from './db';
import { SEQ_UNKNOWN, type SeenV8Row } from './upgrade-seen-seq';

/** A relay envelope by id, with the seq it came with. */
export interface SeenRef {
  id: string;
  seq: number;
}

/** The record of envelopes handled in one commit (`refs` in queue order, at least one). */
export function seenRecord(refs: readonly SeenRef[], at: number): SeenEnvelopeRow {
  if (!refs.length) throw new Error('a seen record names at least one envelope');
  return { id: refs[0]!.id, at, ids: refs.map((r) => r.id), seqs: refs.map((r) => r.seq) };
}

export async function seenInBatches(tx: Transaction): Promise<void> {
  await tx
    .table('seenEnvelopes')
    .toCollection()
    .modify((r: SeenV8Row & Partial<SeenEnvelopeRow>) => {
      const seq = typeof r.seq === 'number' ? r.seq : SEQ_UNKNOWN;
      r.ids = [r.id];
      r.seqs = [seq];
      delete r.seq;
    });
}
