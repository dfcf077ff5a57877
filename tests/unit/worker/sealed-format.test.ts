/**
 * Session and identity secrets are sealed as bytes (stored format 2). A database written before
 * (format 1: the vault's JSON seal, keys as base64url strings) still opens, keeps working both ways,
 * and ends in format 2; malformed blobs are rejected, never misread.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { toB64u } from '$lib/api/b64';
import { nobleBackend, serializeIdentity, type Identity } from '$lib/crypto';
import { places } from '$lib/store/places';
import type { Vault } from '$lib/store/vault';
import { IDENTITY_PLACE, loadIdentity, storeIdentity } from '$lib/worker/identity';
import { secretChatView, secretKey, secretMessages } from '$lib/worker/secret';
import { decodeState, encodeState, openState } from '$lib/worker/secret/stored';
import type { CinderDB } from '$lib/store/db';
import { FakeRelay } from '../support/fake-relay';
import { deliver, secretPair, type SecretDevice } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { device, established } = secretPair('sealed-format');

async function shown(d: SecretDevice, chatId: string): Promise<string[]> {
  const { messages } = await secretMessages(d.db, d.vault, chatId, { limit: 100 });
  return messages.map((m) => (m.kind === 'service' ? `[${m.service}]` : m.text));
}

/** The first bytes of a sealed value's plaintext: its format tag. */
async function tag(vault: Vault, place: string, box: Uint8Array): Promise<string> {
  const plain = await vault.openBytes(place, box);
  return plain[0] === 0x7b ? 'json' : `${String.fromCharCode(plain[0]!, plain[1]!)}${plain[2]}`;
}

/**
 * Rewrites a chat's row as the code before format 2 stored it: the vault's JSON seal of the state
 * with the session and pending handshakes as base64url strings (SecretState v1).
 */
async function toFormat1(d: SecretDevice, chatId: string): Promise<void> {
  const row = (await d.db.secretChats.get(chatId))!;
  const { state } = await openState(d.vault, chatId, row.box);
  const v1 = {
    v: 1,
    session: state.session ? toB64u(state.session) : null,
    pendings: state.pendings.map((p) => ({ deviceId: p.deviceId, protoChatId: p.protoChatId, pending: toB64u(p.pending) })),
    inbox: state.inbox,
    outbox: state.outbox,
    fingerprint: state.fingerprint,
    ttl: state.ttl,
    ackSent: state.ackSent,
    verifiedByMe: state.verifiedByMe,
    verifiedByPeer: state.verifiedByPeer,
    keyChanged: state.keyChanged
  };
  await d.db.secretChats.put({ ...row, box: await d.vault.seal(places.secretChat(chatId), v1) });
  expect(await tag(d.vault, places.secretChat(chatId), (await d.db.secretChats.get(chatId))!.box)).toBe('json');
}

/** The identity row as the code before format 2 stored it. */
async function identityFormat1(db: CinderDB, vault: Vault, deviceId: string, identity: Identity): Promise<void> {
  await db.secrets.put({ key: 'identity', box: await vault.seal(IDENTITY_PLACE, { deviceId, identity: toB64u(serializeIdentity(identity)) }) });
}

