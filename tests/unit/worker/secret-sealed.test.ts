/**
 * Sealed addressing (protocol 2) end to end: two SecretEngines on a real relay (SQLite store) over
 * HTTP. A version-2 chat's envelopes after the handshake reach the relay without a sender; version-1
 * devices and chats keep version-1 addressing; the mailboxes follow the UTC day and end with the chat.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EPOCH_MS } from '$lib/crypto';
import { NetError } from '$lib/worker/net';
import { secretMessages } from '$lib/worker/secret';
import type { Diagnostics } from '$lib/worker/secret/errors';
import { MAILBOX_KEEP_MS } from '$lib/worker/secret/mailboxes';
import { startServer, type TestServer } from '../server/helpers';
import { handshake, realDevice, sync, type RealDevice } from '../support/real-relay';

let ts: TestServer;
beforeEach(async () => {
  ts = await startServer();
});
afterEach(async () => {
  const errors = ts.logs.filter((l) => /"level":"(error|warn)"/.test(l));
  if (errors.length) console.log(errors.slice(-5).join('\n'));
  vi.restoreAllMocks();
  await ts.close();
});

interface EnvelopeRow {
  id: string;
  to_device_id: string;
  from_device_id: string | null;
  from_user_id: string | null;
  mailbox: string | null;
  request_id: string | null;
}
/** What the relay holds for a device right now (before it pulls and acknowledges). */
const queued = (d: RealDevice) =>
  ts.store.db
    .prepare('SELECT id, to_device_id, from_device_id, from_user_id, mailbox, request_id FROM envelopes WHERE to_device_id = ? ORDER BY seq')
    .all(d.deviceId) as EnvelopeRow[];
const relayMailboxes = (d: RealDevice) =>
  (ts.store.db.prepare('SELECT id FROM mailboxes WHERE device_id = ?').all(d.deviceId) as { id: string }[]).map((r) => r.id).sort();
const localMailboxes = async (d: RealDevice) => (await d.db.mailboxes.toArray()).map((m) => m.id).sort();

async function shown(d: RealDevice, chatId: string): Promise<string[]> {
  const { messages } = await secretMessages(d.db, d.vault, chatId, { limit: 200 });
  return messages.filter((m) => m.kind === 'text').map((m) => m.text);
}

/** A device that told the relay it speaks protocol 2 (as the app does at start). */
async function v2(name: string) {
  const d = await realDevice(ts, name);
  await d.engine.maintain();
  return d;
}

const realNow = Date.now.bind(Date);
/** Sets every clock (the engines' and the relay's: both read Date.now) `days` ahead of real time. */
function travel(days: number) {
  const real = realNow;
  const shift = days * EPOCH_MS;
  vi.spyOn(Date, 'now').mockImplementation(() => real() + shift);
}

