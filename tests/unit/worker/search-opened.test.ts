import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { CinderDB, MessageRow, SecretMessageRow } from '$lib/store/db';
import { places } from '$lib/store/places';
import type { Vault } from '$lib/store/vault';
import { sealMessage } from '$lib/worker/cloud';
import type { CoreContext } from '$lib/worker/rpc/context';
import { searchAllHandlers as h } from '$lib/worker/rpc/search-all';
import { searchCloud } from '$lib/worker/search';
import { ALL_PAGE } from '$lib/worker/search-all';
import { forgetOpened, OPENED_BUDGET, openedOnce } from '$lib/worker/search-opened';
import { chatRow, secretChatRow } from '../support/chat-rows';
import { ME, uuid } from '../support/cloud-updates';
import { unlockedStore } from '../support/store';

let n = 0;
const context = (db: CinderDB, vault: Vault) => ({ db, vault, me: ME }) as unknown as CoreContext;

const chat = (peerId: string) => chatRow(peerId, { lastAt: 0, unread: 0 }, { id: peerId, username: peerId, displayName: peerId });

const cloudRow = (vault: Vault, peerId: string, i: number, text: string, at: number): Promise<MessageRow> =>
  sealMessage(vault, { id: uuid(i), peerId, seq: i, senderId: peerId, senderDeviceId: 'd', text, replyTo: null, createdAt: at, media: null });

/** `vault` counting the rows it opens. */
function counting(vault: Vault) {
  const c = { opens: 0 };
  const v = new Proxy(vault, {
    get(target, prop) {
      const f = Reflect.get(target, prop, target);
      if (typeof f !== 'function') return f;
      return (...args: unknown[]) => {
        if (prop === 'open') c.opens++;
        return f.apply(target, args);
      };
    }
  });
  return { v, c };
}

async function history(name: string, chats: string[], each: number, text = (i: number) => `tea ${i}`) {
  const { db, vault } = await unlockedStore(`${name}-${n++}`);
  await db.chats.bulkPut(chats.map(chat));
  const rows: MessageRow[] = [];
  for (const [k, peer] of chats.entries()) for (let i = 1; i <= each; i++) rows.push(await cloudRow(vault, peer, k * each + i, text(k * each + i), 1000 + i * 10 + k));
  await db.messages.bulkPut(rows);
  return { db, vault };
}

