// A chat whose state a newer version of Cinder wrote (a flag or a format this version does not know)
// is not corrupt: its envelopes are kept (parked) and acknowledged, the rest of the queue goes on, and
// a version that reads the state receives them, in order, before anything newer. Real corruption is
// still rejected as before.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { Envelope } from '$lib/api/wire';
import { places } from '$lib/store/places';
import type { Diagnostics } from '$lib/worker/secret';
import { secretChatList, secretChatView, secretMessages } from '$lib/worker/secret';
import type { Chats } from '$lib/worker/secret/chats';
import { park, PARKED_KEEP_MS, PARKED_MAX, takeParked } from '$lib/worker/secret/parked';
import { newState } from '$lib/worker/secret/state';
import { decodeState, encodeState, openState } from '$lib/worker/secret/stored';
import { FakeRelay } from '../support/fake-relay';
import { deliver, secretPair, type SecretDevice } from '../support/secret-pair';
import { unlockedStore } from '../support/store';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const { device, established } = secretPair('newer-state');

/** Rewrites the chat's stored state as `change` makes it: what a newer version (or a corruption) leaves behind. */
/** A second chat Alice starts with Bob, established (its envelopes come after the first chat's). */
async function secondChat(relay: FakeRelay, alice: SecretDevice, bob: SecretDevice): Promise<string> {
  const id = await alice.engine.start('u-bob');
  await alice.engine.flush();
  await deliver(relay, bob);
  await deliver(relay, alice);
  await deliver(relay, bob);
  return id;
}

async function rewrite(d: SecretDevice, chatId: string, change: (plain: Uint8Array) => void): Promise<void> {
  const place = places.secretChat(chatId);
  const row = (await d.db.secretChats.get(chatId))!;
  const plain = await d.vault.openBytes(place, row.box);
  change(plain);
  await d.db.secretChats.put({ ...row, box: await d.vault.sealBytes(place, plain) });
}
/** A newer version's flag (16: the first bit no flag of this version uses) set, or cleared again. */
const newerFlag = (on: boolean) => (plain: Uint8Array) => void (plain[plain.length - 1] = on ? plain[plain.length - 1]! | 16 : plain[plain.length - 1]! & ~16);

const texts = async (d: SecretDevice, chatId: string) =>
  (await secretMessages(d.db, d.vault, chatId, { limit: 50 })).messages.filter((m) => m.kind === 'text').map((m) => m.text);
const rejected = async (d: SecretDevice) => ((await d.db.meta.get('diagnostics'))?.value as Diagnostics | undefined)?.byCode ?? {};

async function send(d: SecretDevice, chatId: string, ...messages: string[]) {
  for (const m of messages) await d.engine.sendText(chatId, m, null);
  await d.engine.flush();
}

