// Replies' quotes and "Delete for me": the secret payload and the cloud wire accept a quote only with
// the message it quotes, old messages without one still parse, and the quote reaches the reader with
// the right author; a message deleted for me leaves the peer's copy and does not come back.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { CloudMessage, PublicUser, Update } from '$lib/api/wire';
import { CloudMessage as CloudMessageSchema, SendCloudReq } from '$lib/api/wire';
import { messageView } from '$lib/worker/cloud';
import { applyUpdates } from '$lib/worker/cloud-sync';
import { hiddenIds, hideMessages } from '$lib/worker/hidden';
import { cloudHandlers } from '$lib/worker/rpc/cloud';
import { quoteView } from '$lib/worker/protocol';
import { secretMessages } from '$lib/worker/secret';
import { secretRows } from '$lib/worker/secret/views';
import { decodePayload, encodePayload, SecretPayload } from '$lib/worker/secret/payload';
import { deliver, secretPair, type SecretDevice } from '../support/secret-pair';
import { unlockedStore } from '../support/store';

vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));

const ID = '00000000-0000-4000-8000-000000000001';
const ORIGINAL = '00000000-0000-4000-8000-000000000002';
const text = { k: 'text', id: ID, text: 'yes', replyTo: ORIGINAL, ttl: 0, at: 1 };
const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('secret payload quote', () => {
  it('accepts a reply with its quote and keeps it through encode/decode', () => {
    const p = SecretPayload.parse({ ...text, quote: { snippet: 'are you coming?', from: 'recipient' } });
    expect(decodePayload(encodePayload(p))).toEqual(p);
  });

  it('still parses an older message without a quote (and a reply without one)', () => {
    const old = { k: 'text', id: ID, text: 'hi', replyTo: null, ttl: 0, at: 1 };
    expect(decodePayload(bytes(old))).toEqual(old);
    expect(decodePayload(bytes(text))).toEqual(text);
  });

  it('rejects a quote without replyTo, a multi-line or too long snippet, an unknown author', () => {
    expect(decodePayload(bytes({ ...text, replyTo: null, quote: { snippet: 'x', from: 'sender' } }))).toBeNull();
    expect(decodePayload(bytes({ ...text, quote: { snippet: 'a\nb', from: 'sender' } }))).toBeNull();
    expect(decodePayload(bytes({ ...text, quote: { snippet: 'x'.repeat(121), from: 'sender' } }))).toBeNull();
    expect(decodePayload(bytes({ ...text, quote: { snippet: '', from: 'sender' } }))).toBeNull();
    expect(decodePayload(bytes({ ...text, quote: { snippet: 'x', from: 'someone' } }))).toBeNull();
    expect(decodePayload(bytes({ ...text, quote: 'x' }))).toBeNull();
  });
});

describe('cloud wire quote', () => {
  const req = { id: ID, toUserId: 'bob', text: 'yes', replyTo: ORIGINAL };
  it('accepts a send with a quote and one without; refuses a quote without replyTo or a bad one', () => {
    expect(SendCloudReq.safeParse({ ...req, quote: { snippet: 'coming?', from: 'recipient' } }).success).toBe(true);
    expect(SendCloudReq.safeParse(req).success).toBe(true);
    expect(SendCloudReq.safeParse({ ...req, replyTo: null, quote: { snippet: 'coming?', from: 'recipient' } }).success).toBe(false);
    expect(SendCloudReq.safeParse({ ...req, quote: { snippet: 'a\u0000', from: 'sender' } }).success).toBe(false);
  });

  it('parses a stored message from before quotes', () => {
    const old = { id: ID, peerId: 'bob', seq: 1, senderId: 'bob', senderDeviceId: 'd', text: 'hi', replyTo: null, createdAt: 1 };
    expect(CloudMessageSchema.parse(old)).toEqual(old);
  });

  it('names the original’s author from the reader’s side', () => {
    // Bob replies to his own message: for me (the reader) the original is not mine.
    expect(quoteView(ORIGINAL, { snippet: 's', from: 'sender' }, false)).toEqual({ id: ORIGINAL, snippet: 's', mine: false });
    // Bob replies to my message.
    expect(quoteView(ORIGINAL, { snippet: 's', from: 'recipient' }, false)?.mine).toBe(true);
    // I reply to my own message, and to Bob's.
    expect(quoteView(ORIGINAL, { snippet: 's', from: 'sender' }, true)?.mine).toBe(true);
    expect(quoteView(ORIGINAL, { snippet: 's', from: 'recipient' }, true)?.mine).toBe(false);
    expect(quoteView(null, { snippet: 's', from: 'sender' }, true)).toBeNull();
    expect(quoteView(ORIGINAL, undefined, true)).toBeNull();
  });
});

let dbs = 0;
const { established } = secretPair('reply-quote');

