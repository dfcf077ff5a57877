/**
 * A handshake that cannot complete says so (status 'failed' with a reason) instead of waiting forever:
 * the claiming device refuses a request it cannot accept, a request the relay refuses for good, and
 * requests whose devices are all signed out. Also what tells several chats with one person apart.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { fromB64u, toB64u } from '$lib/api/b64';
import type { Envelope } from '$lib/api/wire';
import { fingerprintEmoji } from '$lib/verify/emoji';
import { secretChatList, secretChatView, secretKey } from '$lib/worker/secret';
import type { Diagnostics } from '$lib/worker/secret/errors';
import { encodeRefusal, parseRefusal } from '$lib/worker/secret/failure';
import { openState } from '$lib/worker/secret/stored';
import { FakeRelay } from '../support/fake-relay';
import { deliver, secretDevice, type SecretDevice } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

let dbs = 0;
const device = (relay: FakeRelay, name: string, user = name) =>
  secretDevice(relay, `secret-failure-${name}-${++dbs}`, user, { userId: `u-${user}`, deviceId: `d-${name}` });
const rejected = async (d: SecretDevice) => ((await d.db.meta.get('diagnostics'))?.value as Diagnostics | undefined)?.byCode ?? {};
const pendings = async (d: SecretDevice, chatId: string) => {
  const row = (await d.db.secretChats.get(chatId))!;
  return (await openState(d.vault, chatId, row.box)).state.pendings.length;
};

/** Changes one byte of every envelope's body (as a broken or hostile sender would). */
const tamper = (envs: Envelope[], at: number, xor = 0x01) =>
  envs.map((e) => {
    const b = fromB64u(e.body);
    b[at] ^= xor;
    return { ...e, body: toB64u(b) };
  });

