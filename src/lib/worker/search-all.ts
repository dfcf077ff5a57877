/**
 * Search across every chat on this device (the chat list's "Messages" results): every cloud chat
 * (Saved Messages and archived chats too) and every secret chat, newest first across chats, a page at
 * a time. The rows are sealed, so they are opened here as the in-chat search opens them (./search.ts):
 * nothing is indexed in clear. Each chat is read newest first a chunk at a time (growing, each chunk
 * one IndexedDB request, the next ones read while a batch is opened) and the chats are merged by time,
 * so only rows that can still belong to the page are opened; the search stops as soon as the page is
 * full, and a newer search stops an older one between batches. What was opened is kept in memory for
 * the next search (./search-opened.ts).
 */
import { Dexie, type EntityTable } from 'dexie';
import { SPOILER_MASK, withoutMarkers } from '$lib/api/rich-text';
import { matchesAny, matchRanges, SEARCH_PAGE } from '$lib/api/search-text';
import type { ChatRow, CinderDB, MessageRow, SecretChatRow, SecretMessageRow } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import type { MessageHit, MessagesPage, SearchCursor } from './protocol';
import { alive, cloudSearchable, searchMatches, secretSearchable, type Searchable } from './search';

/** Results in a page. */
export const ALL_PAGE = SEARCH_PAGE;
/** Rows each chat reads at first; each further read of that chat asks twice as many, up to MAX_CHUNK (fewer reads over a long history). */
const CHUNK = 40;
const MAX_CHUNK = 1280;
/** Rows opened together. */
const BATCH = 200;
/** How many characters of a text a snippet shows before its match, and in all. */
const BEFORE = 30;
const SNIPPET = 140;

/** The name Saved Messages has everywhere. */
const SAVED = 'Saved Messages';

/** A row waiting to be opened: its place in the merged order and how to test it. */
type Candidate = { at: number; id: string; hit: (needle: string, query: string) => Promise<MessageHit | null> };

/** Whether a is newer than b in the merged order (time, then id, both descending). */
const newer = (a: SearchCursor, b: SearchCursor) => a.at > b.at || (a.at === b.at && a.id > b.id);

/** One chat's rows, newest first from `before`, read CHUNK at a time. */
interface Stream {
  buf: Candidate[];
  done: boolean;
  fill(): Promise<void>;
}

function stream<R extends { id: string }>(
  read: (before: SearchCursor | undefined, limit: number) => Promise<R[]>,
  candidate: (r: R) => Candidate,
  start?: SearchCursor
): Stream {
  let last = start;
  let chunk = CHUNK;
  const s: Stream = {
    buf: [],
    done: false,
    async fill() {
      const limit = chunk;
      chunk = Math.min(2 * chunk, MAX_CHUNK);
      const rows = await read(last, limit);
      const cands = rows.map(candidate);
      if (cands.length) last = cands[cands.length - 1];
      if (rows.length < limit) s.done = true;
      for (const c of cands) s.buf.push(c);
    }
  };
  return s;
}

/**
 * Rows of one chat on a `[chat+time]` index strictly older than `before`, newest first, `limit` at most.
 * Plain key ranges, no filter: Dexie then asks IndexedDB for the rows at once (getAll) instead of a
 * cursor step per row. Those at `before`'s time with a smaller id (ties, in the index's id order) first.
 */
function olderRows<R extends { id: string }>(table: EntityTable<R, 'id'>, index: string, chat: string) {
  return async (before: SearchCursor | undefined, limit: number): Promise<R[]> => {
    if (!before) return table.where(index).between([chat, Dexie.minKey], [chat, Dexie.maxKey]).reverse().limit(limit).toArray();
    const [ties, older] = await Promise.all([
      table.where(index).equals([chat, before.at]).reverse().toArray(),
      table.where(index).between([chat, Dexie.minKey], [chat, before.at], true, false).reverse().limit(limit).toArray()
    ]);
    return [...ties.filter((r) => r.id < before.id), ...older].slice(0, limit);
  };
}

/**
 * A snippet of `text` as the chat list shows it (no markers, a spoiler as SPOILER_MASK, one line),
 * around the first match of `query` when the shown text has one; else its start (or the file's name
 * when only that matched).
 */
export function snippetOf(s: Searchable, needle: string, query: string): string {
  const shown = withoutMarkers(s.text).replace(/\s+/g, ' ').trim();
  const [first] = matchRanges(shown, query);
  if (!first && s.file && matchesAny(needle, [s.file])) return s.file;
  if (!first || first[0] <= BEFORE) return cut(shown, 0);
  // Start at a word near BEFORE characters before the match, never inside the mask.
  let from = first[0] - BEFORE;
  const space = shown.indexOf(' ', from);
  if (space >= 0 && space < first[0]) from = space + 1;
  const mask = shown.lastIndexOf(SPOILER_MASK, from);
  if (mask >= 0 && mask + SPOILER_MASK.length > from) from = mask;
  return '…' + cut(shown, from);
}