describe('sealed secret chat state (format 2) and the format-1 migration', () => {
  it('a new chat is stored as format 2, and its keys survive a round trip', async () => {
    const { alice, bob, chatId } = await established();
    for (const d of [alice, bob]) {
      const box = (await d.db.secretChats.get(chatId))!.box;
      expect(await tag(d.vault, places.secretChat(chatId), box)).toBe('cs2');
      const { state, format } = await openState(d.vault, chatId, box);
      expect(format).toBe(2);
      expect(decodeState(encodeState(state)).state).toEqual(state);
    }
  });

  it('a chat stored in format 1 keeps working both ways and ends in format 2', async () => {
    const { relay, alice, bob, chatId } = await established();
    await toFormat1(alice, chatId);
    await toFormat1(bob, chatId);
    const keysBefore = await secretKey(alice.db, alice.vault, await alice.db.secretChats.get(chatId));
    expect((await secretChatView(alice.db, alice.vault, chatId)).status).toBe('active');

    await alice.engine.sendText(chatId, 'from the old format', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    await bob.engine.sendText(chatId, 'and back', null);
    await bob.engine.flush();
    await deliver(relay, alice);
    await deliver(relay, bob);
    await alice.engine.sendText(chatId, 'still going', null);
    await alice.engine.flush();
    await deliver(relay, bob);

    expect(await shown(alice, chatId)).toEqual(['[established]', 'from the old format', 'and back', 'still going']);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'from the old format', 'and back', 'still going']);
    for (const d of [alice, bob]) expect(await tag(d.vault, places.secretChat(chatId), (await d.db.secretChats.get(chatId))!.box)).toBe('cs2');
    const keysAfter = await secretKey(alice.db, alice.vault, await alice.db.secretChats.get(chatId));
    expect(toB64u(keysAfter.fingerprint)).toBe(toB64u(keysBefore.fingerprint));
  });

  it('after unlock, idle chats in format 1 (here one waiting for its accept) are rewritten; the handshake then completes', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    const carol = await device(relay, 'carol');
    const chatId = await alice.engine.start('u-carol');
    await alice.engine.flush();
    await toFormat1(alice, chatId);

    expect(await alice.engine.upgradeStored()).toBe(1);
    expect(await tag(alice.vault, places.secretChat(chatId), (await alice.db.secretChats.get(chatId))!.box)).toBe('cs2');
    expect(await alice.engine.upgradeStored()).toBe(0);

    await deliver(relay, carol);
    await deliver(relay, alice);
    await deliver(relay, carol);
    expect((await alice.db.secretChats.get(chatId))?.status).toBe('active');
    await carol.engine.sendText(chatId, 'hello', null);
    await carol.engine.flush();
    await deliver(relay, alice);
    expect(await shown(alice, chatId)).toEqual(['[established]', 'hello']);
  });

  it('the identity stored in format 1 loads, and is rewritten as format 2', async () => {
    const { alice } = await established();
    const { db, vault, member } = alice;
    await identityFormat1(db, vault, 'd-alice', member.identity);
    expect(await tag(vault, IDENTITY_PLACE, (await db.secrets.get('identity'))!.box)).toBe('json');

    const loaded = await loadIdentity(db, vault, nobleBackend());
    expect(toB64u(serializeIdentity(loaded))).toBe(toB64u(serializeIdentity(member.identity)));
    expect(await tag(vault, IDENTITY_PLACE, (await db.secrets.get('identity'))!.box)).toBe('ci2');
    const again = await loadIdentity(db, vault, nobleBackend());
    expect(toB64u(serializeIdentity(again))).toBe(toB64u(serializeIdentity(member.identity)));

    await storeIdentity(db, vault, 'd-alice', member.identity);
    expect(await tag(vault, IDENTITY_PLACE, (await db.secrets.get('identity'))!.box)).toBe('ci2');
    expect(toB64u(serializeIdentity(await loadIdentity(db, vault, nobleBackend())))).toBe(toB64u(serializeIdentity(member.identity)));
  });

  it('malformed or moved blobs are rejected with a clear error', async () => {
    const { alice, chatId } = await established();
    const { db, vault } = alice;
    const place = places.secretChat(chatId);
    const good = encodeState((await openState(vault, chatId, (await db.secretChats.get(chatId))!.box)).state);
    const rejects = async (plain: Uint8Array, message: RegExp) =>
      expect(openState(vault, chatId, await vault.sealBytes(place, plain))).rejects.toMatchObject({ code: 'bad_state', message });

    await rejects(good.subarray(0, good.length - 1), /unreadable \(truncated\)/);
    await rejects(new Uint8Array([...good, 0]), /trailing bytes/);
    await rejects(new Uint8Array([0x63, 0x73, 1]), /unknown format 1/);
    await rejects(new Uint8Array([1, 2, 3]), /no format tag/);
    // A later format or a flag bit no flag of this version uses (8 is newDevice) is a newer version's, not corrupt (secret-newer-state.test.ts).
    const newer = async (plain: Uint8Array) =>
      expect(openState(vault, chatId, await vault.sealBytes(place, plain))).rejects.toMatchObject({ code: 'newer_state', chatId });
    await newer(new Uint8Array([0x63, 0x73, 9]));
    const newFlags = good.slice();
    newFlags[newFlags.length - 1] = 16;
    await newer(newFlags);
    await rejects(new TextEncoder().encode(JSON.stringify({ v: 1, session: 42, pendings: [] })), /format 1 session/);
    await rejects(new TextEncoder().encode(JSON.stringify({ v: 2 })), /format 1 without v: 1/);
    await rejects(new TextEncoder().encode('{not json'), /unreadable/);

    // Bound to its row: a state copied to another chat's row does not open there.
    await expect(openState(vault, 'another-chat', (await db.secretChats.get(chatId))!.box)).rejects.toMatchObject({ code: 'wrong_place' });
    // The same for the identity, and a malformed identity is not misread.
    await expect(loadIdentity(db, vault, nobleBackend())).rejects.toThrow(); // the test device never stored one
    await db.secrets.put({ key: 'identity', box: (await db.secretChats.get(chatId))!.box });
    await expect(loadIdentity(db, vault, nobleBackend())).rejects.toMatchObject({ code: 'wrong_place' });
    await db.secrets.put({ key: 'identity', box: await vault.sealBytes(IDENTITY_PLACE, new Uint8Array([0x63, 0x69, 2, 0, 0, 0, 1])) });
    await expect(loadIdentity(db, vault, nobleBackend())).rejects.toMatchObject({ code: 'corrupt', message: /identity is unreadable/ });
    await db.secrets.put({ key: 'identity', box: await vault.seal(IDENTITY_PLACE, { deviceId: 'd', identity: 7 }) });
    await expect(loadIdentity(db, vault, nobleBackend())).rejects.toMatchObject({ code: 'corrupt', message: /format 1 fields/ });
  });
});