describe('a chat state from a newer version', () => {
  it('is told apart from corruption', async () => {
    const good = encodeState(newState());
    const flagged = good.slice();
    flagged[flagged.length - 1] = 16;
    expect(() => decodeState(flagged)).toThrow(expect.objectContaining({ code: 'newer_state' }));
    expect(() => decodeState(new Uint8Array([0x63, 0x73, 3, ...good.subarray(3)]))).toThrow(expect.objectContaining({ code: 'newer_state' }));
    // Binary formats start at 2: a lower one, or a cut or padded state, is corrupt.
    expect(() => decodeState(new Uint8Array([0x63, 0x73, 1, ...good.subarray(3)]))).toThrow(expect.objectContaining({ code: 'bad_state' }));
    expect(() => decodeState(new Uint8Array([...flagged, 0]))).toThrow(expect.objectContaining({ code: 'bad_state' }));
  });

  it('keeps its envelopes (acknowledged) while the rest of the queue goes on, and hands them over once the state reads', async () => {
    const { relay, alice, bob, chatId } = await established();
    // A second chat with the same people, whose envelopes come after the first one's.
    const other = await secondChat(relay, alice, bob);

    await rewrite(bob, chatId, newerFlag(true));
    await expect(openState(bob.vault, chatId, (await bob.db.secretChats.get(chatId))!.box)).rejects.toMatchObject({ code: 'newer_state', chatId });
    await send(alice, chatId, 'one', 'two');
    await send(alice, other, 'elsewhere');
    await bob.engine.pull();
    expect(relay.peek('d-bob')).toBe(0); // acknowledged: the queue is not held up
    expect(await bob.db.parkedEnvelopes.count()).toBe(2);
    expect(await texts(bob, other)).toEqual(['elsewhere']);
    expect(await texts(bob, chatId)).toEqual([]);
    expect(await rejected(bob)).toEqual({});
    // The chat list and the chat say to update instead of failing.
    expect((await secretChatList(bob.db, bob.vault)).find((c) => c.id === chatId)).toMatchObject({ needsUpdate: true, preview: 'Update Cinder to open this chat' });
    expect(await secretChatView(bob.db, bob.vault, chatId)).toMatchObject({ id: chatId, status: 'active', needsUpdate: true });

    // This version pulls again: it leaves them be.
    await send(alice, chatId, 'three');
    await bob.engine.pull();
    expect(await bob.db.parkedEnvelopes.count()).toBe(3);

    // The updated app reads the state: the kept envelopes come first, in order, and are dropped.
    await rewrite(bob, chatId, newerFlag(false));
    await send(alice, chatId, 'four');
    await bob.engine.pull();
    expect(await texts(bob, chatId)).toEqual(['one', 'two', 'three', 'four']);
    expect(await bob.db.parkedEnvelopes.count()).toBe(0);
    expect((await secretChatView(bob.db, bob.vault, chatId)).needsUpdate).toBeUndefined();
    expect(await rejected(bob)).toEqual({});
  });

  it('keeps an envelope handled alone (an accept) that meets it, too', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    const bob = await device(relay, 'bob');
    const chatId = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(relay, bob);
    await rewrite(alice, chatId, newerFlag(true)); // the waiting chat, with its pending handshake
    await alice.engine.pull();
    expect(await alice.db.parkedEnvelopes.count()).toBe(1);
    expect((await alice.db.secretChats.get(chatId))!.status).toBe('waiting');
    await rewrite(alice, chatId, newerFlag(false));
    await alice.engine.pull();
    expect((await alice.db.secretChats.get(chatId))!.status).toBe('active');
    expect(await alice.db.parkedEnvelopes.count()).toBe(0);
  });

  it('can be deleted from this device (its keys, history and kept envelopes go; the peer cannot be told)', async () => {
    const { relay, alice, bob, chatId } = await established();
    await send(alice, chatId, 'before');
    await deliver(relay, bob);
    await rewrite(bob, chatId, newerFlag(true));
    await send(alice, chatId, 'kept');
    await bob.engine.pull();
    expect(await bob.db.parkedEnvelopes.count()).toBe(1);
    relay.take('d-alice');
    await bob.engine.deleteChat(chatId);
    await bob.engine.flush();
    expect(await bob.db.secretChats.get(chatId)).toBeUndefined();
    expect(await bob.db.secretMessages.count()).toBe(0);
    expect(await bob.db.parkedEnvelopes.count()).toBe(0);
    // No cancel can be sealed with a state this version cannot open: nothing goes to Alice.
    expect(relay.peek('d-alice')).toBe(0);
  });

  it('an account notice still ends the other chats with that device, and is kept for the one a newer version wrote', async () => {
    const { relay, alice, bob } = await established();
    await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(relay, bob);
    await deliver(relay, alice);
    await deliver(relay, bob);
    // The notice meets the chat a newer version wrote first.
    const [first, second] = (await bob.db.secretChats.where('peerId').equals('u-alice').toArray()).map((r) => r.id);
    await rewrite(bob, first!, newerFlag(true));
    const notice: Envelope = {
      seq: 5000,
      id: crypto.randomUUID(),
      fromDeviceId: 'd-alice',
      fromUserId: 'u-alice',
      body: '',
      createdAt: Date.now(),
      requestId: null,
      notice: 'account_deleted'
    };
    await bob.engine.receive([notice]);
    expect((await bob.db.secretChats.get(second!))!.status).toBe('cancelled');
    expect((await bob.db.parkedEnvelopes.toArray()).map((r) => [r.id, r.chatId])).toEqual([[notice.id, first]]);
    // Once the chat reads again, the kept notice ends it too.
    await rewrite(bob, first!, newerFlag(false));
    await bob.engine.pull();
    expect((await bob.db.secretChats.get(first!))!.status).toBe('cancelled');
    expect(await bob.db.parkedEnvelopes.count()).toBe(0);
  });

  it('an accept for another waiting chat with the same peer is not held up by it', async () => {
    const relay = new FakeRelay();
    const alice = await device(relay, 'alice');
    const bob = await device(relay, 'bob');
    const newer = await alice.engine.start('u-bob');
    const readable = await alice.engine.start('u-bob');
    await alice.engine.flush();
    await deliver(relay, bob); // Bob's device accepts both
    await rewrite(alice, newer, newerFlag(true));
    await alice.engine.pull();
    // Searching the waiting chats for the accept's target met the one it cannot read: it is skipped, not the accept's end.
    expect((await alice.db.secretChats.get(readable))!.status).toBe('active');
    expect((await alice.db.parkedEnvelopes.toArray()).map((r) => r.chatId)).toEqual([newer]);
    await rewrite(alice, newer, newerFlag(false));
    await alice.engine.pull();
    expect((await alice.db.secretChats.get(newer))!.status).toBe('active');
    expect(await alice.db.parkedEnvelopes.count()).toBe(0);
  });

  it('a post queued long ago for it stays queued (for the version that can seal it again), not failed', async () => {
    const { relay, alice, chatId } = await established({ relay: new FakeRelay([], true), sealed: true });
    relay.failSends = 1000; // the relay is down while it is sent
    await alice.engine.sendText(chatId, 'queued a while ago', null);
    await alice.engine.flush();
    relay.failSends = 0;
    const q = (await alice.db.sendQueue.toArray()).find((r) => r.messageIds.length);
    expect(q?.mailbox).toBeTruthy();
    // Its mailbox's epoch is long past: posting it means sealing it again, with the chat's state.
    await alice.db.sendQueue.put({ ...q!, epoch: q!.epoch! - 5 });
    await rewrite(alice, chatId, newerFlag(true));
    await alice.engine.flush();
    expect(await alice.db.sendQueue.get(q!.id)).toBeDefined();
    expect((await alice.db.secretMessages.get(q!.messageIds[0]!))!.status).toBe('pending');
  });

  it("keeps its read receipts for the newer version while the other chats' go out", async () => {
    const { relay, alice, bob, chatId } = await established();
    const other = await secondChat(relay, alice, bob);
    await send(alice, chatId, 'in the newer one');
    await send(alice, other, 'in the other one');
    await deliver(relay, bob);
    const unread = async (id: string) => (await secretMessages(bob.db, bob.vault, id, { limit: 50 })).messages.filter((m) => m.kind === 'text').map((m) => m.id);
    const [inNewer, inOther] = [await unread(chatId), await unread(other)];
    await rewrite(bob, chatId, newerFlag(true));
    // Read on this device (that needs no state); the newer chat's report cannot be sealed here.
    await bob.engine.markRead(chatId, inNewer);
    await bob.engine.markRead(other, inOther);
    await bob.engine.sendReceipts();
    await deliver(relay, alice);
    expect((await alice.db.secretMessages.get(inOther[0]!))!.status).toBe('read');
    expect((await alice.db.secretMessages.get(inNewer[0]!))!.status).not.toBe('read');
    // Kept for the version that reads the chat.
    expect(Object.keys(((await bob.db.meta.get('receiptsDue'))?.value ?? {}) as object)).toEqual([chatId]);
  });

  it('real corruption is rejected and acknowledged as before, nothing kept', async () => {
    const { relay, alice, bob, chatId } = await established();
    await rewrite(bob, chatId, (plain) => void (plain[2] = 1));
    await send(alice, chatId, 'lost');
    await bob.engine.pull();
    expect(relay.peek('d-bob')).toBe(0);
    expect(await bob.db.parkedEnvelopes.count()).toBe(0);
    expect((await rejected(bob)).bad_state).toBe(1);
  });
});

