/**
 * Search inside one chat, over the rows stored on this device (their text is sealed, so only the
 * worker can read it): newest first, the rows opened a chunk at a time. A newer search of the same
 * chat stops an older one between chunks (the page ignores its answer anyway).
 */
import { Dexie } from 'dexie';
import { withoutMarkers } from '$lib/api/rich-text';
import { foldText } from '$lib/api/search-text';
import type { CinderDB, MessageRow, SecretMessageRow } from '$lib/store/db';
import { places } from '$lib/store/places';
import type { Vault } from '$lib/store/vault';
import type { Body } from './cloud';
import { openedOnce } from './search-opened';
import type { SecretBody } from './secret/payload';

/** At most this many results are returned (`more` says there were others). */
export const SEARCH_MAX = 1000;
/** Rows read and opened together. */
const CHUNK = 200;

export type SearchResult = { ids: string[]; more: boolean; partial: boolean };

/** The latest search of each chat: an older one still running stops. */
const latest = new Map<string, number>();
let searches = 0;

/**
 * The ids among `keys` (newest first) whose row `holds` the query: at most SEARCH_MAX, read
 * CHUNK at a time, each chunk's boxes opened together. null once a newer search of `chat` began.
 */
async function scan<R extends { id: string }>(
  chat: string,
  keys: string[],
  read: (ids: string[]) => Promise<(R | undefined)[]>,
  holds: (row: R) => Promise<boolean>
): Promise<{ ids: string[]; more: boolean } | null> {
  const mine = ++searches;
  latest.set(chat, mine);
  const ids: string[] = [];
  try {
    for (let i = 0; i < keys.length; i += CHUNK) {
      const rows = (await read(keys.slice(i, i + CHUNK))).filter((r): r is R => !!r);
      // A row that cannot be opened (another vault's, damaged) is not found rather than failing the search.
      const found = await Promise.all(rows.map((r) => holds(r).catch(() => false)));
      if (latest.get(chat) !== mine) return null;
      for (const [k, hit] of found.entries()) {
        if (!hit) continue;
        if (ids.length === SEARCH_MAX) return { ids, more: true };
        ids.push(rows[k].id);
      }
    }
    return { ids, more: false };
  } finally {
    if (latest.get(chat) === mine) latest.delete(chat);
  }
}

/** Not burned yet: a row past its self-destruct deadline is about to be purged and is not found. */
export const alive = (r: { deadline?: number }, now: number) => r.deadline === undefined || r.deadline > now;

/** A text as its bubble shows it (formatting markers gone, a spoiler's words in): what the search and the bubble's marks look in. */
const shownText = (text: string) => withoutMarkers(text, 'show');

/** A file's name, unless it is a voice message (whose name is made up and never shown). */
const fileName = (f: { name: string; voice?: unknown } | null | undefined) => (f && !f.voice ? f.name : null);

/** What a search looks in of one message: its text as typed (with its markers) and its file's name. */
export type Searchable = { text: string; file: string | null };

/** A cloud row opened for the search. */
export async function cloudSearchable(vault: Vault, r: MessageRow): Promise<Searchable> {
  const place = places.message(r.id);
  return openedOnce(
    vault,
    place,
    r.box,
    async () => {
      const body = await vault.open<Body>(place, r.box);
      return { text: body.text, file: fileName(body.media) };
    },
    sizeOf
  );
}

/**
 * A secret row opened for the search; null for a service row (never found). Opened anew each time, never
 * kept (./search-opened.ts): a secret message that burns or is deleted must not live on in a cache.
 */
export async function secretSearchable(vault: Vault, r: SecretMessageRow): Promise<Searchable | null> {
  const body = await vault.open<SecretBody>(places.secretMessage(r.id), r.box);
  return body.kind === 'text' ? { text: body.text, file: fileName(body.file) } : null;
}

/** What an opened row keeps in memory, in characters (./search-opened.ts): its text and file name, and their folded copies. */
const sizeOf = (s: Searchable | null) => (s ? 2 * (s.text.length + (s.file?.length ?? 0)) : 0);

/** The fields a query is matched against: the text as its bubble shows it, and the file's name. */
export const searchFields = (s: Searchable | null): (string | null)[] => (s ? [shownText(s.text), s.file] : []);

/** The fields of an opened row, folded once (a kept row, ./search-opened.ts, is matched again without folding). */
const folded = new WeakMap<Searchable, string[]>();

/** Whether the opened row `s` holds `needle` (from searchNeedle): as matchesAny on its searchFields. */
export function searchMatches(needle: string, s: Searchable | null): boolean {
  if (!s) return false;
  let fields = folded.get(s);
  if (!fields) folded.set(s, (fields = searchFields(s).flatMap((f) => (f ? [foldText(f)] : []))));
  return fields.some((f) => f.includes(needle));
}

/** A cloud chat: its stored history and outbox, newest first. `partial`: older history may exist only on the relay. */
export async function searchCloud(db: CinderDB, vault: Vault, peerId: string, needle: string): Promise<SearchResult | null> {
  const stored = db.messages.where('[peerId+seq]').between([peerId, 1], [peerId, Dexie.maxKey]);
  const [keys, outbox, oldest] = await Promise.all([
    stored.clone().reverse().primaryKeys() as Promise<string[]>,
    db.messages.where('[peerId+seq]').equals([peerId, 0]).toArray(),
    stored.clone().first()
  ]);
  // The outbox (seq 0) is newer than every stored message; newest first.
  const pending = outbox.sort((a, b) => b.createdAt - a.createdAt).map((r) => r.id);
  const now = Date.now();
  const read = async (ids: string[]) => (await db.messages.bulkGet(ids)).map((r) => (r?.peerId === peerId && alive(r, now) ? r : undefined));
  const holds = async (r: MessageRow) => searchMatches(needle, await cloudSearchable(vault, r));
  const res = await scan(`cloud:${peerId}`, [...pending, ...keys], read, holds);
  return res && { ...res, partial: (oldest?.seq ?? 1) > 1 };
}

/** A secret chat: its rows on this device (the only copy), newest first. */
export async function searchSecret(db: CinderDB, vault: Vault, chatId: string, needle: string): Promise<SearchResult | null> {
  const keys = (await db.secretMessages.where('[chatId+at]').between([chatId, Dexie.minKey], [chatId, Dexie.maxKey]).reverse().primaryKeys()) as string[];
  const now = Date.now();
  const read = async (ids: string[]) => (await db.secretMessages.bulkGet(ids)).map((r) => (r?.chatId === chatId && alive(r, now) ? r : undefined));
  const holds = async (r: SecretMessageRow) => searchMatches(needle, await secretSearchable(vault, r));
  const res = await scan(`secret:${chatId}`, keys, read, holds);
  return res && { ...res, partial: false };
}
