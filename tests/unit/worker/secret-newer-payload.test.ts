// A message from a peer on a newer Cinder (a kind or a shape this version does not know) becomes a
// placeholder in the chat, unread, deletable and burning on the chat's timer; what is malformed, or a
// control payload this version does not understand, stays rejected as before.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Diagnostics } from '$lib/worker/secret';
import { secretChatList, secretMessages } from '$lib/worker/secret';
import type { SecretBody } from '$lib/worker/secret/payload';
import { secretMsgPlace } from '$lib/worker/secret/state';
import { RAW_MAX, unsupportedPayload } from '$lib/worker/secret/unsupported';
import { deliver, secretPair, type SecretDevice } from '../support/secret-pair';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const ID = '00000000-0000-4000-8000-000000000001';
const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const { established } = secretPair('newer-payload');

describe('which refused payloads become a placeholder', () => {
  it('an unknown kind with a message id, and a text in a shape this version does not know', () => {
    const poll = { k: 'poll', id: ID, at: 1, question: 'Lunch?', options: ['yes', 'no'] };
    expect(unsupportedPayload(bytes(poll))).toEqual({ id: ID, ttl: null, raw: JSON.stringify(poll) });
    // A timer this version lacks (two weeks): the longest it has that is not longer, so it burns no later.
    expect(unsupportedPayload(bytes({ k: 'text', id: ID, text: 'x', replyTo: null, ttl: 1209600, at: 1 }))?.ttl).toBe(604800);
    expect(unsupportedPayload(bytes({ k: 'sticker', id: ID, ttl: 45 }))?.ttl).toBe(30);
    expect(unsupportedPayload(bytes({ k: 'sticker', id: ID, ttl: 0.5 }))?.ttl).toBe(1);
    expect(unsupportedPayload(bytes({ k: 'sticker', id: ID, ttl: 0 }))?.ttl).toBe(0);
    expect(unsupportedPayload(bytes({ k: 'sticker', id: ID, ttl: -3 }))?.ttl).toBeNull();
    // A longer text than this version allows.
    expect(unsupportedPayload(bytes({ k: 'text', id: ID, text: 'x'.repeat(5000), replyTo: null, ttl: 0, at: 1 }))?.id).toBe(ID);
  });

  it('stays rejected: not JSON, not an object, no id or not a UUID, no kind, oversized, a known control kind', () => {
    expect(unsupportedPayload(bytes('{not json'))).toBeNull();
    expect(unsupportedPayload(new Uint8Array([0x7b, 0xff, 0x7d]))).toBeNull();
    expect(unsupportedPayload(bytes([{ k: 'poll', id: ID }]))).toBeNull();
    expect(unsupportedPayload(bytes({ k: 'poll' }))).toBeNull();
    expect(unsupportedPayload(bytes({ k: 'poll', id: 'not-a-uuid' }))).toBeNull();
    expect(unsupportedPayload(bytes({ id: ID }))).toBeNull();
    expect(unsupportedPayload(bytes({ k: '', id: ID }))).toBeNull();
    expect(unsupportedPayload(bytes({ k: 'x'.repeat(65), id: ID }))).toBeNull();
    expect(unsupportedPayload(bytes({ k: 'poll', id: ID, pad: 'x'.repeat(RAW_MAX) }))).toBeNull();
    // Half-understood controls must neither act nor pose as a message.
    expect(unsupportedPayload(bytes({ k: 'ttl', id: ID, seconds: 1209600, at: 1 }))).toBeNull();
    expect(unsupportedPayload(bytes({ k: 'screenshot', id: ID, at: 'now' }))).toBeNull();
    expect(unsupportedPayload(bytes({ k: 'delete', id: ID, ids: [] }))).toBeNull();
    expect(unsupportedPayload(bytes({ k: 'read', id: ID, ids: ['x'], at: 1 }))).toBeNull();
  });
});

