// Schema 8: seen-envelope records keep the relay seq they came with, and a receive run finds a page's
// seen envelopes by their seq range; records from before (seq 0) are still found, by id.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { nobleBackend } from '$lib/crypto';
import { openStore } from '$lib/store/db';
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

describe('seen envelopes by seq (schema 8)', () => {
  it('the upgrade gives every record of a version-7 database seq 0, on the new index', async () => {
    const name = `seen-seq-upgrade-${Date.now()}`;
    const old = databaseAt(name, 7);
    await old.open();
    await old.table('seenEnvelopes').bulkPut([
      { id: 'a', at: 1 },
      { id: 'b', at: 2 }
    ]);
    old.close();

    const { db } = await openStore(name);
    expect(db.verno).toBe(8);
    expect(await db.seenEnvelopes.toArray()).toEqual([
      { id: 'a', at: 1, seq: SEQ_UNKNOWN },
      { id: 'b', at: 2, seq: SEQ_UNKNOWN }
    ]);
    expect(await db.seenEnvelopes.where('seq').equals(SEQ_UNKNOWN).count()).toBe(2);
    db.close();
  });

  it('a page’s envelopes handled before are skipped by seq; each record keeps its seq', async () => {
    const { relay, alice, bob, chatId } = await established();
    for (const text of ['one', 'two', 'three']) await alice.engine.sendText(chatId, text, null);
    await alice.engine.flush();
    const page = relay.take('d-bob');
    expect(page).toHaveLength(3);
    await bob.engine.receive(page.slice(0, 2));
    for (const e of page.slice(0, 2)) expect((await bob.db.seenEnvelopes.get(e.id))?.seq).toBe(e.seq);

    // The relay's ack was lost: the whole page again, two of three handled already.
    const before = await rejected(bob);
    await bob.engine.receive(page);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'one', 'two', 'three']);
    expect(await rejected(bob)).toBe(before);
    expect((await bob.db.seenEnvelopes.get(page[2]!.id))?.seq).toBe(page[2]!.seq);
  });

  it('a record from before seqs were kept (seq 0) still marks its envelope as handled', async () => {
    const { relay, alice, bob, chatId } = await established();
    await alice.engine.sendText(chatId, 'once', null);
    await alice.engine.flush();
    const [env] = relay.take('d-bob');
    await bob.engine.receive([env!]);
    // As the upgrade leaves a record written by an older version.
    await bob.db.seenEnvelopes.update(env!.id, { seq: SEQ_UNKNOWN });

    const before = await rejected(bob);
    const engine = restarted(bob, relay);
    await engine.receive([env!]);
    // Skipped as seen, not handed to the ratchet (which would reject it as a replay).
    expect(await rejected(bob)).toBe(before);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'once']);

    // Once none is left, the lookup by id stops: the same envelope is then only caught by the ratchet.
    await bob.db.seenEnvelopes.where('seq').equals(SEQ_UNKNOWN).delete();
    await engine.receive([env!]);
    expect(await rejected(bob)).toBe(before + 1);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'once']);
  });
});
