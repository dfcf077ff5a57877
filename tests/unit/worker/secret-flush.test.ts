import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { generateIdentity, nobleBackend } from '$lib/crypto';
import { SecretEngine } from '$lib/worker/secret';
import { FakeRelay, type RelayMember } from '../support/fake-relay';
import { unlockedStore } from '../support/store';

const relay = vi.hoisted(() => ({ current: null as FakeRelay | null }));
vi.mock('$lib/worker/net', async (importOriginal) => {
  const net = await importOriginal<typeof import('$lib/worker/net')>();
  const request: typeof net.request = (method, path, body, schema) => relay.current!.request(method, path, body, schema);
  return { ...net, request };
});

const backend = nobleBackend();

async function device(name: string, userId: string, deviceId: string, sendStalled?: () => void) {
  const { db, vault } = await unlockedStore(`secret-flush-${name}`);
  const member: RelayMember = { user: { id: userId, username: name, displayName: name }, deviceId, identity: await generateIdentity(backend) };
  const engine = new SecretEngine({
    db,
    vault,
    backend: async () => backend,
    identity: async () => member.identity,
    me: () => ({ userId, deviceId }),
    emit: () => undefined,
    sendStalled
  });
  return { db, engine, member };
}

describe('secret send queue', () => {
  // Sends queued by the engine itself (receipts, deletes, replies) have no caller to retry them.
  it('a flush stopped by a relay outage tells its owner, and the envelope goes out on the retry', async () => {
    let stalls = 0;
    const alice = await device('alice', 'u-alice', 'd-alice', () => stalls++);
    const bob = await device('bob', 'u-bob', 'd-bob');
    relay.current = new FakeRelay([alice.member, bob.member]);
    const deliver = async (to: typeof alice) => {
      await to.engine.receive(relay.current!.take(to.member.deviceId));
      await to.engine.flush();
    };
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(bob);
    await deliver(alice);
    await deliver(bob);
    expect(stalls).toBe(0);

    relay.current.failSends = 1000; // the relay is down
    await alice.engine.sendText(chatId, 'through an outage', null);
    await alice.engine.flush();
    expect(stalls).toBe(1);
    expect(await alice.db.sendQueue.count()).toBe(1);

    relay.current.failSends = 0; // back: the owner's retry sends it
    await alice.engine.flush();
    expect(stalls).toBe(1);
    expect(await alice.db.sendQueue.count()).toBe(0);
    await bob.engine.receive(relay.current.take('d-bob'));
    const texts = await bob.db.secretMessages.where('chatId').equals(chatId).count();
    expect(texts).toBeGreaterThan(0);
  });
});