/** While `fn` runs, a text Alice's engine sends as `marker` leaves as `replace(payload)` instead (a newer app's payload). */
async function sendingAs(replace: (p: Record<string, unknown>) => unknown, marker: string, fn: () => Promise<void>) {
  const stringify = JSON.stringify;
  const spy = vi.spyOn(JSON, 'stringify').mockImplementation((v: unknown, ...rest: unknown[]) => {
    const p = v as Record<string, unknown> | null;
    const out = p && typeof p === 'object' && p.k === 'text' && p.text === marker ? replace(p) : v;
    return (stringify as (...a: unknown[]) => string)(out, ...rest);
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
}

const diagnostics = async (d: SecretDevice): Promise<Pick<Diagnostics, 'rejected' | 'byCode'>> =>
  ((await d.db.meta.get('diagnostics'))?.value as Diagnostics | undefined) ?? { rejected: 0, byCode: {} };

describe('a message from a newer version in a secret chat', () => {
  afterEach(() => vi.restoreAllMocks());

  it('shows as an unread placeholder from the peer, with its payload sealed for a later version; it can be deleted', async () => {
    const { relay, alice, bob, chatId } = await established();
    let poll: unknown;
    await sendingAs(
      (p) => (poll = { k: 'poll', id: p.id, at: p.at, question: 'Lunch?' }),
      'lunch',
      async () => {
        await alice.engine.sendText(chatId, 'lunch', null);
        await alice.engine.flush();
      }
    );
    await deliver(relay, bob);

    const { messages } = await secretMessages(bob.db, bob.vault, chatId, { limit: 50 });
    const m = messages.at(-1)!;
    expect(m).toMatchObject({ kind: 'unsupported', mine: false, text: '', file: null, ttl: 0 });
    expect(m.id).toBe((poll as { id: string }).id);
    const row = (await bob.db.secretMessages.get(m.id))!;
    expect(row.unread).toBe(1);
    const body = await bob.vault.open<SecretBody>(secretMsgPlace(m.id), row.box);
    expect(JSON.parse(body.raw!)).toEqual(poll);
    const listed = (await secretChatList(bob.db, bob.vault)).find((c) => c.id === chatId)!;
    expect(listed).toMatchObject({ unread: 1, preview: 'Unsupported message', previewMine: false });
    expect((await diagnostics(bob)).rejected).toBe(0);

    await bob.engine.deleteForMe(chatId, [m.id]);
    expect(await bob.db.secretMessages.get(m.id)).toBeUndefined();
  });

  it('burns on the chat timer when it names none of its own, once read', async () => {
    const { relay, alice, bob, chatId } = await established();
    await alice.engine.setTimer(chatId, 30);
    await alice.engine.flush();
    await deliver(relay, bob);
    await sendingAs(
      (p) => ({ k: 'sticker', id: p.id, at: p.at }),
      'wave',
      async () => {
        await alice.engine.sendText(chatId, 'wave', null);
        await alice.engine.flush();
      }
    );
    await deliver(relay, bob);
    const m = (await secretMessages(bob.db, bob.vault, chatId, { limit: 50 })).messages.at(-1)!;
    expect(m).toMatchObject({ kind: 'unsupported', ttl: 30, deadline: null });
    const before = Date.now();
    await bob.engine.markRead(chatId, [m.id]);
    const row = (await bob.db.secretMessages.get(m.id))!;
    expect(row.unread).toBeUndefined();
    expect(row.deadline).toBeGreaterThanOrEqual(before + 30_000);
  });

  it('a payload without a message id is still rejected and shows nothing', async () => {
    const { relay, alice, bob, chatId } = await established();
    const count = await bob.db.secretMessages.count();
    await sendingAs(
      () => ({ k: 'poll', question: 'Lunch?' }),
      'lunch',
      async () => {
        await alice.engine.sendText(chatId, 'lunch', null);
        await alice.engine.flush();
      }
    );
    await deliver(relay, bob);
    expect(await bob.db.secretMessages.count()).toBe(count);
    expect((await diagnostics(bob)).byCode.bad_payload).toBe(1);
  });
});
