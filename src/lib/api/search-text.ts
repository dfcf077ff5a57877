/**
 * How a chat search matches text: case- and accent-insensitive ("cafe" finds "Café"), runs of
 * whitespace as one space, a plain substring. Shared by the worker (which searches the stored rows)
 * and the bubbles (which mark the matches), so both fold text the same way.
 */

const MARK = /\p{M}/u;
const SPACE = /\s/u;
/** Scripts where one character is a word: a single one is a useful query. */
const IDEOGRAPHIC = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** At most this many characters of a query are used (the field allows no more). */
export const SEARCH_QUERY_MAX = 200;

/** Results in a page of the search across chats (the first page, and each "Load more"). */
export const SEARCH_PAGE = 30;
/** At most this many results in one answer: a shown search re-run for new messages keeps what was loaded up to it (10 pages). */
export const SEARCH_RERUN_MAX = 10 * SEARCH_PAGE;

/** How many results a re-run of a shown search asks for: the pages loaded (`shown` results, the last page full), bounded. */
export const rerunLimit = (shown: number) => Math.min(SEARCH_RERUN_MAX, Math.max(1, Math.ceil(shown / SEARCH_PAGE)) * SEARCH_PAGE);

/** One character folded: lower case, decomposed, combining marks dropped ('' for a mark alone). */
function foldChar(ch: string): string {
  let out = '';
  // Lower case first: 'İ' lowers to 'i' + a combining dot, dropped below.
  for (const c of ch.toLowerCase().normalize('NFD')) if (!MARK.test(c)) out += c;
  // The final sigma is the same letter; "ß" is written "ss" too (its upper case is "SS").
  return out === 'ς' ? 'σ' : out === 'ß' ? 'ss' : out;
}

/**
 * `text` folded, and for each UTF-16 unit of the result the range of `text` it came from: a match in
 * the folded text maps back to the characters to mark.
 */
function foldMapped(text: string): { folded: string; from: number[]; to: number[] } {
  let folded = '';
  const from: number[] = [];
  const to: number[] = [];
  const push = (start: number, end: number) => {
    from.push(start);
    to.push(end);
  };
  let i = 0;
  for (const ch of text) {
    const end = i + ch.length;
    if (SPACE.test(ch)) {
      if (folded.endsWith(' ')) to[to.length - 1] = end;
      else {
        folded += ' ';
        push(i, end);
      }
    } else {
      const f = foldChar(ch);
      // A combining mark alone belongs to the letter before it (marked with it).
      if (!f && to.length) to[to.length - 1] = end;
      for (let k = 0; k < f.length; k++) push(i, end);
      folded += f;
    }
    i = end;
  }
  return { folded, from, to };
}

/** ASCII only: folding is lower case and whitespace runs as one space (the search's usual text, folded fast). */
const ASCII = /^\p{ASCII}*$/u;

/** `text` as the search compares it. */
export const foldText = (text: string): string => (ASCII.test(text) ? text.toLowerCase().replace(/\s+/g, ' ') : foldMapped(text).folded);

/** The query to look for, folded and trimmed; null when too short to search (2 characters, 1 of an ideographic script). */
export function searchNeedle(query: string): string | null {
  const q = foldText(query.slice(0, SEARCH_QUERY_MAX)).trim();
  const n = [...q].length;
  return n >= 2 || (n === 1 && IDEOGRAPHIC.test(q)) ? q : null;
}

/** Whether any of `fields` (a message's text, caption, file name) holds `needle` (from searchNeedle). */
export const matchesAny = (needle: string, fields: readonly (string | null | undefined)[]): boolean => fields.some((f) => !!f && foldText(f).includes(needle));

/** The ranges [start, end) of `text` that match `query`, in order, not overlapping (none for a query too short). */
export function matchRanges(text: string, query: string): [number, number][] {
  const needle = searchNeedle(query);
  if (!needle) return [];
  const { folded, from, to } = foldMapped(text);
  const out: [number, number][] = [];
  for (let at = folded.indexOf(needle); at >= 0; at = folded.indexOf(needle, at + needle.length)) {
    const start = from[at];
    const end = to[at + needle.length - 1];
    const last = out.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/** `text` cut at the `ranges` (from matchRanges, offset by `offset`): each piece says whether it is a match. */
export function markPieces(text: string, ranges: readonly [number, number][], offset = 0): { text: string; mark: boolean }[] {
  const pieces: { text: string; mark: boolean }[] = [];
  let at = 0;
  for (const [s, e] of ranges) {
    const start = Math.max(0, s - offset);
    const end = Math.min(text.length, e - offset);
    if (end <= at || start >= text.length) continue;
    if (start > at) pieces.push({ text: text.slice(at, start), mark: false });
    pieces.push({ text: text.slice(Math.max(start, at), end), mark: true });
    at = end;
  }
  if (at < text.length || !pieces.length) pieces.push({ text: text.slice(at), mark: false });
  return pieces;
}