const cut = (text: string, from: number) => (text.length - from > SNIPPET ? text.slice(from, from + SNIPPET).trimEnd() + '…' : text.slice(from));

const cloudCandidate = (vault: Vault, me: string, chat: ChatRow) => (r: MessageRow) => ({
  at: r.createdAt,
  id: r.id,
  hit: async (needle: string, query: string): Promise<MessageHit | null> => {
    // Cleared history (older than clearedSeq) and burned rows are never found; the outbox (seq 0) is.
    if (!alive(r, Date.now()) || (r.seq > 0 && r.seq <= (chat.clearedSeq ?? 0))) return null;
    const s = await cloudSearchable(vault, r);
    if (!searchMatches(needle, s)) return null;
    const saved = chat.peerId === me;
    const title = saved ? SAVED : chat.peer.displayName;
    return {
      kind: 'cloud',
      chatId: chat.peerId,
      title,
      peer: chat.peer,
      saved,
      messageId: r.id,
      at: r.createdAt,
      snippet: snippetOf(s, needle, query),
      mine: r.senderId === me
    };
  }
});

const secretCandidate = (vault: Vault, chat: SecretChatRow) => (r: SecretMessageRow) => ({
  at: r.at,
  id: r.id,
  hit: async (needle: string, query: string): Promise<MessageHit | null> => {
    if (!alive(r, Date.now())) return null;
    const s = await secretSearchable(vault, r);
    if (!s || !searchMatches(needle, s)) return null;
    return {
      kind: 'secret',
      chatId: chat.id,
      title: chat.peer.displayName,
      peer: chat.peer,
      saved: false,
      messageId: r.id,
      at: r.at,
      snippet: snippetOf(s, needle, query),
      mine: r.mine
    };
  }
});

let searches = 0;

/** Work started ahead (read-ahead): a search that ends first does not wait for it, nor fail on it. */
function ahead<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * One page of results older than `before` (the previous page's `next`), newest first: `limit` of them
 * (a re-run of several loaded pages at once). null once a newer search began (its answer is the one wanted).
 */
export async function searchAll(
  db: CinderDB,
  vault: Vault,
  me: string,
  needle: string,
  query: string,
  before?: SearchCursor,
  limit = ALL_PAGE
): Promise<MessagesPage | null> {
  const mine = ++searches;
  const [chats, secrets] = await Promise.all([db.chats.toArray(), db.secretChats.toArray()]);
  const streams = [
    ...chats.map((c) => stream(olderRows(db.messages, '[peerId+createdAt]', c.peerId), cloudCandidate(vault, me, c), before)),
    ...secrets.map((c) => stream(olderRows(db.secretMessages, '[chatId+at]', c.id), secretCandidate(vault, c), before))
  ];
  // A cloud chat whose oldest stored message is not its first: older history may be on the relay only.
  const partial = ahead(
    Promise.all(chats.map((c) => db.messages.where('[peerId+seq]').between([c.peerId, 1], [c.peerId, Dexie.maxKey]).first())).then((rows) =>
      rows.some((r) => (r?.seq ?? 1) > 1)
    )
  );
  const refill = () => ahead(Promise.all(streams.filter((s) => !s.done && !s.buf.length).map((s) => s.fill())));
  const results: MessageHit[] = [];
  const end = async (next: SearchCursor | null): Promise<MessagesPage> => ({ results, next, partial: await partial });
  let filling = refill();
  for (;;) {
    await filling;
    if (searches !== mine) return null;
    const waiting = streams.filter((s) => s.buf.length);
    if (!waiting.length) return end(null);
    // Every row at least as new as the oldest buffered row of a chat with more to read is in its place.
    let frontier: SearchCursor | null = null;
    for (const s of waiting) {
      const last = s.buf[s.buf.length - 1];
      if (!s.done && (!frontier || newer(last, frontier))) frontier = last;
    }
    const ready: Candidate[] = [];
    const edge = frontier;
    for (const s of waiting) {
      const k = edge ? s.buf.findIndex((c) => newer(edge, c)) : -1;
      ready.push(...s.buf.splice(0, k < 0 ? s.buf.length : k));
    }
    ready.sort((a, b) => (newer(a, b) ? -1 : 1));
    // The chats emptied are read again while these rows are opened.
    filling = refill();
    for (let i = 0; i < ready.length; i += BATCH) {
      // A row that cannot be opened (another vault's, damaged) is not found rather than failing the search.
      const hits = await Promise.all(ready.slice(i, i + BATCH).map((c) => c.hit(needle, query).catch(() => null)));
      if (searches !== mine) return null;
      for (const h of hits) {
        if (!h) continue;
        results.push(h);
        if (results.length === limit) return end({ at: h.at, id: h.messageId });
      }
    }
  }
}
