/**
 * The relay's 'account_deleted' notice (src/lib/worker/secret/account-deleted.ts): it ends the secret
 * chats with exactly the device it names (a service message, keys wiped, sending refused), keeps the
 * history, also ends a request still waiting for that user, and changes nothing for a chat with another
 * device or another user.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { Envelope } from '$lib/api/wire';
import { secretMessages } from '$lib/worker/secret';
import { openState } from '$lib/worker/secret/stored';
import { FakeRelay } from '../support/fake-relay';
import { deliver, secretPair, type SecretDevice } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { device, established } = secretPair('acct-del');

const shown = async (d: SecretDevice, chatId: string) =>
  (await secretMessages(d.db, d.vault, chatId, { limit: 100 })).messages.map((m) => (m.kind === 'service' ? `[${m.service}]` : m.text));

let seq = 1000;
const notice = (fromDeviceId: string, fromUserId: string): Envelope => ({
  seq: ++seq,
  id: crypto.randomUUID(),
  fromDeviceId,
  fromUserId,
  body: '',
  createdAt: Date.now(),
  requestId: null,
  notice: 'account_deleted'
});

describe('secret chats and the account_deleted notice', () => {
  it('ends the chat with the named device: service message, history kept, keys gone, sending refused', async () => {
    const { relay, alice, bob, chatId } = await established();
    await alice.engine.sendText(chatId, 'hello bob', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'hello bob']);

    // A notice naming another device of Alice's account, or another user, changes nothing.
    await bob.engine.receive([notice('d-other', 'u-alice'), notice('d-alice', 'u-mallory')]);
    expect((await bob.db.secretChats.get(chatId))?.status).toBe('active');

    await bob.engine.receive([notice('d-alice', 'u-alice')]);
    const row = (await bob.db.secretChats.get(chatId))!;
    expect([row.status, row.cancelledBy]).toEqual(['cancelled', 'peer']);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'hello bob', '[account_deleted]']);
    const { state } = await openState(bob.vault, chatId, row.box);
    expect(state.session).toBeNull();
    await expect(bob.engine.sendText(chatId, 'anyone there?', null)).rejects.toThrow();

    // A second notice (Alice's other device, a repeat) adds nothing.
    await bob.engine.receive([notice('d-alice', 'u-alice')]);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'hello bob', '[account_deleted]']);
  });

  it('ends a request still waiting for the deleted user', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    await device(relay, 'bob');
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    expect((await alice.db.secretChats.get(chatId))?.status).toBe('waiting');
    await alice.engine.receive([notice('d-bob', 'u-bob')]);
    expect((await alice.db.secretChats.get(chatId))?.status).toBe('cancelled');
    expect(await shown(alice, chatId)).toContain('[account_deleted]');
  });
});
