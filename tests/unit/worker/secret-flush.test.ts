import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { FakeRelay } from '../support/fake-relay';
import { deliver as deliverTo, secretDevice, type SecretDevice } from '../support/secret-pair';

describe('secret send queue', () => {
  // Sends queued by the engine itself (receipts, deletes, replies) have no caller to retry them.
  it('a flush stopped by a relay outage tells its owner, and the envelope goes out on the retry', async () => {
    let stalls = 0;
    const relay = new FakeRelay();
    const alice = await secretDevice(relay, 'secret-flush-alice', 'alice', { userId: 'u-alice', deviceId: 'd-alice' }, { sendStalled: () => stalls++ });
    const bob = await secretDevice(relay, 'secret-flush-bob', 'bob', { userId: 'u-bob', deviceId: 'd-bob' });
    const deliver = (to: SecretDevice) => deliverTo(relay, to);
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(bob);
    await deliver(alice);
    await deliver(bob);
    expect(stalls).toBe(0);

    relay.failSends = 1000; // the relay is down
    await alice.engine.sendText(chatId, 'through an outage', null);
    await alice.engine.flush();
    expect(stalls).toBe(1);
    expect(await alice.db.sendQueue.count()).toBe(1);

    relay.failSends = 0; // back: the owner's retry sends it
    await alice.engine.flush();
    expect(stalls).toBe(1);
    expect(await alice.db.sendQueue.count()).toBe(0);
    await bob.engine.receive(relay.take('d-bob'));
    const texts = await bob.db.secretMessages.where('chatId').equals(chatId).count();
    expect(texts).toBeGreaterThan(0);
  });
});
