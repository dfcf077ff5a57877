import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { fromB64u, toB64u } from '$lib/api/b64';
import type { Envelope } from '$lib/api/wire';
import { purgeExpired } from '$lib/store/purge';
import { secretChatView, secretKey, secretMessages } from '$lib/worker/secret';
import type { Diagnostics } from '$lib/worker/secret/errors';
import { WAKE_SEND_MAX_MS } from '$lib/worker/secret/jitter';
import { wakeSlot } from '$lib/worker/secret/wake-slots';
import { FakeRelay } from '../support/fake-relay';
import { deliver, secretDevice, secretPair, type SecretDevice } from '../support/secret-pair';

// The engine reaches the relay only through its injected SecretRelay: any direct HTTP call fails here.
vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

let dbs = 0;
const phaseOf = async (d: SecretDevice) => (await d.db.meta.get('wakePhase'))?.value as number;
const { device, established } = secretPair('secret-chat');

/** What a device shows of the chat, in display order: its texts and service notices. */
async function shown(d: SecretDevice, chatId: string): Promise<string[]> {
  const { messages } = await secretMessages(d.db, d.vault, chatId, { limit: 100 });
  return messages.map((m) => (m.kind === 'service' ? `[${m.service}]` : m.text));
}

const diagnostics = async (d: SecretDevice) => ((await d.db.meta.get('diagnostics'))?.value as Diagnostics | undefined)?.rejected ?? 0;

/** Everything a rejected envelope must leave alone: the chat row (sealed state), messages, queue. */
async function snapshot(d: SecretDevice, chatId: string) {
  return { row: await d.db.secretChats.get(chatId), messages: await d.db.secretMessages.toArray(), queue: await d.db.sendQueue.toArray() };
}

