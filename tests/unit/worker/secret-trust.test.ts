import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { generateIdentity, nobleBackend, toHex } from '$lib/crypto';
import { secretChatView, secretKey } from '$lib/worker/secret';
import { parseParams } from '$lib/worker/rpc/methods';
import { decodeState, encodeState } from '$lib/worker/secret/stored';
import { newState } from '$lib/worker/secret/state';
import { abortNextCommit } from '../support/abort-commit';
import { FakeRelay } from '../support/fake-relay';
import { deliver, secretDevice, secretPair, type SecretDevice } from '../support/secret-pair';

// The engine reaches the relay only through its injected SecretRelay: any direct HTTP call fails here.
vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { device, established } = secretPair('secret-trust');
let dbs = 0;

const view = (d: SecretDevice, chatId: string) => secretChatView(d.db, d.vault, chatId);
const keyOf = async (d: SecretDevice, chatId: string) => (await secretKey(d.db, d.vault, await d.db.secretChats.get(chatId))).fingerprint;

/** Alice starts a chat with `peer` and both sides run the handshake to the end. */
async function chat(relay: FakeRelay, alice: SecretDevice, peers: SecretDevice[], peerId = 'u-bob'): Promise<string> {
  const id = await alice.engine.start(peerId);
  await alice.engine.flush();
  for (const p of peers) await deliver(relay, p);
  await deliver(relay, alice);
  return id;
}

/** Alice and Bob with a chat Alice verified (Bob's key pinned on Alice's device). */
async function verified() {
  const pair = await established();
  await pair.alice.engine.verify(pair.chatId, await keyOf(pair.alice, pair.chatId));
  await pair.alice.engine.flush();
  return pair;
}

describe('pinned trust', () => {
  it('a changed key on a verified device is flagged in every later chat; the trust is never erased', async () => {
    const { relay, alice, bob } = await verified();
    const pinned = await alice.db.trustPins.get(['u-bob', 'd-bob']);
    // The relay now lists d-bob with another key (Bob's engine uses it too, so the handshake succeeds).
    bob.member.identity = await generateIdentity(nobleBackend());
    for (let i = 0; i < 2; i++) {
      const id = await chat(relay, alice, [bob]);
      expect(await view(alice, id)).toMatchObject({ verifiedByMe: false, keyChanged: true, newDevice: false });
    }
    expect(await alice.db.trustPins.get(['u-bob', 'd-bob'])).toEqual(pinned);
  });

  it('a commit that aborts loses neither the trust nor the warning: the warning is saved with the chat', async () => {
    const { relay, alice, bob } = await verified();
    bob.member.identity = await generateIdentity(nobleBackend());
    const id = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(relay, bob);
    const accept = relay.take('d-alice');
    const spy = abortNextCommit(alice);
    await alice.engine.receive(accept).catch(() => undefined);
    spy.mockRestore();
    expect(await alice.db.trustPins.get(['u-bob', 'd-bob'])).toBeDefined();
    await alice.engine.receive(accept);
    expect(await view(alice, id)).toMatchObject({ status: 'active', keyChanged: true, verifiedByMe: false });
  });

  it('a new device of a user verified before is flagged newDevice (as initiator and as acceptor), not verified', async () => {
    const { relay, alice } = await verified();
    relay.revoke('d-bob');
    const phone = await secretDevice(relay, `secret-trust-phone-${++dbs}`, 'bob', { userId: 'u-bob', deviceId: 'd-bob-phone' });
    const mine = await chat(relay, alice, [phone]);
    expect(await view(alice, mine)).toMatchObject({ verifiedByMe: false, keyChanged: false, newDevice: true });

    const theirs = await phone.engine.start('u-alice');
    await phone.engine.flush();
    await deliver(relay, alice);
    expect(await view(alice, theirs)).toMatchObject({ status: 'active', verifiedByMe: false, newDevice: true });

    // Verifying the new device clears the flag there and pins it: the next chat with it is verified.
    await alice.engine.verify(mine, await keyOf(alice, mine));
    expect(await view(alice, mine)).toMatchObject({ verifiedByMe: true, newDevice: false });
    expect(await view(alice, await chat(relay, alice, [phone]))).toMatchObject({ verifiedByMe: true, newDevice: false });
  });

  it('nothing is flagged for a user never verified', async () => {
    const { alice, chatId } = await established();
    expect(await view(alice, chatId)).toMatchObject({ verifiedByMe: false, keyChanged: false, newDevice: false });
  });

  it('trust pinned for another user does not verify a chat, even with the same device id and key', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    const bob = await device(relay, 'bob');
    // As if the relay had once filed this device under "Eve" and Alice verified it there.
    await alice.db.trustPins.put({ deviceId: 'd-bob', userId: 'u-eve', signPub: toHex(bob.member.identity.sign.pub), verifiedAt: 1 });
    const id = await chat(relay, alice, [bob]);
    expect(await view(alice, id)).toMatchObject({ status: 'active', verifiedByMe: false, keyChanged: false, newDevice: false });
  });
});

