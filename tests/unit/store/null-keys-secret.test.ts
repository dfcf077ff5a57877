import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { CinderDB } from '$lib/store/db';
import { purgeExpired } from '$lib/store/purge';
import { describeIndexedNulls, findIndexedNulls } from '../../support/indexed-nulls';
import { FakeRelay } from '../support/fake-relay';
import { deliver as deliverTo, secretDevice, type SecretDevice } from '../support/secret-pair';

const device = (relay: FakeRelay, name: string, userId: string, deviceId: string) => secretDevice(relay, `null-keys-secret-${name}`, name, { userId, deviceId });

async function expectNoIndexedNull(db: CinderDB) {
  const nulls = await findIndexedNulls(db);
  expect(nulls, describeIndexedNulls(nulls)).toEqual([]);
}

describe('no null in indexed properties: secret chats', () => {
  it('a whole secret chat (request, accept, messages with and without a timer, read receipts) stores no null', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice', 'u-alice', 'd-alice');
    const bob = await device(relay, 'bob', 'u-bob', 'd-bob');
    const deliver = (to: SecretDevice) => deliverTo(relay, to);

    // Waiting for the peer: no protocol chat id yet, so none stored.
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    expect(await alice.db.secretChats.get(chatId)).not.toHaveProperty('protoChatId');
    await expectNoIndexedNull(alice.db);

    await deliver(bob); // request → Bob accepts
    await deliver(alice); // accept → Alice active
    await deliver(bob); // Alice's key confirmation
    for (const d of [alice, bob]) {
      const row = (await d.db.secretChats.get(chatId))!;
      expect([row.status, typeof row.protoChatId]).toEqual(['active', 'string']);
    }

    const plain = await alice.engine.sendText(chatId, 'no timer', null);
    await alice.engine.setTimer(chatId, 5);
    const timed = await alice.engine.sendText(chatId, 'five seconds', null);
    await alice.engine.flush();
    await deliver(bob);
    for (const d of [alice, bob]) {
      for (const id of [plain, timed]) expect(await d.db.secretMessages.get(id)).not.toHaveProperty('deadline');
      await expectNoIndexedNull(d.db);
    }

    // Read: the timer starts for the timed message only, on both sides.
    await bob.engine.markRead(chatId, [plain, timed]);
    // The read report waits for the chat's receipt batch (receipts.ts); sent now instead.
    await bob.engine.sendReceipts();
    await deliver(alice);
    for (const d of [alice, bob]) {
      const [p, t] = [(await d.db.secretMessages.get(plain))!, (await d.db.secretMessages.get(timed))!];
      expect(p.status).toBe('read');
      expect(p).not.toHaveProperty('deadline');
      expect(t.deadline).toBeGreaterThan(Date.now());
      await expectNoIndexedNull(d.db);
    }

    // Later: only the timed message goes; the rest of the chat stays.
    for (const d of [alice, bob]) {
      const before = await d.db.secretMessages.count();
      const purged = await purgeExpired(d.db, Date.now() + 86400_000);
      expect([...purged.chats]).toEqual([chatId]);
      expect(await d.db.secretMessages.get(timed)).toBeUndefined();
      expect(await d.db.secretMessages.get(plain)).toBeDefined();
      expect(await d.db.secretMessages.count()).toBe(before - 1);
      d.db.close();
    }
  });
});