describe('secret chat replies and delete for me', () => {
  it('carries the quote inside the encryption, and deletes for me without telling the peer', async () => {
    const { relay, alice, bob, chatId } = await established();

    const question = await bob.engine.sendText(chatId, 'lunch?', null);
    await bob.engine.flush();
    await deliver(relay, alice);
    const answer = await alice.engine.sendText(chatId, 'yes!', question, null, { snippet: 'lunch?', from: 'recipient' });
    await alice.engine.flush();
    await deliver(relay, bob);

    const onBob = (await secretMessages(bob.db, bob.vault, chatId, { limit: 50 })).messages.find((m) => m.id === answer);
    expect(onBob?.quote).toEqual({ id: question, snippet: 'lunch?', mine: true });
    const onAlice = (await secretMessages(alice.db, alice.vault, chatId, { limit: 50 })).messages.find((m) => m.id === answer);
    expect(onAlice?.quote).toEqual({ id: question, snippet: 'lunch?', mine: false });

    // Bob quotes his own question as if Alice had written it: Alice's screen names the real author.
    const misquote = await bob.engine.sendText(chatId, 'you said so', question, null, { snippet: 'lunch?', from: 'recipient' });
    await bob.engine.flush();
    await deliver(relay, alice);
    const misquoted = (await secretMessages(alice.db, alice.vault, chatId, { limit: 50 })).messages.find((m) => m.id === misquote);
    expect(misquoted?.quote).toEqual({ id: question, snippet: 'lunch?', mine: false });

    await alice.engine.deleteForMe(chatId, [question]);
    await alice.engine.flush();
    await deliver(relay, bob);
    expect(await alice.db.secretMessages.get(question)).toBeUndefined();
    expect(await bob.db.secretMessages.get(question)).toBeDefined();
    // The original gone here: its reply no longer shows the snippet.
    const after = (await secretMessages(alice.db, alice.vault, chatId, { limit: 50 })).messages.find((m) => m.id === answer);
    expect(after?.quote).toEqual({ id: question, snippet: 'Deleted message', mine: false, gone: true });
    // An id of no message in this chat is ignored.
    await alice.engine.deleteForMe(chatId, [ORIGINAL]);
    expect(await alice.db.secretMessages.get(answer)).toBeDefined();
  });
});

describe('a quote of an original on this device', () => {
  const quoteOn = async (d: SecretDevice, chatId: string, id: string) =>
    (await secretMessages(d.db, d.vault, chatId, { limit: 50 })).messages.find((m) => m.id === id)?.quote;
  const lie = { snippet: 'I owe you $1000', from: 'recipient' } as const;

  it('shows the stored original’s own snippet in a secret chat, not the words the peer sent', async () => {
    const { relay, alice, bob, chatId } = await established();
    const said = await alice.engine.sendText(chatId, 'see you at 5\nbring cake', null);
    const file = { blobId: 'blob1', key: 'k'.repeat(43), name: 'contract.pdf', mime: 'application/pdf', size: 10 };
    const sent = await alice.engine.sendText(chatId, '', null, file);
    await alice.engine.flush();
    await deliver(relay, bob);

    // Bob's replies put other words in Alice's messages.
    const onText = await bob.engine.sendText(chatId, 'as agreed', said, null, lie);
    const onFile = await bob.engine.sendText(chatId, 'signed', sent, null, lie);
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await quoteOn(alice, chatId, onText)).toEqual({ id: said, snippet: 'see you at 5', mine: true });
    expect(await quoteOn(alice, chatId, onFile)).toEqual({ id: sent, snippet: 'contract.pdf', mine: true });
    // The same through the rows an event names (only the reply read, its original decrypted for it).
    expect((await secretRows(alice.db, alice.vault, chatId, [onText]))[0].quote).toEqual({ id: said, snippet: 'see you at 5', mine: true });

    // A self-destructing original is quoted by its kind only, as its sender's app would quote it.
    await alice.engine.setTimer(chatId, 30);
    const timed = await alice.engine.sendText(chatId, 'burn after reading', null);
    await alice.engine.flush();
    await deliver(relay, bob);
    const onTimed = await bob.engine.sendText(chatId, 'ok', timed, null, { snippet: 'burn after reading', from: 'recipient' });
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await quoteOn(alice, chatId, onTimed)).toEqual({ id: timed, snippet: 'Self-destructing message', mine: true });
    const timedFile = await alice.engine.sendText(chatId, '', null, { ...file, blobId: 'blob2', name: 'layoffs-march.pdf' });
    await alice.engine.flush();
    await deliver(relay, bob);
    const onTimedFile = await bob.engine.sendText(chatId, 'ok', timedFile, null, { snippet: 'layoffs-march.pdf', from: 'recipient' });
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await quoteOn(alice, chatId, onTimedFile)).toEqual({ id: timedFile, snippet: 'File', mine: true });

    // An original not on this device: the quote as sent (here: gone, so not shown at all).
    const unknown = await bob.engine.sendText(chatId, 'remember?', ORIGINAL, null, lie);
    await bob.engine.flush();
    await deliver(relay, alice);
    expect(await quoteOn(alice, chatId, unknown)).toEqual({ id: ORIGINAL, snippet: 'Deleted message', mine: true, gone: true });
  });

  it('shows the stored original’s own snippet in a cloud chat, and the quote as sent when the original is not here', async () => {
    const { db, vault } = await unlockedStore(`reply-quote-cloud-${++dbs}`);
    const bobUser: PublicUser = { id: 'bob', username: 'bob', displayName: 'Bob' };
    const uuid = (i: number) => `00000000-0000-4000-8000-${String(200 + i).padStart(12, '0')}`;
    const msg = (i: number, extra: Partial<CloudMessage>): Update => ({
      kind: 'message',
      cursor: i,
      peer: bobUser,
      message: { id: uuid(i), peerId: 'bob', seq: i, senderId: 'bob', senderDeviceId: 'd', text: '', replyTo: null, createdAt: i, ...extra }
    });
    const photo = { id: 'm1', mime: 'image/jpeg', name: 'x.jpg', size: 1, ttl: 0, openedAt: null, deadline: null };
    const timedFile = { id: 'm2', mime: 'application/pdf', name: 'layoffs-march.pdf', size: 1, ttl: 30, openedAt: null, deadline: null };
    await applyUpdates(db, vault, 'me', [
      msg(1, { senderId: 'me', text: 'see you at 5\nbring cake' }),
      msg(2, { senderId: 'me', media: photo }),
      msg(3, { replyTo: uuid(1), quote: lie }),
      msg(4, { replyTo: uuid(2), quote: lie }),
      msg(5, { replyTo: ORIGINAL, quote: lie }),
      msg(6, { senderId: 'me', media: timedFile }),
      msg(7, { replyTo: uuid(6), quote: { snippet: 'layoffs-march.pdf', from: 'recipient' } })
    ]);
    const ctx = { db, vault, me: 'me', emit: () => undefined, flush: async () => undefined } as never;
    const quotes = async () => new Map((await cloudHandlers.messages(ctx, { peerId: 'bob' })).messages.map((m) => [m.id, m.quote]));
    const q = await quotes();
    expect(q.get(uuid(3))).toEqual({ id: uuid(1), snippet: 'see you at 5', mine: true });
    expect(q.get(uuid(4))).toEqual({ id: uuid(2), snippet: 'Photo', mine: true });
    expect(q.get(uuid(5))).toEqual({ id: ORIGINAL, snippet: 'I owe you $1000', mine: true });
    // A self-destructing file is quoted by its kind, not its name.
    expect(q.get(uuid(7))).toEqual({ id: uuid(6), snippet: 'File', mine: true });
    // A page without the original (only its reply): the original is read from the store for it.
    const page = await cloudHandlers.messages(ctx, { peerId: 'bob', afterSeq: 3 });
    expect(page.messages.find((m) => m.id === uuid(4))?.quote).toEqual({ id: uuid(2), snippet: 'Photo', mine: true });
  });
});