describe('pins per user', () => {
  it('a relay that lists a verified device id under another user cannot replace that pin: a changed key is still flagged', async () => {
    const { relay, alice, bob } = await verified();
    const bobUser = bob.member.user;
    // The relay files d-bob under Mallory, with Mallory's key, and Alice verifies that chat too.
    bob.member.user = { id: 'u-mallory', username: 'mallory', displayName: 'Mallory' };
    bob.member.identity = await generateIdentity(nobleBackend());
    const mallory = await chat(relay, alice, [bob], 'u-mallory');
    await alice.engine.verify(mallory, await keyOf(alice, mallory));
    expect(await view(alice, mallory)).toMatchObject({ status: 'active', verifiedByMe: true });
    // Then it lists d-bob as Bob's again, with a key of its own: Bob's pin must still be there.
    bob.member.user = bobUser;
    bob.member.identity = await generateIdentity(nobleBackend());
    const id = await chat(relay, alice, [bob]);
    expect(await view(alice, id)).toMatchObject({ status: 'active', verifiedByMe: false, keyChanged: true, newDevice: false });
    expect((await alice.db.trustPins.toArray()).map((t) => [t.userId, t.deviceId])).toEqual([
      ['u-bob', 'd-bob'],
      ['u-mallory', 'd-bob']
    ]);
  });
});

describe('verify', () => {
  it('refuses a key that is not the chat’s: nothing pinned, nothing sent', async () => {
    const { relay, alice, chatId } = await established();
    const other = (await keyOf(alice, chatId)).slice();
    other[0]! ^= 1;
    await expect(alice.engine.verify(chatId, other)).rejects.toMatchObject({ code: 'key_mismatch' });
    expect(await alice.db.trustPins.count()).toBe(0);
    expect(await view(alice, chatId)).toMatchObject({ verifiedByMe: false });
    await alice.engine.flush();
    expect(relay.take('d-bob')).toEqual([]);
  });

  it('the RPC takes the compared key as 32 to 64 bytes', () => {
    const id = crypto.randomUUID();
    expect(() => parseParams('secretVerify', { id })).toThrow();
    expect(() => parseParams('secretVerify', { id, fingerprint: new Uint8Array(31) })).toThrow();
    expect(() => parseParams('secretVerify', { id, fingerprint: 'AAAA' })).toThrow();
    expect(parseParams('secretVerify', { id, fingerprint: new Uint8Array(32) }).fingerprint).toHaveLength(32);
  });

  it('the peer’s "verified you" shows only once this device verified the peer', async () => {
    const { relay, alice, bob, chatId } = await established();
    await bob.engine.verify(chatId, await keyOf(bob, chatId));
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await view(alice, chatId)).toMatchObject({ verifiedByMe: false, verifiedByPeer: false });
    await alice.engine.verify(chatId, await keyOf(alice, chatId));
    expect(await view(alice, chatId)).toMatchObject({ verifiedByMe: true, verifiedByPeer: true });
  });

  it('the newDevice flag survives the stored format', () => {
    const s = { ...newState(), newDevice: true };
    expect(decodeState(encodeState(s)).state.newDevice).toBe(true);
    expect(decodeState(encodeState(newState())).state.newDevice).toBe(false);
  });
});