describe('secret chat between two engines', () => {
  it('handshake: the request waits, the acceptor claims and answers, both derive the same key', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    const bob = await device(relay, 'bob');
    const chatId = await alice.engine.start('u-bob');
    expect((await alice.db.secretChats.get(chatId))?.status).toBe('waiting');
    await alice.engine.flush();

    // Bob pulls from the relay (not handed envelopes): processed, then acknowledged, so gone there.
    await bob.engine.pull();
    expect(await bob.engine.pull()).toEqual({ chats: new Map() });
    await bob.engine.flush();
    expect((await bob.db.secretChats.get(chatId))?.status).toBe('active');
    expect((await secretChatView(bob.db, bob.vault, chatId)).role).toBe('acceptor');
    expect(await shown(bob, chatId)).toEqual(['[established]']);

    await alice.engine.pull();
    await alice.engine.flush();
    await bob.engine.pull();
    expect((await alice.db.secretChats.get(chatId))?.status).toBe('active');
    expect(await shown(alice, chatId)).toEqual(['[established]']);
    const [a, b] = [
      await secretKey(alice.db, alice.vault, await alice.db.secretChats.get(chatId)),
      await secretKey(bob.db, bob.vault, await bob.db.secretChats.get(chatId))
    ];
    expect(toB64u(a.fingerprint)).toBe(toB64u(b.fingerprint));
    expect(toB64u(a.peerIdentity)).toBe(toB64u(bob.member.identity.sign.pub));
    expect(toB64u(b.peerIdentity)).toBe(toB64u(alice.member.identity.sign.pub));
    expect(relay.take('d-alice')).toEqual([]);
    expect(relay.take('d-bob')).toEqual([]);
  });

  it('handshake with two devices of the peer: the first to claim owns the chat, the other drops it', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    const phone = await secretDevice(relay, `secret-chat-bob-phone-${++dbs}`, 'bob', { userId: 'u-bob', deviceId: 'd-bob-phone' });
    const laptop = await secretDevice(relay, `secret-chat-bob-laptop-${++dbs}`, 'bob', { userId: 'u-bob', deviceId: 'd-bob-laptop' });
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(relay, laptop);
    await deliver(relay, phone);
    expect((await laptop.db.secretChats.get(chatId))?.status).toBe('active');
    expect(await phone.db.secretChats.get(chatId)).toBeUndefined();
    expect(await diagnostics(phone)).toBe(0);
    await deliver(relay, alice);
    expect((await alice.db.secretChats.get(chatId))?.peerDeviceId).toBe('d-bob-laptop');
  });

  it('messages flow both ways, in order, with sent and read ticks', async () => {
    const { relay, alice, bob, chatId } = await established();
    const hi = await alice.engine.sendText(chatId, 'hi Bob', null);
    expect((await alice.db.secretMessages.get(hi))?.status).toBe('pending');
    await alice.engine.flush();
    expect((await alice.db.secretMessages.get(hi))?.status).toBe('sent');
    await bob.engine.sendText(chatId, 'hi Alice', null);
    await alice.engine.sendText(chatId, 'how are you?', null);
    await Promise.all([alice.engine.flush(), bob.engine.flush()]);
    await deliver(relay, bob);
    await deliver(relay, alice);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'hi Alice', 'hi Bob', 'how are you?']);
    expect(await shown(alice, chatId)).toEqual(['[established]', 'hi Bob', 'how are you?', 'hi Alice']);

    await bob.engine.markRead(chatId, [hi]);
    // The read report waits for the chat's receipt batch (receipts.ts); sent now instead.
    await bob.engine.sendReceipts();
    await deliver(relay, alice);
    expect((await alice.db.secretMessages.get(hi))?.status).toBe('read');
  });

  it('frames arriving out of order are held and shown in the order they were sent', async () => {
    const { relay, alice, bob, chatId } = await established();
    for (const t of ['one', 'two', 'three', 'four']) await alice.engine.sendText(chatId, t, null);
    await alice.engine.flush();
    const envs = relay.take('d-bob');
    expect(envs).toHaveLength(4);
    for (const env of [envs[2], envs[0], envs[3], envs[1]]) {
      await bob.engine.receive([env]);
      if (env === envs[0]) expect(await shown(bob, chatId)).toEqual(['[established]', 'one']);
    }
    expect(await shown(bob, chatId)).toEqual(['[established]', 'one', 'two', 'three', 'four']);
  });

  it('a lost envelope is asked for again and resent, and shows once', async () => {
    const { relay, alice, bob, chatId } = await established();
    for (const t of ['one', 'two', 'three']) await alice.engine.sendText(chatId, t, null);
    await alice.engine.flush();
    const [, ...rest] = relay.take('d-bob'); // "one" is lost
    await bob.engine.receive(rest);
    await bob.engine.flush();
    expect(await shown(bob, chatId)).toEqual(['[established]']);

    await deliver(relay, alice); // Bob's resend request: Alice encrypts "one" again
    const resent = relay.take('d-bob');
    expect(resent.length).toBeGreaterThan(0);
    await bob.engine.receive(resent);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'one', 'two', 'three']);

    // The resent envelopes again under new relay ids (a replay): nothing is shown twice.
    await bob.engine.receive(resent.map((e) => ({ ...e, id: crypto.randomUUID(), seq: e.seq + 1000 })));
    expect(await shown(bob, chatId)).toEqual(['[established]', 'one', 'two', 'three']);
  });

  it("deletes for both only the chat's own messages (ids from another chat, a stale selection, are ignored)", async () => {
    const { relay, alice, bob, chatId } = await established();
    const second = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(relay, bob);
    await deliver(relay, alice);
    await deliver(relay, bob);
    const other = await alice.engine.sendText(second, 'in the second chat', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    await alice.engine.deleteMessages(chatId, [other]);
    await alice.engine.flush();
    expect(relay.peek('d-bob')).toBe(0);
    for (const d of [alice, bob]) expect(await d.db.secretMessages.get(other)).toBeDefined();
  });

  it('deletes, a cleared history and a deleted chat reach the peer', async () => {
    const { relay, alice, bob, chatId } = await established();
    const keep = await alice.engine.sendText(chatId, 'keep', null);
    const gone = await alice.engine.sendText(chatId, 'gone', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    await alice.engine.deleteMessages(chatId, [gone]);
    await alice.engine.flush();
    await deliver(relay, bob);
    for (const d of [alice, bob]) {
      expect(await d.db.secretMessages.get(gone)).toBeUndefined();
      expect(await d.db.secretMessages.get(keep)).toBeDefined();
    }

    await bob.engine.clearHistory(chatId);
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await shown(alice, chatId)).toEqual(['[cleared]']);
    expect(await shown(bob, chatId)).toEqual(['[cleared]']);

    await alice.engine.deleteChat(chatId);
    expect(await alice.db.secretChats.get(chatId)).toBeUndefined();
    expect(await alice.db.secretMessages.count()).toBe(0);
    await alice.engine.flush();
    await deliver(relay, bob);
    const view = await secretChatView(bob.db, bob.vault, chatId);
    expect([view.status, view.cancelledBy]).toEqual(['cancelled', 'peer']);
    await expect(bob.engine.sendText(chatId, 'anyone?', null)).rejects.toMatchObject({ code: 'not_active' });
  });

  it('a timer applies to later messages; reading starts it on both sides and asks the relay for a wake-up', async () => {
    const { relay, alice, bob, chatId } = await established();
    const before = await alice.engine.sendText(chatId, 'no timer', null);
    await alice.engine.setTimer(chatId, 5);
    const timed = await alice.engine.sendText(chatId, 'five seconds', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect((await secretChatView(bob.db, bob.vault, chatId)).ttl).toBe(5);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'no timer', '[ttl]', 'five seconds']);
    expect((await bob.db.secretMessages.get(before))?.ttl).toBe(0);
    expect((await bob.db.secretMessages.get(timed))?.ttl).toBe(5);

    const readAt = Date.now();
    await bob.engine.markRead(chatId, [before, timed]);
    const bobDeadline = (await bob.db.secretMessages.get(timed))!.deadline!;
    expect(bobDeadline).toBeGreaterThanOrEqual(readAt + 5000);
    // The read report waits for the chat's receipt batch (receipts.ts); sent now instead.
    await bob.engine.sendReceipts();
    // The wake-up is not asked for at the read but at a random moment before its slot (wakeups.ts).
    await vi.waitFor(() => expect(bob.clock.armed()).toHaveLength(1));
    expect(relay.wakeups.get('d-bob')).toBeUndefined();
    bob.clock.advance(WAKE_SEND_MAX_MS);
    // Not the deadline itself: the first slot at or after it on Bob's own grid (wake-slots.ts).
    await vi.waitFor(async () => expect(relay.wakeups.get('d-bob')).toEqual([wakeSlot(bobDeadline, await phaseOf(bob))]));
    await deliver(relay, alice);
    const aliceDeadline = (await alice.db.secretMessages.get(timed))!.deadline!;
    expect(aliceDeadline).toBeLessThanOrEqual(bobDeadline);
    expect(aliceDeadline).toBeGreaterThanOrEqual(readAt + 5000);
    await vi.waitFor(() => expect(alice.clock.armed()).toHaveLength(1));
    alice.clock.advance(WAKE_SEND_MAX_MS);
    await vi.waitFor(async () => expect(relay.wakeups.get('d-alice')).toEqual([wakeSlot(aliceDeadline, await phaseOf(alice))]));
    // Each device on a grid of its own: the relay cannot pair them by the times they ask for.
    expect(await phaseOf(alice)).not.toBe(await phaseOf(bob));

    for (const d of [alice, bob]) {
      await purgeExpired(d.db, bobDeadline + 1);
      expect(await d.db.secretMessages.get(timed)).toBeUndefined();
      expect(await d.db.secretMessages.get(before)).toBeDefined();
    }
  });

  it('a tampered envelope is rejected and changes nothing; the genuine one still opens', async () => {
    const { relay, alice, bob, chatId } = await established();
    await alice.engine.sendText(chatId, 'genuine', null);
    await alice.engine.flush();
    const [env] = relay.take('d-bob');
    const body = fromB64u(env.body);
    body[body.length - 1] ^= 1;
    const tampered: Envelope = { ...env, id: crypto.randomUUID(), body: toB64u(body) };

    const rejected = await diagnostics(bob);
    const before = await snapshot(bob, chatId);
    await bob.engine.receive([tampered]);
    expect(await diagnostics(bob)).toBe(rejected + 1);
    expect(await snapshot(bob, chatId)).toEqual(before);

    await bob.engine.receive([env]);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'genuine']);
  });

  it('a replayed envelope is rejected and changes nothing; the same relay envelope twice is skipped', async () => {
    const { relay, alice, bob, chatId } = await established();
    await alice.engine.sendText(chatId, 'once', null);
    await alice.engine.flush();
    const [env] = relay.take('d-bob');
    await bob.engine.receive([env]);
    await bob.engine.flush();
    expect(await shown(bob, chatId)).toEqual(['[established]', 'once']);

    const rejected = await diagnostics(bob);
    const before = await snapshot(bob, chatId);
    await bob.engine.receive([env]); // seen already (a lost relay ack): skipped, not an error
    expect(await diagnostics(bob)).toBe(rejected);
    await bob.engine.receive([{ ...env, id: crypto.randomUUID() }]); // the relay replays the ciphertext
    expect(await diagnostics(bob)).toBe(rejected + 1);
    expect(await snapshot(bob, chatId)).toEqual(before);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'once']);
  });

  it('a file goes through the relay encrypted, is kept by the receiver, and the relay copy is deleted', async () => {
    const { relay, alice, bob, chatId } = await established();
    const bytes = crypto.getRandomValues(new Uint8Array(3000));
    const id = await alice.engine.sendFile(chatId, 'photo.jpg', 'image/jpeg', bytes, 'look');
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(await shown(bob, chatId)).toEqual(['[established]', 'look']);
    const got = await bob.engine.media(id);
    expect([got.name, got.mime, toB64u(got.bytes)]).toEqual(['photo.jpg', 'image/jpeg', toB64u(bytes)]);
    const { blobId } = (await bob.db.secretMessages.get(id))!;
    await vi.waitFor(() => expect(relay.hasBlob(blobId!)).toBe(false));
    expect(toB64u((await bob.engine.media(id)).bytes)).toBe(toB64u(bytes)); // from the vault now
    expect(toB64u((await alice.engine.media(id)).bytes)).toBe(toB64u(bytes));
  });
});