describe('a secret chat whose handshake fails', () => {
  it('is refused by the device that claimed a request it cannot verify, and the initiator shows why', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    const bob = await device(relay, 'bob');
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    // The signature no longer matches (its last byte changed): Bob claims it, cannot accept it, refuses.
    await bob.engine.receive(tamper(relay.take('d-bob'), 1425));
    await bob.engine.flush();
    expect(await bob.db.secretChats.get(chatId)).toBeUndefined();
    expect(Object.keys(await rejected(bob))).toEqual(['bad_signature']);
    expect(await bob.db.sendQueue.count()).toBe(0);

    expect((await secretChatView(alice.db, alice.vault, chatId)).status).toBe('waiting');
    await deliver(relay, alice);
    const view = await secretChatView(alice.db, alice.vault, chatId);
    expect([view.status, view.failure, view.key]).toEqual(['failed', 'refused', undefined]);
    expect(await pendings(alice, chatId)).toBe(0); // the handshake secrets are wiped
    const [listed] = await secretChatList(alice.db, alice.vault);
    expect(listed).toMatchObject({ id: chatId, status: 'failed', failure: 'refused', preview: "bob's device refused this secret chat", unread: 0 });
    // Deleting it works like any chat that never started.
    await alice.engine.deleteChat(chatId);
    expect(await alice.db.secretChats.get(chatId)).toBeUndefined();
  });

  it('says "unsupported" when the request speaks another protocol version', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    const bob = await device(relay, 'bob');
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await bob.engine.receive(tamper(relay.take('d-bob'), 0, 0x02)); // version 0x03 (2 is sealed addressing now)
    await bob.engine.flush();
    await deliver(relay, alice);
    expect((await secretChatView(alice.db, alice.vault, chatId)).failure).toBe('unsupported');
  });

  it('ignores a refusal that is not from a device the request went to, or names another chat', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    const bob = await device(relay, 'bob');
    const mallory = await device(relay, 'mallory');
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    const [request] = relay.take('d-bob');
    const refusal = encodeRefusal(fromB64u(request.body), 'refused')!;
    expect(parseRefusal(refusal).reason).toBe('refused');
    const forged = (from: SecretDevice, body: Uint8Array): Envelope => ({
      seq: 100 + dbs++,
      id: crypto.randomUUID(),
      fromDeviceId: from.member.deviceId,
      fromUserId: from.member.user.id,
      body: toB64u(body),
      createdAt: Date.now(),
      requestId: null
    });
    const otherChat = refusal.slice();
    otherChat[5] ^= 0xff;
    const badReason = refusal.slice();
    badReason[18] = 0x09;
    await alice.engine.receive([forged(mallory, refusal), forged(bob, otherChat), forged(bob, badReason), forged(bob, refusal.subarray(0, 18))]);
    expect((await secretChatView(alice.db, alice.vault, chatId)).status).toBe('waiting');
    expect(await rejected(alice)).toEqual({ unknown_chat: 2, malformed: 2 });
    await alice.engine.receive([forged(bob, refusal)]);
    expect((await secretChatView(alice.db, alice.vault, chatId)).status).toBe('failed');
  });

  it('fails when the relay refuses the request for good, only once no device is left to take it', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    await device(relay, 'bob-phone', 'bob');
    await device(relay, 'bob-laptop', 'bob');
    const chatId = await alice.engine.start('u-bob');
    relay.revoke('d-bob-phone');
    await alice.engine.flush();
    expect((await secretChatView(alice.db, alice.vault, chatId)).status).toBe('waiting'); // the laptop can still take it
    expect(await pendings(alice, chatId)).toBe(1);

    const second = await alice.engine.start('u-bob');
    relay.revoke('d-bob-laptop');
    await alice.engine.flush();
    expect((await secretChatView(alice.db, alice.vault, second)).failure).toBe('gone');
    expect(await alice.db.sendQueue.count()).toBe(0);
  });

  it('fails a waiting chat once every device its requests went to is signed out (the relay dropped them)', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    await device(relay, 'bob', 'bob');
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await alice.engine.checkWaiting(chatId);
    expect((await secretChatView(alice.db, alice.vault, chatId)).status).toBe('waiting'); // merely offline
    expect(relay.withdrawn).toEqual([]);

    // Bob signs in elsewhere and signs the old device out: that new device never got the request.
    await device(relay, 'bob-new', 'bob');
    relay.revoke('d-bob');
    await alice.engine.checkWaiting();
    const view = await secretChatView(alice.db, alice.vault, chatId);
    expect([view.status, view.failure]).toEqual(['failed', 'gone']);
    expect(relay.withdrawn).toEqual([chatId]);
  });

  it('gives each established chat the first two emoji of its own key, on both devices, with when and who started it', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    const bob = await device(relay, 'bob');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const id = await alice.engine.start('u-bob');
      await alice.engine.flush();
      await deliver(relay, bob);
      await deliver(relay, alice);
      ids.push(id);
    }
    for (const id of ids) {
      const { fingerprint } = await secretKey(alice.db, alice.vault, await alice.db.secretChats.get(id));
      const [first, second] = fingerprintEmoji(fingerprint);
      const mine = await secretChatView(alice.db, alice.vault, id);
      const theirs = await secretChatView(bob.db, bob.vault, id);
      expect(mine.key).toEqual({ emoji: first.e + second.e, name: `${first.name}, ${second.name}` });
      expect(theirs.key).toEqual(mine.key);
      expect([mine.role, theirs.role]).toEqual(['initiator', 'acceptor']);
    }
    const list = await secretChatList(alice.db, alice.vault);
    expect(list.map((c) => [c.id, c.role, typeof c.createdAt, c.key])).toEqual(
      await Promise.all(ids.map(async (id) => [id, 'initiator', 'number', (await secretChatView(alice.db, alice.vault, id)).key])).then((x) =>
        x.sort((a, b) => list.findIndex((c) => c.id === a[0]) - list.findIndex((c) => c.id === b[0]))
      )
    );
    // A waiting chat has no key yet.
    const waiting = await alice.engine.start('u-bob');
    expect((await secretChatView(alice.db, alice.vault, waiting)).key).toBeUndefined();
  });
});