/** Waits until `check` holds (the relay calls that follow a commit are not awaited by it). */
async function until(check: () => boolean | Promise<boolean>, what: string) {
  // Generous: a loaded machine is slow, and a condition met early returns at once.
  for (const end = Date.now() + 20_000; Date.now() < end;) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const posts = (d: RealDevice, path: string) => d.relay.calls.filter((c) => c === `POST ${path}`).length;

describe('sealed addressing between two protocol-2 devices', () => {
  it('posts every envelope after the handshake anonymously: the relay rows name no sender, only a mailbox', async () => {
    const alice = await v2('alice');
    const bob = await v2('bob');
    const listed = await alice.relay.devices(bob.userId);
    expect(listed.map((d) => d.protocol)).toEqual([2]);

    const chatId = await handshake(alice, bob);
    // The handshake itself is addressed (the request and the accept); nothing else is.
    expect(posts(alice, '/api/envelopes')).toBe(1);
    expect(posts(bob, '/api/envelopes')).toBe(1);
    // Each side registered its receive mailboxes for e-1 … e+2, and knows them locally.
    expect(relayMailboxes(alice)).toHaveLength(4);
    expect(relayMailboxes(bob)).toHaveLength(4);
    expect(await localMailboxes(alice)).toEqual(relayMailboxes(alice));
    expect(await localMailboxes(bob)).toEqual(relayMailboxes(bob));

    for (let i = 0; i < 3; i++) await alice.engine.sendText(chatId, `a${i}`, null);
    await alice.engine.flush();
    const rows = queued(bob);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const r of rows) {
      expect(r.from_device_id).toBeNull();
      expect(r.from_user_id).toBeNull();
      expect(relayMailboxes(bob)).toContain(r.mailbox);
    }
    // Nothing in the relay's store names Alice for them (her id appears only in her own rows).
    const dump = JSON.stringify(ts.store.db.prepare('SELECT * FROM envelopes WHERE to_device_id = ?').all(bob.deviceId));
    expect(dump).not.toContain(alice.deviceId);
    expect(dump).not.toContain(alice.userId);

    await sync(bob);
    await bob.engine.sendText(chatId, 'b0', null);
    await bob.engine.flush();
    expect(queued(alice).every((r) => r.from_device_id === null && r.mailbox !== null)).toBe(true);
    await sync(alice);
    await sync(bob);
    expect(await shown(bob, chatId)).toEqual(['a0', 'a1', 'a2', 'b0']);
    expect(await shown(alice, chatId)).toEqual(['a0', 'a1', 'a2', 'b0']);
    expect(posts(alice, '/api/envelopes')).toBe(1);
    expect(posts(bob, '/api/envelopes')).toBe(1);
    expect(posts(alice, '/api/sealed')).toBeGreaterThanOrEqual(4);
    // Everything was delivered and acknowledged.
    expect(queued(alice)).toEqual([]);
    expect(queued(bob)).toEqual([]);
  });

  it('sends a file through the mailbox: an anonymous upload the peer downloads', async () => {
    const alice = await v2('alice');
    const bob = await v2('bob');
    const chatId = await handshake(alice, bob);
    const bytes = new TextEncoder().encode('a photo, more or less');
    const id = await alice.engine.sendFile(chatId, 'p.jpg', 'image/jpeg', bytes, 'look', {});
    expect(alice.relay.calls).toContain('POST /api/blobs (sealed)');
    expect(alice.relay.calls).not.toContain('POST /api/blobs');
    const blobs = ts.store.db.prepare('SELECT owner_device_id, owner_user_id, to_device_id FROM blobs').all();
    expect(blobs).toEqual([{ owner_device_id: null, owner_user_id: null, to_device_id: bob.deviceId }]);
    await alice.engine.flush();
    await sync(bob);
    const got = await bob.engine.media(id);
    expect(new TextDecoder().decode(got.bytes)).toBe('a photo, more or less');
  });

  it('keeps delivering across UTC days: later epochs, a post queued for days sealed again, a mailbox not there yet', async () => {
    const alice = await v2('alice');
    const bob = await v2('bob');
    const chatId = await handshake(alice, bob);

    // A day later: both post to the next epoch's mailboxes (registered ahead).
    travel(1);
    await alice.engine.sendText(chatId, 'day 1', null);
    await alice.engine.flush();
    await sync(bob);
    await bob.engine.sendText(chatId, 'day 1 back', null);
    await bob.engine.flush();
    await sync(alice);
    expect(await shown(bob, chatId)).toEqual(['day 1', 'day 1 back']);
    expect(await shown(alice, chatId)).toEqual(['day 1', 'day 1 back']);

    // Alice's message is queued while the relay is out of reach; she posts it two days later, when
    // the mailbox it was sealed for has expired: it is sealed again for that day's mailbox.
    const sealedPost = alice.relay.sendSealed;
    alice.relay.sendSealed = async () => {
      throw new NetError('offline', 'no network');
    };
    await alice.engine.sendText(chatId, 'queued on day 1', null);
    await alice.engine.flush();
    const [before] = await alice.db.sendQueue.toArray();
    expect(before.epoch).toBe(Math.floor(Date.now() / EPOCH_MS));
    alice.relay.sendSealed = sealedPost;
    travel(3);
    await sync(bob); // Bob's device registers the coming days (its last refresh is two days old)
    await alice.engine.flush();
    expect(await alice.db.sendQueue.count()).toBe(0);
    const [resealed] = queued(bob);
    expect(resealed.id).toBe(before.id);
    expect((await bob.db.mailboxes.get(resealed.mailbox!))?.epoch).toBe(Math.floor(Date.now() / EPOCH_MS));
    await sync(bob);
    expect(await shown(bob, chatId)).toEqual(['day 1', 'day 1 back', 'queued on day 1']);

    // Four days on Bob has not been online: his mailboxes for today do not exist yet. Alice's post
    // waits (it is not failed) and goes once Bob's device registered them.
    travel(7);
    await alice.engine.sendText(chatId, 'day 7', null);
    await alice.engine.flush();
    expect(await alice.db.sendQueue.count()).toBe(1);
    const pending = (await alice.db.secretMessages.toArray()).find((m) => m.status === 'failed');
    expect(pending).toBeUndefined();
    await sync(bob);
    await alice.engine.flush();
    expect(await alice.db.sendQueue.count()).toBe(0);
    await sync(bob);
    expect(await shown(bob, chatId)).toEqual(['day 1', 'day 1 back', 'queued on day 1', 'day 7']);
    // Old mailboxes are forgotten locally once the relay can hold no envelope for them (secret-sealed-mailboxes.test.ts).
    const now = Date.now();
    expect((await bob.db.mailboxes.toArray()).every((m) => m.expiresAt + MAILBOX_KEEP_MS > now)).toBe(true);
  });

  it('drops the mailboxes when the chat ends, on both sides, here and at the relay', async () => {
    const alice = await v2('alice');
    const bob = await v2('bob');
    const chatId = await handshake(alice, bob);
    expect(relayMailboxes(alice)).toHaveLength(4);
    await alice.engine.deleteChat(chatId);
    await alice.engine.flush();
    expect(await localMailboxes(alice)).toEqual([]);
    await until(() => relayMailboxes(alice).length === 0, "Alice's mailboxes dropped at the relay");
    await sync(bob);
    expect((await bob.db.secretChats.get(chatId))?.status).toBe('cancelled');
    expect(await localMailboxes(bob)).toEqual([]);
    await until(() => relayMailboxes(bob).length === 0, "Bob's mailboxes dropped at the relay");
  });

  it('registers the mailboxes of every chat again at start, in one call', async () => {
    const alice = await v2('alice');
    const bob = await v2('bob');
    const first = await handshake(alice, bob);
    const second = await handshake(bob, alice);
    expect(relayMailboxes(alice)).toHaveLength(8);
    // The relay lost them (say, restored from a backup): the engine's start registers them again.
    ts.store.db.prepare('DELETE FROM mailboxes').run();
    alice.relay.calls.length = 0;
    await alice.engine.maintain();
    expect(posts(alice, '/api/mailboxes')).toBe(1);
    expect(relayMailboxes(alice)).toHaveLength(8);
    expect(new Set((await alice.db.mailboxes.toArray()).map((m) => m.chatId))).toEqual(new Set([first, second]));
  });

  it('rejects and acknowledges a sealed envelope for a mailbox this device does not know', async () => {
    const alice = await v2('alice');
    const bob = await v2('bob');
    const chatId = await handshake(alice, bob);
    await bob.db.mailboxes.clear(); // as if dropped here but still registered at the relay
    await alice.engine.sendText(chatId, 'lost', null);
    await alice.engine.flush();
    expect(queued(bob)).toHaveLength(1);
    await sync(bob);
    const d = (await bob.db.meta.get('diagnostics'))?.value as Diagnostics;
    expect(d.byCode.unknown_chat).toBe(1);
    expect(queued(bob)).toEqual([]);
    expect(await shown(bob, chatId)).toEqual([]);
  });
});