describe('taking parked envelopes', () => {
  const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const envelope = (seq: number): Envelope => ({ seq, id: uuid(seq), fromDeviceId: 'dev', fromUserId: 'bob', body: 'AAAA', createdAt: 1, requestId: null });
  let n = 0;

  it('drops only what the run handled and what was not parked again meanwhile; a run that stops short leaves the rest', async () => {
    const { db } = await unlockedStore(`parked-${n++}`);
    const chats = { ctx: { db }, load: async () => ({ state: newState() }) } as unknown as Chats;
    for (const seq of [3, 5, 7]) await db.parkedEnvelopes.put({ id: uuid(seq), seq, chatId: 'c', envelope: envelope(seq), at: Date.now(), token: 't' });
    const got: number[][] = [];
    const result = await takeParked(chats, async (envs) => {
      got.push(envs.map((e) => e.seq));
      // Another tab's older version meets seq 3 again and parks it anew.
      await db.parkedEnvelopes.put({ id: uuid(3), seq: 3, chatId: 'c', envelope: envelope(3), at: Date.now(), token: 'again' });
      return 5;
    });
    expect(got).toEqual([[3, 5, 7]]);
    expect(result).toEqual({ handled: 2, left: 1 });
    expect((await db.parkedEnvelopes.orderBy('seq').toArray()).map((r) => r.seq)).toEqual([3, 7]);
    db.close();
  });

  it('leaves those of a chat this version still cannot read', async () => {
    const { db } = await unlockedStore(`parked-${n++}`);
    const { NewerStateError } = await import('$lib/worker/secret/errors');
    const chats = {
      ctx: { db },
      load: async (id: string) => {
        if (id === 'newer') throw new NewerStateError(id, 'flags 16');
        return { state: newState() };
      }
    } as unknown as Chats;
    await db.parkedEnvelopes.put({ id: uuid(1), seq: 1, chatId: 'newer', envelope: envelope(1), at: Date.now(), token: 't' });
    await db.parkedEnvelopes.put({ id: uuid(2), seq: 2, chatId: 'readable', envelope: envelope(2), at: Date.now(), token: 't' });
    const got: number[][] = [];
    expect(await takeParked(chats, async (envs) => (got.push(envs.map((e) => e.seq)), 2))).toEqual({ handled: 1, left: 0 });
    expect(got).toEqual([[2]]);
    expect((await db.parkedEnvelopes.toArray()).map((r) => r.chatId)).toEqual(['newer']);
    db.close();
  });

  it('holds at most PARKED_MAX rows: past that a new envelope is rejected (parked_full), one parked again keeps its place', async () => {
    const { db } = await unlockedStore(`parked-${n++}`);
    const chats = { ctx: { db, emit: () => undefined } } as unknown as Chats;
    const now = Date.now();
    await db.parkedEnvelopes.bulkPut(
      Array.from({ length: PARKED_MAX - 1 }, (_, i) => ({ id: uuid(i + 1), seq: i + 1, chatId: 'c', envelope: envelope(i + 1), at: now, token: 't' }))
    );
    const next = PARKED_MAX + 10;
    await park(chats, 'c', [envelope(1), envelope(next), envelope(next + 1)]);
    expect(await db.parkedEnvelopes.count()).toBe(PARKED_MAX);
    expect((await db.parkedEnvelopes.get(uuid(1)))!.token).not.toBe('t'); // parked again: kept, with a new token
    expect(await db.parkedEnvelopes.get(uuid(next))).toBeDefined();
    expect(await db.parkedEnvelopes.get(uuid(next + 1))).toBeUndefined();
    expect(((await db.meta.get('diagnostics'))?.value as Diagnostics).byCode).toEqual({ parked_full: 1 });
    db.close();
  });

  it('drops rows older than PARKED_KEEP_MS, also of a chat this version cannot read', async () => {
    const { db } = await unlockedStore(`parked-${n++}`);
    const { NewerStateError } = await import('$lib/worker/secret/errors');
    const chats = {
      ctx: { db, emit: () => undefined },
      load: async (id: string) => {
        throw new NewerStateError(id, 'flags 16');
      }
    } as unknown as Chats;
    const now = Date.now();
    await db.parkedEnvelopes.put({ id: uuid(1), seq: 1, chatId: 'newer', envelope: envelope(1), at: now - PARKED_KEEP_MS - 1000, token: 't' });
    await db.parkedEnvelopes.put({ id: uuid(2), seq: 2, chatId: 'newer', envelope: envelope(2), at: now - 1000, token: 't' });
    expect(await takeParked(chats, async () => 0)).toEqual({ handled: 0, left: 0 });
    expect((await db.parkedEnvelopes.toArray()).map((r) => r.seq)).toEqual([2]);
    // Parking drops them too (an old tab that never takes any).
    await db.parkedEnvelopes.put({ id: uuid(3), seq: 3, chatId: 'newer', envelope: envelope(3), at: now - PARKED_KEEP_MS - 1000, token: 't' });
    await park(chats, 'newer', [envelope(4)]);
    expect((await db.parkedEnvelopes.orderBy('seq').toArray()).map((r) => r.seq)).toEqual([2, 4]);
    db.close();
  });
});
