/**
 * Receive mailboxes against a real relay (SQLite store) over HTTP, in the cases that go wrong over
 * days: a chat peer that registers one of this device's future mailbox ids first (only that chat may
 * suffer, not the device's others), and a device offline for days (envelopes the relay still holds
 * must still find their mailbox here).
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toB64u } from '$lib/api/b64';
import { EPOCH_MS, epochOf } from '$lib/crypto';
import { secretMessages } from '$lib/worker/secret';
import type { Diagnostics } from '$lib/worker/secret/errors';
import { MAILBOX_KEEP_MS } from '$lib/worker/secret/mailboxes';
import { readSession } from '$lib/worker/secret/ratchet';
import { sendKeys, wipeKeys } from '$lib/worker/secret/sealed';
import { openState, wipeState } from '$lib/worker/secret/stored';
import { startServer, type TestServer } from '../server/helpers';
import { handshake, realDevice, sync, type RealDevice } from '../support/real-relay';

let ts: TestServer;
beforeEach(async () => {
  ts = await startServer();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await ts.close();
});

async function v2(name: string) {
  const d = await realDevice(ts, name);
  await d.engine.maintain();
  return d;
}

async function shown(d: RealDevice, chatId: string): Promise<string[]> {
  const { messages } = await secretMessages(d.db, d.vault, chatId, { limit: 200 });
  return messages.filter((m) => m.kind === 'text').map((m) => m.text);
}

const diagnostics = async (d: RealDevice) => (await d.db.meta.get('diagnostics'))?.value as Diagnostics | undefined;
const relayOwner = (id: string) => (ts.store.db.prepare('SELECT device_id FROM mailboxes WHERE id = ?').get(id) as { device_id: string } | undefined)?.device_id;

const realNow = Date.now.bind(Date);
/** Sets every clock (the engines' and the relay's: both read Date.now) `days` ahead of real time. */
const travel = (days: number) => vi.spyOn(Date, 'now').mockImplementation(() => realNow() + days * EPOCH_MS);
/** Sets every clock to `at`, running on from there. */
function travelTo(at: number) {
  const shift = at - realNow();
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() + shift);
}

/** The peer's mailbox of `epoch` in `chatId`, as `d` derives it from its send seed (id and cap, b64url). */
async function peerMailbox(d: RealDevice, chatId: string, epoch: number) {
  const row = (await d.db.secretChats.get(chatId))!;
  const { state } = await openState(d.vault, chatId, row.box);
  try {
    return readSession(state.session!, (session) => {
      const keys = sendKeys(session, epoch * EPOCH_MS)!;
      const out = { id: toB64u(keys.mailbox), cap: toB64u(keys.cap) };
      wipeKeys(keys);
      return out;
    });
  } finally {
    wipeState(state);
  }
}

describe('receive mailboxes over days', () => {
  it('a peer that registers one of this device’s future mailbox ids first keeps out only that one: other chats still receive', async () => {
    const alice = await v2('alice');
    const bob = await v2('bob');
    const carol = await v2('carol');
    const withBob = await handshake(alice, bob);
    const withCarol = await handshake(alice, carol);
    const e = epochOf(Date.now());
    // Bob derives Alice's mailbox of day e+3 in their chat and takes it at the relay until day e+4 begins.
    const squat = await peerMailbox(bob, withBob, e + 3);
    expect(await bob.relay.registerMailboxes([{ ...squat, expiresAt: (e + 4) * EPOCH_MS + 60_000 }])).toEqual([]);

    // Over the next days Alice's device registers the coming days of both chats, in one call each time.
    travel(1);
    await sync(alice);
    travel(3);
    await sync(alice);
    await carol.engine.sendText(withCarol, 'day 3 from Carol', null);
    await carol.engine.flush();
    expect(await carol.db.sendQueue.count()).toBe(0);
    await sync(alice);
    expect(await shown(alice, withCarol)).toEqual(['day 3 from Carol']);

    // Bob's chat lost that one day only: its other days are registered, here and at the relay.
    const epochs = (await alice.db.mailboxes.where('chatId').equals(withBob).toArray()).map((m) => m.epoch).sort();
    expect(epochs).toContain(e + 4);
    expect(epochs).toContain(e + 5);
    expect(epochs).not.toContain(e + 3);
    expect(relayOwner(squat.id)).toBe(bob.deviceId);
    // Not silent: shown in the diagnostics, but not as a rejected envelope.
    const d = await diagnostics(alice);
    expect(d?.byCode.mailbox_taken).toBeGreaterThanOrEqual(1);
    expect(d?.rejected ?? 0).toBe(0);

    // Once Bob's registration has lapsed, Alice's device takes the mailbox at its next refresh (here: a restart).
    travelTo((e + 4) * EPOCH_MS + 120_000);
    await alice.engine.maintain();
    expect(relayOwner(squat.id)).toBe(alice.deviceId);
    expect((await alice.db.mailboxes.get(squat.id))?.epoch).toBe(e + 3);
  });

  it('keeps a mailbox here while the relay may still hold envelopes posted to it, then forgets it', async () => {
    const alice = await v2('alice');
    const bob = await v2('bob');
    const chatId = await handshake(alice, bob);
    const e = epochOf(Date.now());
    await alice.engine.sendText(chatId, 'sent on day 0', null);
    await alice.engine.flush();
    // Bob's device is off for six days (the relay keeps envelopes seven); its mailbox of day 0 expired there on day 2.
    travel(6);
    await sync(bob);
    expect(await shown(bob, chatId)).toEqual(['sent on day 0']);
    expect((await diagnostics(bob))?.rejected ?? 0).toBe(0);
    expect((await bob.db.mailboxes.toArray()).some((m) => m.epoch === e)).toBe(true);

    // Past the envelope lifetime (and the margin) it is gone here too; the current days are kept.
    travel(11);
    await sync(bob);
    const now = Date.now();
    const rows = await bob.db.mailboxes.toArray();
    expect(rows.every((m) => m.expiresAt + MAILBOX_KEEP_MS > now)).toBe(true);
    expect(rows.some((m) => m.epoch === e)).toBe(false);
    expect(rows.some((m) => m.epoch === epochOf(now))).toBe(true);
  });
});
