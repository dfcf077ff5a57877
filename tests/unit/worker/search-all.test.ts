import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { places } from '$lib/store/places';
import type { ChatRow, CinderDB, MessageRow, SecretChatRow, SecretMessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { sealMessage } from '$lib/worker/cloud';
import type { CoreContext } from '$lib/worker/rpc/context';
import { parseParams } from '$lib/worker/rpc/methods';
import { searchAllHandlers as h } from '$lib/worker/rpc/search-all';
import { ALL_PAGE } from '$lib/worker/search-all';
import { rerunLimit, SEARCH_PAGE, SEARCH_RERUN_MAX } from '$lib/api/search-text';
import type { MessageHit } from '$lib/worker/protocol';
import type { SecretBody } from '$lib/worker/secret/payload';
import { ME, uuid } from '../support/cloud-updates';
import { unlockedStore } from '../support/store';

let n = 0;
const context = (db: CinderDB, vault: Vault) => ({ db, vault, me: ME }) as unknown as CoreContext;

const chat = (peerId: string, displayName: string, extra: Partial<ChatRow> = {}): ChatRow => ({
  peerId,
  peer: { id: peerId, username: peerId, displayName },
  lastAt: 0,
  myReadSeq: 0,
  readSentSeq: 0,
  peerReadSeq: 0,
  unread: 0,
  ...extra
});

const secretChat = (id: string, peerId: string, displayName: string): SecretChatRow => ({
  id,
  peerId,
  peer: { id: peerId, username: peerId, displayName },
  role: 'initiator',
  status: 'active',
  peerDeviceId: 'd',
  createdAt: 0,
  lastAt: 0,
  cancelledBy: null,
  box: new Uint8Array(1)
});

async function cloudRow(vault: Vault, peerId: string, i: number, text: string, at: number, senderId = peerId, seq = i): Promise<MessageRow> {
  return sealMessage(vault, { id: uuid(i), peerId, seq, senderId, senderDeviceId: 'd', text, replyTo: null, createdAt: at, media: null });
}

async function secretRow(
  vault: Vault,
  chatId: string,
  i: number,
  body: Partial<SecretBody>,
  at: number,
  extra: Partial<SecretMessageRow> = {}
): Promise<SecretMessageRow> {
  const id = uuid(i);
  const box = await vault.seal(places.secretMessage(id), { kind: 'text', text: '', replyTo: null, ttl: 0, ...body });
  return { id, chatId, at, mine: false, status: 'sent', ttl: 0, blobId: null, box, ...extra };
}

const brief = (r: MessageHit) => `${r.kind}:${r.chatId}:${r.messageId.slice(-3)}`;

describe('search across all chats', () => {
  it('finds cloud, Saved Messages, archived and secret chats’ messages newest first, never cleared, burned or service rows', async () => {
    const { db, vault } = await unlockedStore(`search-all-${n++}`);
    const ctx = context(db, vault);
    await db.chats.bulkPut([chat('bob', 'Bob', { clearedSeq: 2 }), chat('carol', 'Carol', { archived: true }), chat(ME, 'Me')]);
    await db.secretChats.put(secretChat('s1', 'dave', 'Dave'));
    await db.messages.bulkPut([
      // Cleared (seq ≤ clearedSeq): still stored here, never found.
      await cloudRow(vault, 'bob', 1, 'old café news', 100),
      await cloudRow(vault, 'bob', 2, 'café before the clear', 200),
      await cloudRow(vault, 'bob', 3, 'Meet at the CAFÉ', 300),
      await cloudRow(vault, 'bob', 4, 'nothing to see', 400),
      await cloudRow(vault, 'bob', 5, 'my cafe idea', 700, ME),
      await cloudRow(vault, 'carol', 6, 'archived **cafe** plan', 500),
      // Burned: past its deadline, not purged yet.
      { ...(await cloudRow(vault, 'carol', 7, 'timed cafe', 900)), deadline: Date.now() - 1 },
      await cloudRow(vault, ME, 8, 'note to self: cafe', 650, ME)
    ]);
    await db.secretMessages.bulkPut([
      await secretRow(vault, 's1', 20, { text: 'secret cafe' }, 600),
      await secretRow(vault, 's1', 21, { kind: 'service', service: 'cleared', text: 'cafe' }, 800),
      // Burning but not burned yet: shown while it exists.
      await secretRow(vault, 's1', 22, { text: 'burning cafe', ttl: 30 }, 250, { ttl: 30, deadline: Date.now() + 60_000 }),
      // A chat this device does not have any more: its rows are not searched.
      await secretRow(vault, 'gone', 23, { text: 'orphan cafe' }, 950)
    ]);

    const page = await h.searchMessages(ctx, { query: 'Cafe' });
    expect(page.results.map(brief)).toEqual(['cloud:bob:005', 'cloud:me:008', 'secret:s1:020', 'cloud:carol:006', 'cloud:bob:003', 'secret:s1:022']);
    expect(page.next).toBeNull();
    // Bob's history starts at seq 1 here, but Carol's and mine do not: older history may be on the relay.
    expect(page.partial).toBe(true);
    const [mine, saved, secret, archived, bobs] = page.results;
    expect([mine.mine, mine.title, saved.title, saved.saved, secret.title, secret.kind, archived.title, bobs.mine]).toEqual([
      true,
      'Bob',
      'Saved Messages',
      true,
      'Dave',
      'secret',
      'Carol',
      false
    ]);
    // The snippet is the text as the list shows it: no formatting markers.
    expect(archived.snippet).toBe('archived cafe plan');
    expect([archived.at, archived.peer.id]).toEqual([500, 'carol']);

    expect(await h.searchMessages(ctx, { query: 'c' })).toEqual({ results: [], next: null, partial: false });
    expect((await h.searchMessages(ctx, { query: 'zebra' })).results).toEqual([]);
    db.close();
  });

  it('shows a spoiler masked in the snippet, even when the match is in it, and cuts a long text around the match', async () => {
    const { db, vault } = await unlockedStore(`search-all-spoiler-${n++}`);
    const ctx = context(db, vault);
    await db.chats.put(chat('bob', 'Bob'));
    const long = `${'word '.repeat(40)}the riverside picnic ${'more '.repeat(40)}`;
    await db.messages.bulkPut([
      await cloudRow(vault, 'bob', 1, 'the answer is ||riverside|| obviously', 100),
      await cloudRow(vault, 'bob', 2, long, 200),
      await cloudRow(vault, 'bob', 3, 'Riversíde ||secret plans|| today', 300)
    ]);
    const { results } = await h.searchMessages(ctx, { query: 'riverside' });
    expect(results.map((r) => r.messageId)).toEqual([uuid(3), uuid(2), uuid(1)]);
    expect(results[0].snippet).toBe('Riversíde ▒▒▒▒▒ today');
    expect(results[2].snippet).toBe('the answer is ▒▒▒▒▒ obviously');
    for (const r of results) expect(r.snippet).not.toMatch(/secret|\|\|/);
    // Around the match, not the text's start; one line, bounded.
    expect(results[1].snippet.startsWith('…')).toBe(true);
    expect(results[1].snippet).toContain('the riverside picnic');
    expect(results[1].snippet.length).toBeLessThan(160);
    db.close();
  });

  it('pages through many chats in order with a cursor, ties included, and a newer search supersedes an older one', async () => {
    const { db, vault } = await unlockedStore(`search-all-pages-${n++}`);
    const ctx = context(db, vault);
    await db.chats.bulkPut([chat('bob', 'Bob'), chat('carol', 'Carol')]);
    await db.secretChats.put(secretChat('s1', 'dave', 'Dave'));
    const rows: MessageRow[] = [];
    const secrets: SecretMessageRow[] = [];
    const want: { at: number; id: string }[] = [];
    for (let i = 1; i <= 150; i++) {
      // Every third time is shared by two chats: the order is then by id.
      const at = 1000 + Math.floor(i / 2) * 10;
      const text = i % 5 === 0 ? 'unrelated' : `lunch ${i}`;
      if (i % 3 === 0) secrets.push(await secretRow(vault, 's1', i, { text }, at));
      else rows.push(await cloudRow(vault, i % 3 === 1 ? 'bob' : 'carol', i, text, at));
      if (i % 5) want.push({ at, id: uuid(i) });
    }
    await db.messages.bulkPut(rows);
    await db.secretMessages.bulkPut(secrets);
    want.sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));

    const seen: string[] = [];
    let before: { at: number; id: string } | undefined;
    let pages = 0;
    for (;;) {
      const page = await h.searchMessages(ctx, { query: 'LUNCH', before });
      pages++;
      expect(page.results.length).toBeLessThanOrEqual(ALL_PAGE);
      seen.push(...page.results.map((r) => r.messageId));
      if (!page.next) break;
      expect(page.results.length).toBe(ALL_PAGE);
      before = page.next;
    }
    expect(seen).toEqual(want.map((w) => w.id));
    expect(pages).toBe(Math.ceil(want.length / ALL_PAGE) + (want.length % ALL_PAGE ? 0 : 1));

    const [old, fresh] = await Promise.all([h.searchMessages(ctx, { query: 'lunch 1' }), h.searchMessages(ctx, { query: 'lunch 7' })]);
    expect(old.results).toEqual([]);
    expect(fresh.results.map((r) => r.messageId)).toEqual(
      ['lunch 79', 'lunch 78', 'lunch 77', 'lunch 76', 'lunch 74', 'lunch 73', 'lunch 72', 'lunch 71', 'lunch 7'].map((t) => uuid(Number(t.slice(6))))
    );
    db.close();
  });

  it('answers a re-run of several loaded pages at once (limit), the same rows as those pages, and refuses an unbounded one', async () => {
    const { db, vault } = await unlockedStore(`search-all-limit-${n++}`);
    const ctx = context(db, vault);
    await db.chats.put(chat('bob', 'Bob'));
    const rows: MessageRow[] = [];
    for (let i = 1; i <= 75; i++) rows.push(await cloudRow(vault, 'bob', i, `tea ${i}`, 1000 + i));
    await db.messages.bulkPut(rows);
    const first = await h.searchMessages(ctx, { query: 'tea' });
    const second = await h.searchMessages(ctx, { query: 'tea', before: first.next! });
    const both = await h.searchMessages(ctx, { query: 'tea', limit: 2 * ALL_PAGE });
    expect(both.results.map((r) => r.messageId)).toEqual([...first.results, ...second.results].map((r) => r.messageId));
    expect(both.next).toEqual(second.next);
    const rest = await h.searchMessages(ctx, { query: 'tea', before: both.next!, limit: 2 * ALL_PAGE });
    expect(rest.results).toHaveLength(75 - 2 * ALL_PAGE);
    expect(rest.next).toBeNull();
    expect(() => parseParams('searchMessages', { query: 'tea', limit: SEARCH_RERUN_MAX + 1 })).toThrow();
    expect(() => parseParams('searchMessages', { query: 'tea', limit: 0 })).toThrow();
    expect(parseParams('searchMessages', { query: 'tea', limit: SEARCH_RERUN_MAX })).toMatchObject({ limit: SEARCH_RERUN_MAX });
    db.close();
  });
});

describe('rerunLimit', () => {
  it('asks again for the pages loaded, a page at least, never more than SEARCH_RERUN_MAX', () => {
    expect(rerunLimit(0)).toBe(SEARCH_PAGE);
    expect(rerunLimit(2)).toBe(SEARCH_PAGE);
    expect(rerunLimit(SEARCH_PAGE)).toBe(SEARCH_PAGE);
    // Two pages loaded, the second not full: room for the new messages that push the list down.
    expect(rerunLimit(SEARCH_PAGE + 29)).toBe(2 * SEARCH_PAGE);
    expect(rerunLimit(10_000)).toBe(SEARCH_RERUN_MAX);
  });
});
