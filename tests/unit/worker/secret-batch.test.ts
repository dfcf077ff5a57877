// A relay page of one chat's envelopes is received as one batch (batch.ts): one state seal and one
// transaction for the page, a tampered envelope rejected alone (as if it never came), a store failure
// leaving the whole batch on the relay, and two chats interleaved in a page each kept in order.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { fromB64u, toB64u } from '$lib/api/b64';
import { secretMessages } from '$lib/worker/secret';
import { StoreFailure, type Diagnostics } from '$lib/worker/secret/errors';
import { secretMsgPlace } from '$lib/worker/secret/state';
import { deliver, secretPair, type SecretDevice } from '../support/secret-pair';
import { abortNextCommit } from '../support/abort-commit';
import { FakeRelay } from '../support/fake-relay';
import type { SecretRelay } from '$lib/worker/secret/relay';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { device, established } = secretPair('secret-batch');

const texts = async (d: SecretDevice, chatId: string) =>
  (await secretMessages(d.db, d.vault, chatId, { limit: 200 })).messages.flatMap((m) => (m.kind === 'text' ? [m.text] : []));
const rejected = async (d: SecretDevice) => ((await d.db.meta.get('diagnostics'))?.value as Diagnostics | undefined)?.byCode ?? {};

/** Counts the state seals of `chatId` and the read-write transactions writing message rows. */
function countCommits(d: SecretDevice, chatId: string) {
  const n = { seals: 0, transactions: 0 };
  const seal = d.vault.sealBytes.bind(d.vault);
  const s1 = vi.spyOn(d.vault, 'sealBytes').mockImplementation(async (place, plain) => {
    if (place === `secretChats/${chatId}`) n.seals++;
    return seal(place, plain);
  });
  const tx = d.db.transaction.bind(d.db) as (...args: unknown[]) => Promise<unknown>;
  const s2 = vi.spyOn(d.db, 'transaction').mockImplementation(((...args: unknown[]) => {
    const tables = args.slice(1, -1).flat() as { name?: string }[];
    if (args[0] === 'rw' && tables.some((t) => t?.name === 'secretMessages')) n.transactions++;
    return tx(...args);
  }) as never);
  return { n, restore: () => (s1.mockRestore(), s2.mockRestore()) };
}

const numbered = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

async function send(d: SecretDevice, chatId: string, list: string[]) {
  for (const t of list) await d.engine.sendText(chatId, t, null);
  await d.engine.flush();
}