describe('cloud delete for me', () => {
  const bobUser: PublicUser = { id: 'bob', username: 'bob', displayName: 'Bob' };
  const uuid = (i: number) => `00000000-0000-4000-8000-${String(100 + i).padStart(12, '0')}`;
  const update = (i: number, extra: Partial<CloudMessage> = {}): Update => ({
    kind: 'message',
    cursor: i,
    peer: bobUser,
    message: { id: uuid(i), peerId: 'bob', seq: i, senderId: 'bob', senderDeviceId: 'd', text: `t${i}`, replyTo: null, createdAt: i, ...extra }
  });

  it('removes the row here, remembers it, and a replayed update does not bring it back', async () => {
    const { db, vault } = await unlockedStore(`reply-quote-cloud-${++dbs}`);
    const reply = update(2, { replyTo: uuid(1), quote: { snippet: 't1', from: 'sender' } });
    await applyUpdates(db, vault, 'me', [update(1), reply]);
    const view = await messageView(vault, (await db.messages.get(uuid(2)))!, 'me', 0);
    expect(view.quote).toEqual({ id: uuid(1), snippet: 't1', mine: false });

    // Bob quotes his own t1 as if I had written it: the chat names the stored original's author.
    await applyUpdates(db, vault, 'me', [update(4, { replyTo: uuid(1), quote: { snippet: 't1', from: 'recipient' } })]);
    const ctx = { db, vault, me: 'me', emit: () => undefined, flush: async () => undefined } as never;
    const { messages } = await cloudHandlers.messages(ctx, { peerId: 'bob' });
    expect(messages.find((m) => m.id === uuid(4))?.quote).toEqual({ id: uuid(1), snippet: 't1', mine: false });

    await hideMessages(db, 'bob', [uuid(1), '00000000-0000-4000-8000-999999999999']);
    expect(await db.messages.get(uuid(1))).toBeUndefined();
    expect(await db.messages.get(uuid(2))).toBeDefined();
    expect([...(await hiddenIds(db, 'bob'))]).toEqual([uuid(1)]);
    await applyUpdates(db, vault, 'me', [update(1), update(3)]);
    expect(await db.messages.get(uuid(1))).toBeUndefined();
    expect(await db.messages.get(uuid(3))).toBeDefined();
  });
});
