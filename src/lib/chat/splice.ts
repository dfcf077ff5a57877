/**
 * A chat window updated by the rows an event named, not by reading it all again: the rows read back
 * replace or join the window in display order (`at`, then id), the ones not read back are gone.
 * What a full re-read would show of the window's range, for the cost of the rows that changed.
 */
import type { QuoteView } from '$lib/worker/protocol';

export interface SpliceRow {
  id: string;
  at: number;
  quote?: QuoteView | null;
}

/** Where the window stands in the chat: older rows exist above it (hasMore), newer below it (hasNewer). */
export interface WindowRange {
  hasMore: boolean;
  hasNewer: boolean;
}

const before = (a: SpliceRow, b: SpliceRow) => a.at < b.at || (a.at === b.at && a.id < b.id);

/** Shown like the worker's read does (views.ts withGoneQuotes): a reply whose original is gone. */
const goneQuote = <M extends SpliceRow>(m: M): M => ({ ...m, quote: { ...m.quote!, snippet: 'Deleted message', gone: true } });

/**
 * `rows`: the window, in display order. `ids`: the rows the event named; `fresh`: those of them still
 * stored, as read now. A fresh row outside the window's range (above its top while older rows exist,
 * below its end while newer ones exist) is left for paging to bring; `added` counts the rows that joined.
 */
export function spliceRows<M extends SpliceRow>(rows: M[], ids: string[], fresh: M[], range: WindowRange): { rows: M[]; added: number } {
  const named = new Set(ids);
  const read = new Map(fresh.map((m) => [m.id, m]));
  const gone = new Set(ids.filter((id) => !read.has(id)));
  const kept = rows.filter((m) => !named.has(m.id));
  const first = rows[0];
  const last = rows[rows.length - 1];
  const inRange = (m: M) => (!range.hasMore || !first || !before(m, first)) && (!range.hasNewer || !last || !before(last, m));
  const had = new Set(rows.map((m) => m.id));
  const joining = fresh.filter((m) => had.has(m.id) || inRange(m)).sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  // Merge two sorted lists; a reply whose original just went shows it as gone.
  const out: M[] = [];
  let i = 0;
  for (const m of kept) {
    while (i < joining.length && before(joining[i], m)) out.push(joining[i++]);
    out.push(m.quote && !m.quote.gone && gone.has(m.quote.id) ? goneQuote(m) : m);
  }
  while (i < joining.length) out.push(joining[i++]);
  return { rows: out, added: joining.filter((m) => !had.has(m.id)).length };
}