describe('what the searches opened, kept in memory', () => {
  it('a second search opens no row again; an edited row is opened again; another vault opens them all', async () => {
    const { db, vault } = await history('search-opened', ['bob', 'carol'], 60);
    const { v, c } = counting(vault);
    // A query found nowhere: the whole history is opened.
    expect((await h.searchMessages(context(db, v), { query: 'zebra' })).results).toEqual([]);
    expect(c.opens).toBe(120);
    c.opens = 0;
    expect((await h.searchMessages(context(db, v), { query: 'zebr' })).results).toEqual([]);
    // The in-chat search reads the same rows.
    expect((await searchCloud(db, v, 'bob', 'zebra'))?.ids).toEqual([]);
    expect(c.opens).toBe(0);

    // Edited (sealed again): opened again, found by its new words, never by its old ones.
    await db.messages.put(await cloudRow(vault, 'bob', 7, 'a zebra now', 1000 + 7 * 10));
    const found = await h.searchMessages(context(db, v), { query: 'zebra' });
    expect(found.results.map((r) => [r.messageId, r.snippet])).toEqual([[uuid(7), 'a zebra now']]);
    expect((await h.searchMessages(context(db, v), { query: 'tea 7' })).results.map((r) => r.messageId)).not.toContain(uuid(7));
    expect(c.opens).toBe(1);

    // Another vault (locked and opened again, replaced): nothing kept for it.
    const other = counting(vault);
    await h.searchMessages(context(db, other.v), { query: 'zebra' });
    expect(other.c.opens).toBe(120);
    forgetOpened();
    c.opens = 0;
    await h.searchMessages(context(db, v), { query: 'zebra' });
    expect(c.opens).toBe(120);
    db.close();
  });

  it('keeps no secret row: each search opens them again, so a burned message lives on in no cache', async () => {
    const { db, vault } = await history('search-opened-secret', ['bob'], 10);
    await db.secretChats.put(secretChatRow('s1', {}, { id: 'dave', username: 'dave', displayName: 'Dave' }));
    const rows: SecretMessageRow[] = [];
    for (let i = 101; i <= 105; i++) {
      const id = uuid(i);
      const box = await vault.seal(places.secretMessage(id), { kind: 'text', text: `secret tea ${i}`, replyTo: null, ttl: 0 });
      rows.push({ id, chatId: 's1', at: 2000 + i, mine: false, status: 'sent', ttl: 0, blobId: null, box });
    }
    await db.secretMessages.bulkPut(rows);
    const { v, c } = counting(vault);
    expect((await h.searchMessages(context(db, v), { query: 'zebra' })).results).toEqual([]);
    expect(c.opens).toBe(15);
    c.opens = 0;
    expect((await h.searchMessages(context(db, v), { query: 'zebr' })).results).toEqual([]);
    // The cloud rows were kept; the five secret ones were opened again.
    expect(c.opens).toBe(5);
    db.close();
  });

  it('keeps no more than its budget: past it, a row is opened each time, and the rows kept stay', async () => {
    const { db, vault } = await unlockedStore(`search-budget-${n++}`);
    const opened: string[] = [];
    const open = (place: string) => () => (opened.push(place), Promise.resolve(place));
    const half = () => OPENED_BUDGET / 2;
    const box = new Uint8Array(40).fill(1);
    for (const place of ['a', 'b', 'a', 'b', 'b', 'a']) await openedOnce(vault, place, box, open(place), half);
    expect(opened).toEqual(['a', 'b', 'b', 'b']);
    // Another sealed value at a kept place (an edit): opened again, and kept in place of the old one.
    const edited = new Uint8Array(40).fill(2);
    await openedOnce(vault, 'a', edited, open('a'), half);
    await openedOnce(vault, 'a', edited, open('a'), half);
    expect(opened).toEqual(['a', 'b', 'b', 'b', 'a']);
    db.close();
  });

  it('a newer search stops an older one from opening the rest of the history', async () => {
    const { db, vault } = await history('search-superseded', ['bob', 'carol', 'dave'], 400);
    const old = counting(vault);
    const fresh = counting(vault);
    const first = h.searchMessages(context(db, old.v), { query: 'zebra' });
    while (!old.c.opens) await new Promise((r) => setTimeout(r, 1));
    const second = await h.searchMessages(context(db, fresh.v), { query: 'tea 1' });
    expect((await first).results).toEqual([]);
    expect(second.results).toHaveLength(ALL_PAGE);
    expect(old.c.opens).toBeLessThan(1200 / 2);
    db.close();
  });

  it('pages through a chat whose many rows share one time, across its reads, each row once in order', async () => {
    const { db, vault } = await unlockedStore(`search-ties-${n++}`);
    await db.chats.bulkPut([chat('bob'), chat('carol')]);
    const rows: MessageRow[] = [];
    // 150 of Bob's at one time (more than a read's first chunk), Carol's around them.
    for (let i = 1; i <= 150; i++) rows.push(await cloudRow(vault, 'bob', i, `soup ${i}`, 5000));
    for (let i = 151; i <= 200; i++) rows.push(await cloudRow(vault, 'carol', i, `soup ${i}`, 4990 + (i - 151) * 0.5));
    await db.messages.bulkPut(rows);
    const want = rows.map((r) => ({ at: r.createdAt, id: r.id })).sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
    const seen: string[] = [];
    let before: { at: number; id: string } | undefined;
    for (;;) {
      const page = await h.searchMessages(context(db, vault), { query: 'soup', before });
      seen.push(...page.results.map((r) => r.messageId));
      if (!page.next) break;
      before = page.next;
    }
    expect(seen).toEqual(want.map((w) => w.id));
    db.close();
  });
});
