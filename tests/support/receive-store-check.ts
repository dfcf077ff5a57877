/**
 * What a secret receive asks of IndexedDB, runnable in Node (fake-indexeddb) and, bundled, in real
 * browsers: (1) a batch's commit adds incoming messages with bulkAdd, and a copy already stored fails
 * alone inside the read-write transaction, which goes on and commits the rest; (2) a page's seen
 * envelopes are one range read on the multi-entry `seqs` index (schema 9: one record per batch), each
 * record found once however many of its seqs are in range; records from before on seq 0.
 * Imports only the store and Dexie: no Node or test-runner APIs.
 */
import { addNew } from '$lib/store/add-new';
import type { CinderDB, SecretMessageRow } from '$lib/store/db';
import { seenRecord } from '$lib/store/upgrade-seen-batches';
import { runStoreCheck, type Expect, type StoreCheckResult } from './store-check';

const row = (id: string, box: number): SecretMessageRow => ({
  id,
  chatId: 'chat-1',
  at: 1_000,
  mine: false,
  status: 'sent',
  ttl: 0,
  blobId: null,
  box: new Uint8Array([box])
});

async function scenario(db: CinderDB, expect: Expect): Promise<void> {
  // (1) One copy stored already, one twice in the batch, two new: the transaction still commits.
  await db.secretMessages.put(row('m-stored', 1));
  let stored = new Set<string>();
  await db.transaction('rw', [db.secretMessages, db.seenEnvelopes, db.sendQueue], async () => {
    await db.seenEnvelopes.put(seenRecord([{ id: 'e-1', seq: 11 }], 1));
    stored = await addNew(db.secretMessages, [row('m-new-1', 2), row('m-stored', 3), row('m-new-2', 4), row('m-new-1', 5)]);
    await db.seenEnvelopes.put(seenRecord([{ id: 'e-2', seq: 12 }], 2));
  });
  expect('already stored', [...stored].sort(), ['m-new-1', 'm-stored']);
  const boxes = Object.fromEntries((await db.secretMessages.toArray()).map((m) => [m.id, [...m.box]]));
  expect('rows after the commit', boxes, { 'm-new-1': [2], 'm-new-2': [4], 'm-stored': [1] });
  expect('the writes around it committed', (await db.seenEnvelopes.toArray()).map((s) => s.id).sort(), ['e-1', 'e-2']);

  // Any other failure still fails the transaction, and nothing of it stays.
  let failed = '';
  try {
    await db.transaction('rw', [db.secretMessages, db.seenEnvelopes], async () => {
      await db.seenEnvelopes.put(seenRecord([{ id: 'e-3', seq: 13 }], 3));
      await addNew(db.secretMessages, [row('m-new-3', 6), { ...row('m-bad', 7), id: undefined as unknown as string }]);
    });
  } catch (e) {
    failed = e instanceof Error ? e.name : String(e);
  }
  expect('a row without a key fails the batch', failed !== '', true);
  expect('nothing of the failed batch stayed', [await db.seenEnvelopes.get('e-3'), await db.secretMessages.get('m-new-3')], [undefined, undefined]);

  // (2) Seen records by seq: a batch's record is found by any of its seqs in the page's range, once;
  // the records from before schema 8 on seq 0.
  await db.seenEnvelopes.bulkPut([
    seenRecord([{ id: 'e-old', seq: 0 }], 0),
    seenRecord(
      [20, 21, 22].map((seq) => ({ id: `e-${seq}`, seq })),
      4
    ),
    seenRecord([{ id: 'e-25', seq: 25 }], 6)
  ]);
  const inRange = await db.seenEnvelopes.where('seqs').between(12, 21, true, true).distinct().toArray();
  expect(
    'records with a seq in [12, 21]',
    inRange.map((r) => r.ids),
    [['e-2'], ['e-20', 'e-21', 'e-22']]
  );
  expect('records without a seq', await db.seenEnvelopes.where('seqs').equals(0).count(), 1);
}

export function runReceiveStoreCheck(dbName: string): Promise<StoreCheckResult> {
  return runStoreCheck(dbName, 'receive store check', scenario, 'copies kept, the transaction committed the rest, seen batches found by seq');
}