describe('a file with its own timer and size', () => {
  it('travels with the timer picked for it (not the chat timer) and the photo size, both sides', async () => {
    const { relay, alice, bob, chatId } = await established();
    const bytes = crypto.getRandomValues(new Uint8Array(500));
    const id = await alice.engine.sendFile(chatId, 'wide.png', 'image/png', bytes, '', { ttl: 5, width: 640, height: 360 });
    await alice.engine.flush();
    await deliver(relay, bob);
    for (const d of [alice, bob]) {
      const { messages } = await secretMessages(d.db, d.vault, chatId, { limit: 100 });
      const m = messages.find((x) => x.id === id)!;
      expect([m.ttl, m.file?.width, m.file?.height]).toEqual([5, 640, 360]);
    }
    // The chat's own timer is untouched.
    expect((await secretMessages(bob.db, bob.vault, chatId, { limit: 100 })).messages.filter((m) => m.service === 'ttl')).toEqual([]);
  });

  it('without a size or timer: the chat timer, and no size (an older sender)', async () => {
    const { relay, alice, bob, chatId } = await established();
    const id = await alice.engine.sendFile(chatId, 'a.bin', 'application/octet-stream', new Uint8Array([1, 2, 3]), '', { width: 10 });
    await alice.engine.flush();
    await deliver(relay, bob);
    const m = (await secretMessages(bob.db, bob.vault, chatId, { limit: 100 })).messages.find((x) => x.id === id)!;
    expect([m.ttl, m.file?.width, m.file?.height]).toEqual([0, undefined, undefined]);
  });
});
