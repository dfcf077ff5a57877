// Seen-envelope records: schema 8 kept each envelope's relay seq, schema 9 one record per commit (a
// batch) found by any of its seqs; a receive run finds a page's seen envelopes by their seq range, and
// records from before seqs were kept (seq 0) still by id.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { nobleBackend } from '$lib/crypto';
import { openStore } from '$lib/store/db';
import { seenRecord } from '$lib/store/upgrade-seen-batches';
import { SEQ_UNKNOWN } from '$lib/store/upgrade-seen-seq';
import { SecretEngine, secretMessages } from '$lib/worker/secret';
import type { Diagnostics } from '$lib/worker/secret/errors';
import type { FakeRelay } from '../support/fake-relay';
import { databaseAt } from '../support/schema-history';
import { secretPair, type SecretDevice } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established } = secretPair('seen-seq');

async function shown(d: SecretDevice, chatId: string): Promise<string[]> {
  const { messages } = await secretMessages(d.db, d.vault, chatId, { limit: 100 });
  return messages.map((m) => (m.kind === 'service' ? `[${m.service}]` : m.text));
}

const rejected = async (d: SecretDevice) => ((await d.db.meta.get('diagnostics'))?.value as Diagnostics | undefined)?.rejected ?? 0;

/** The same device's database under a new engine, as after an app restart (nothing remembered in memory). */
function restarted(d: SecretDevice, relay: FakeRelay): SecretEngine {
  const backend = nobleBackend();
  return new SecretEngine({
    db: d.db,
    vault: d.vault,
    backend: async () => backend,
    identity: async () => d.member.identity,
    me: () => ({ userId: d.member.user.id, deviceId: d.member.deviceId }),
    emit: () => undefined,
    relay: relay.as(d.member.deviceId),
    clock: d.clock
  });
}

describe('seen envelopes by seq (schemas 8 and 9)', () => {
  it('upgrading a version-7 database gives every record seq 0, as a record of one envelope', async () => {
    const name = `seen-upgrade-7-${Date.now()}`;
    const old = databaseAt(name, 7);
    await old.open();
    await old.table('seenEnvelopes').bulkPut([
      { id: 'a', at: 1 },
      { id: 'b', at: 2 }
    ]);
    old.close();

    const { db } = await openStore(name);
    expect(db.verno).toBe(16);
    expect(await db.seenEnvelopes.toArray()).toEqual([
      { id: 'a', at: 1, ids: ['a'], seqs: [SEQ_UNKNOWN] },
      { id: 'b', at: 2, ids: ['b'], seqs: [SEQ_UNKNOWN] }
    ]);
    expect(await db.seenEnvelopes.where('seqs').equals(SEQ_UNKNOWN).count()).toBe(2);
    db.close();
  });

  it('upgrading a version-8 database keeps each record’s seq, found on the multi-entry index', async () => {
    const name = `seen-upgrade-8-${Date.now()}`;
    const old = databaseAt(name, 8);
    await old.open();
    await old.table('seenEnvelopes').bulkPut([
      { id: 'a', at: 1, seq: SEQ_UNKNOWN },
      { id: 'b', at: 2, seq: 7 },
      { id: 'c', at: 3, seq: 9 }
    ]);
    old.close();

    const { db } = await openStore(name);
    expect(db.verno).toBe(16);
    expect(await db.seenEnvelopes.toArray()).toEqual([
      { id: 'a', at: 1, ids: ['a'], seqs: [SEQ_UNKNOWN] },
      { id: 'b', at: 2, ids: ['b'], seqs: [7] },
      { id: 'c', at: 3, ids: ['c'], seqs: [9] }
    ]);
    expect(await db.seenEnvelopes.where('seqs').between(7, 8, true, true).primaryKeys()).toEqual(['b']);
    db.close();
  });

  it('a seen record names at least one envelope', () => {
    expect(() => seenRecord([], 1)).toThrow(/at least one/);
    expect(
      seenRecord(
        [
          { id: 'x', seq: 3 },
          { id: 'y', seq: 4 }
        ],
        5
      )
    ).toEqual({ id: 'x', at: 5, ids: ['x', 'y'], seqs: [3, 4] });
  });

  it('a batch is one record; a page’s envelopes handled before are skipped by seq', async () => {
    const { relay, alice, bob, chatId } = await established();
    for (const text of ['one', 'two', 'three']) await alice.engine.sendText(chatId, text, null);
    await alice.engine.flush();
    const page = relay.take('d-bob');
    expect(page).toHaveLength(3);
    const records = await bob.db.seenEnvelopes.count();
    await bob.engine.receive(page.slice(0, 2));
    expect(await bob.db.seenEnvelopes.count()).toBe(records + 1);
    expect(await bob.db.seenEnvelopes.get(page[0]!.id)).toMatchObject({ ids: [page[0]!.id, page[1]!.id], seqs: [page[0]!.seq, page[1]!.seq] });

    // The relay's ack was lost: the whole page again, two of three handled already (found by the
    // second one's seq as well: the range starts there when the page is cut).
    const before = await rejected(bob);
    await bob.engine.receive(page.slice(1));
    expect(await rejected(bob)).toBe(before);
    await bob.engine.receive(page);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'one', 'two', 'three']);
    expect(await rejected(bob)).toBe(before);
    expect(await bob.db.seenEnvelopes.get(page[2]!.id)).toMatchObject({ ids: [page[2]!.id], seqs: [page[2]!.seq] });
  });

  it('a record from before seqs were kept (seq 0) still marks its envelope as handled', async () => {
    const { relay, alice, bob, chatId } = await established();
    await alice.engine.sendText(chatId, 'once', null);
    await alice.engine.flush();
    const [env] = relay.take('d-bob');
    await bob.engine.receive([env!]);
    // As the upgrades leave a record written by an older version.
    await bob.db.seenEnvelopes.update(env!.id, { seqs: [SEQ_UNKNOWN] });

    const before = await rejected(bob);
    const engine = restarted(bob, relay);
    await engine.receive([env!]);
    // Skipped as seen, not handed to the ratchet (which would reject it as a replay).
    expect(await rejected(bob)).toBe(before);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'once']);

    // Once none is left, the lookup by id stops: the same envelope is then only caught by the ratchet.
    await bob.db.seenEnvelopes.where('seqs').equals(SEQ_UNKNOWN).delete();
    await engine.receive([env!]);
    expect(await rejected(bob)).toBe(before + 1);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'once']);
  });
});
