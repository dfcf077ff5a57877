/**
 * Sealed envelopes the engine must refuse, over the in-memory relay in sealed mode: an altered sealed
 * header, and a sealed envelope in a mailbox of a version-1 chat. Each is rejected, counted, and
 * changes nothing; the genuine one still opens.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { fromB64u, toB64u } from '$lib/api/b64';
import type { Envelope } from '$lib/api/wire';
import { secretMessages } from '$lib/worker/secret';
import type { Diagnostics } from '$lib/worker/secret/errors';
import { FakeRelay } from '../support/fake-relay';
import { secretPair, type SecretDevice } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { established: pair } = secretPair('sealed-tamper');
const rejected = async (d: SecretDevice) => ((await d.db.meta.get('diagnostics'))?.value as Diagnostics | undefined)?.byCode ?? {};
const texts = async (d: SecretDevice, chatId: string) =>
  (await secretMessages(d.db, d.vault, chatId, { limit: 50 })).messages.filter((m) => m.kind === 'text').map((m) => m.text);

/** A chat over the in-memory relay in sealed mode: version 2 when `sealed`, else a version-1 chat. */
const established = (sealed: boolean) => pair({ relay: new FakeRelay([], true), sealed });

describe('sealed envelopes that do not open', () => {
  it('an altered sealed header is rejected (bad_header) and changes nothing', async () => {
    const { relay, alice, bob, chatId } = await established(true);
    expect(relay.mailboxes.size).toBe(8);
    await alice.engine.sendText(chatId, 'genuine', null);
    await alice.engine.flush();
    const [env] = relay.take('d-bob');
    expect(env.mailbox).toBeDefined();
    expect(env.fromDeviceId).toBeNull();
    const body = fromB64u(env.body);
    body[40] ^= 1; // inside the encrypted 59-byte header
    const before = await bob.db.secretChats.get(chatId);
    await bob.engine.receive([{ ...env, id: crypto.randomUUID(), body: toB64u(body) }]);
    expect(await rejected(bob)).toEqual({ bad_header: 1 });
    expect(await bob.db.secretChats.get(chatId)).toEqual(before);
    await bob.engine.receive([env]);
    expect(await texts(bob, chatId)).toEqual(['genuine']);
  });

  it('a sealed envelope is refused in a chat made with version 1, even in a mailbox of the chat', async () => {
    const { relay, alice, bob, chatId } = await established(false);
    expect(relay.mailboxes.size).toBe(0);
    await alice.engine.sendText(chatId, 'v1', null);
    await alice.engine.flush();
    const [env] = relay.take('d-bob');
    expect(env.fromDeviceId).toBe('d-alice');
    // A mailbox entry pointing at the version-1 chat (none is ever registered for one).
    await bob.db.mailboxes.put({ id: 'AAAAAAAAAAAAAAAAAAAAAA', chatId, epoch: 0, expiresAt: Date.now() + 1e6 });
    const forged: Envelope = { ...env, id: crypto.randomUUID(), fromDeviceId: null, fromUserId: null, mailbox: 'AAAAAAAAAAAAAAAAAAAAAA' };
    await bob.engine.receive([forged]);
    expect(await rejected(bob)).toEqual({ wrong_sender: 1 });
    await bob.engine.receive([env]);
    expect(await texts(bob, chatId)).toEqual(['v1']);
  });
});