describe('a page of one chat received as one batch', () => {
  it('50 envelopes: every message in order, the state sealed once, one transaction', async () => {
    const { relay, alice, bob, chatId } = await established();
    await send(alice, chatId, numbered('m', 50));
    const page = relay.take('d-bob');
    expect(page).toHaveLength(50);
    const { n, restore } = countCommits(bob, chatId);
    try {
      await bob.engine.receive(page);
    } finally {
      restore();
    }
    expect(await texts(bob, chatId)).toEqual(numbered('m', 50));
    expect(n).toEqual({ seals: 1, transactions: 1 });
    expect(await rejected(bob)).toEqual({});
    // The same page again (an ack lost): every envelope is known as seen, nothing changes.
    await bob.engine.receive(page);
    expect(await texts(bob, chatId)).toEqual(numbered('m', 50));
  });

  it('a pull goes on past a page the relay cut short by its byte budget (more: true)', async () => {
    const { relay, alice, bob, chatId } = await established();
    await send(alice, chatId, numbered('p', 30));
    relay.pageBytes = 2_000; // a few envelopes per page
    const first = await relay.as('d-bob').pull(0, 500);
    expect(first.more).toBe(true);
    expect(first.envelopes.length).toBeLessThan(10);
    await bob.engine.pull();
    expect(await texts(bob, chatId)).toEqual(numbered('p', 30));
  });

  it("a page's relay ACK does not hold up the next page: ACKs go in order, the pull ends after the last", async () => {
    // Once armed, Bob's ACKs are recorded and wait until the test opens the gate.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let armed = false;
    const acks: number[] = [];
    class GatedRelay extends FakeRelay {
      override as(deviceId: string): SecretRelay {
        const r = super.as(deviceId);
        if (deviceId !== 'd-bob') return r;
        return { ...r, ack: async (upTo) => (armed ? (acks.push(upTo), await gate, r.ack(upTo)) : r.ack(upTo)) };
      }
    }
    const { relay, alice, bob, chatId } = await established({ relay: new GatedRelay() });
    await send(alice, chatId, numbered('g', 30));
    relay.pageBytes = 2_000; // a few envelopes per page
    const pages = Math.ceil(30 / (await relay.as('d-bob').pull(0, 500)).envelopes.length);
    expect(pages).toBeGreaterThan(3);
    armed = true;
    let ended = false;
    const pull = bob.engine.pull().finally(() => (ended = true));
    try {
      // Every page is handled while the first ACK is still unanswered (the others wait behind it).
      await vi.waitFor(async () => expect(await texts(bob, chatId)).toEqual(numbered('g', 30)), { timeout: 20_000, interval: 20 });
      expect(acks).toHaveLength(1);
      expect(ended).toBe(false);
      relay.pageBytes = Infinity;
      expect((await relay.as('d-bob').pull(0, 500)).envelopes.length).toBeGreaterThanOrEqual(30);
    } finally {
      open(); // also when it failed: the pull holds the inbound lock the next tests need
    }
    await pull;
    expect(acks.length).toBeGreaterThanOrEqual(pages);
    expect([...acks].sort((x, y) => x - y)).toEqual(acks);
    expect((await relay.as('d-bob').pull(0, 500)).envelopes).toHaveLength(0);
  });

  it('a tampered envelope in the middle is rejected alone and changes no state: the rest land, the genuine one fills the gap', async () => {
    const { relay, alice, bob, chatId } = await established();
    await send(alice, chatId, numbered('t', 10));
    const page = relay.take('d-bob');
    const body = fromB64u(page[4].body);
    body[body.length - 1] ^= 1; // the ciphertext's tag
    const tampered = { ...page[4], body: toB64u(body) };
    await bob.engine.receive([...page.slice(0, 4), tampered, ...page.slice(5)]);
    expect(Object.values(await rejected(bob)).reduce((a, b) => a + b, 0)).toBe(1);
    // Frames 6-10 are held until 5 comes: shown in order, never out of it.
    expect(await texts(bob, chatId)).toEqual(numbered('t', 4));
    // Not marked seen: the genuine envelope of that id is taken, and then everything is shown in order.
    await bob.engine.receive([page[4]]);
    expect(await texts(bob, chatId)).toEqual(numbered('t', 10));
    expect(Object.values(await rejected(bob)).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('a message deleted by the peer later in the same batch is not stored', async () => {
    const { relay, alice, bob, chatId } = await established();
    const id = await alice.engine.sendText(chatId, 'oops', null);
    await alice.engine.sendText(chatId, 'kept', null);
    await alice.engine.deleteMessages(chatId, [id]);
    await alice.engine.flush();
    await bob.engine.receive(relay.take('d-bob'));
    expect(await texts(bob, chatId)).toEqual(['kept']);
    expect(await bob.db.secretMessages.get(id)).toBeUndefined();
  });

  it('a message already stored that comes again (the peer restored its state) stays as it is and is not new', async () => {
    const { relay, alice, bob, chatId } = await established();
    await alice.engine.sendText(chatId, 'one', null);
    const again = await alice.engine.sendText(chatId, 'two', null);
    await alice.engine.flush();
    const box = await bob.vault.seal(secretMsgPlace(again), { kind: 'text', text: 'stored before', replyTo: null, ttl: 0, file: null });
    await bob.db.secretMessages.put({ id: again, chatId, at: 1, mine: false, status: 'read', ttl: 0, blobId: null, box });
    const { n, restore } = countCommits(bob, chatId);
    let got;
    try {
      got = await bob.engine.receive(relay.take('d-bob'));
    } finally {
      restore();
    }
    expect(await texts(bob, chatId)).toEqual(['stored before', 'one']);
    expect((await bob.db.secretMessages.get(again))?.status).toBe('read');
    expect(got.chats.get(chatId)).toBe(1);
    // Checked inside the batch's one transaction.
    expect(n).toEqual({ seals: 1, transactions: 1 });
  });

  it('a store failure in the batch leaves all of it unacknowledged; the next pull delivers each exactly once, in order', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const { relay, alice, bob, chatId } = await established();
      await send(alice, chatId, numbered('s', 50));
      const before = await rejected(bob);
      const seenBefore = await bob.db.seenEnvelopes.count();
      const spy = abortNextCommit(bob);
      await expect(bob.engine.pull()).rejects.toBeInstanceOf(StoreFailure);
      spy.mockRestore();
      expect(await texts(bob, chatId)).toEqual([]);
      expect((await relay.as('d-bob').pull(0, 100)).envelopes).toHaveLength(50);
      expect(await bob.db.seenEnvelopes.count()).toBe(seenBefore);
      await vi.advanceTimersByTimeAsync(2_000); // the engine pulls again by itself
      await vi.waitFor(async () => expect(await texts(bob, chatId)).toEqual(numbered('s', 50)), { timeout: 10_000 });
      expect((await relay.as('d-bob').pull(0, 100)).envelopes).toHaveLength(0);
      expect(await rejected(bob)).toEqual(before);
    } finally {
      vi.useRealTimers();
    }
  });

  it('the vault failing at the state seal (e.g. locked meanwhile) is a store failure too: nothing acknowledged, nothing rejected', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const { relay, alice, bob, chatId } = await established();
      await send(alice, chatId, numbered('v', 20));
      const before = await rejected(bob);
      const seal = bob.vault.sealBytes.bind(bob.vault);
      let armed = true;
      const spy = vi.spyOn(bob.vault, 'sealBytes').mockImplementation(async (place, plain) => {
        if (armed && place === `secretChats/${chatId}`) {
          armed = false;
          throw new Error('the vault is locked');
        }
        return seal(place, plain);
      });
      await expect(bob.engine.pull()).rejects.toBeInstanceOf(StoreFailure);
      expect(await texts(bob, chatId)).toEqual([]);
      expect((await relay.as('d-bob').pull(0, 100)).envelopes).toHaveLength(20);
      await vi.advanceTimersByTimeAsync(2_000);
      await vi.waitFor(async () => expect(await texts(bob, chatId)).toEqual(numbered('v', 20)), { timeout: 10_000 });
      spy.mockRestore();
      expect(await rejected(bob)).toEqual(before);
    } finally {
      vi.useRealTimers();
    }
  });

  it('two chats interleaved in one page: each in order, one commit per run of a chat', async () => {
    const { relay, alice, bob, chatId } = await established();
    const carol = await device(relay, 'carol');
    const chat2 = await carol.engine.start('u-bob');
    await carol.engine.flush();
    await deliver(relay, bob);
    await deliver(relay, carol);
    await deliver(relay, bob);
    relay.take('d-alice');
    await send(alice, chatId, ['a1', 'a2', 'a3']);
    await send(carol, chat2, ['c1', 'c2']);
    await send(alice, chatId, ['a4']);
    await send(carol, chat2, ['c3', 'c4', 'c5']);
    const page = relay.take('d-bob');
    expect(page).toHaveLength(9);
    const a = countCommits(bob, chatId);
    try {
      await bob.engine.receive(page);
    } finally {
      a.restore();
    }
    expect(await texts(bob, chatId)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(await texts(bob, chat2)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    // Runs a, c, a, c: four transactions, chat a's state sealed at its two.
    expect(a.n).toEqual({ seals: 2, transactions: 4 });
  });
});