describe('version 1 beside version 2', () => {
  it('a protocol-2 device and a protocol-1 device make a version-1 chat that works, addressed as before', async () => {
    const alice = await v2('alice');
    const bob = await realDevice(ts, 'bob', { protocol1: true });
    await bob.engine.maintain();
    expect((await alice.relay.devices(bob.userId)).map((d) => d.protocol)).toEqual([1]);
    const chatId = await handshake(alice, bob);
    await alice.engine.sendText(chatId, 'hi old device', null);
    await alice.engine.flush();
    expect(queued(bob).map((r) => [r.from_device_id, r.mailbox])).toEqual([[alice.deviceId, null]]);
    await sync(bob);
    await bob.engine.sendText(chatId, 'hi', null);
    await bob.engine.flush();
    expect(queued(alice).every((r) => r.from_device_id === bob.deviceId && r.mailbox === null)).toBe(true);
    await sync(alice);
    expect(await shown(alice, chatId)).toEqual(['hi old device', 'hi']);
    expect(posts(alice, '/api/sealed') + posts(bob, '/api/sealed')).toBe(0);
    expect(relayMailboxes(alice)).toEqual([]);
    expect(relayMailboxes(bob)).toEqual([]);
  });

  it('a chat made before both devices spoke protocol 2 stays version 1 and keeps working; a new chat is version 2', async () => {
    const alice = await realDevice(ts, 'alice', { protocol1: true });
    const bob = await realDevice(ts, 'bob', { protocol1: true });
    const old = await handshake(alice, bob);
    // Both devices update: they tell the relay they speak protocol 2.
    alice.relay.protocol1 = false;
    bob.relay.protocol1 = false;
    await alice.db.meta.delete('protocol');
    await bob.db.meta.delete('protocol');
    await alice.engine.maintain();
    await bob.engine.maintain();
    expect((await alice.relay.devices(bob.userId)).map((d) => d.protocol)).toEqual([2]);

    await alice.engine.sendText(old, 'still v1', null);
    await alice.engine.flush();
    expect(queued(bob).map((r) => r.from_device_id)).toEqual([alice.deviceId]);
    await sync(bob);
    await bob.engine.sendText(old, 'yes', null);
    await bob.engine.flush();
    await sync(alice);
    expect(await shown(alice, old)).toEqual(['still v1', 'yes']);
    expect(relayMailboxes(alice)).toEqual([]);

    const fresh = await handshake(alice, bob);
    await alice.engine.sendText(fresh, 'sealed now', null);
    await alice.engine.flush();
    expect(queued(bob).map((r) => r.from_device_id)).toEqual([null]);
    await sync(bob);
    expect(await shown(bob, fresh)).toEqual(['sealed now']);
    expect(relayMailboxes(alice)).toHaveLength(4);
  });
});
