import { describe, expect, it } from 'vitest';
import { spliceRows, type SpliceRow } from '../../../src/lib/chat/splice';

type Row = SpliceRow & { text: string };
const row = (id: string, at: number, text = id, quote?: string): Row => ({
  id,
  at,
  text,
  ...(quote ? { quote: { id: quote, snippet: `q ${quote}`, mine: false } } : {})
});
const ids = (rows: Row[]) => rows.map((r) => r.id);
const whole = { hasMore: false, hasNewer: false };

describe('spliceRows: a window updated by the rows an event named', () => {
  const window = [row('a', 10), row('b', 20), row('c', 30)];

  it('a new row at the end joins; one in the middle lands in (at, id) order', () => {
    expect(ids(spliceRows(window, ['d'], [row('d', 40)], whole).rows)).toEqual(['a', 'b', 'c', 'd']);
    const r = spliceRows(window, ['x', 'y'], [row('y', 30), row('x', 20)], whole);
    // Equal times order by id: b < x, c < y.
    expect(ids(r.rows)).toEqual(['a', 'b', 'x', 'c', 'y']);
    expect(r.added).toBe(2);
  });

  it('a changed row is replaced in place (ticks, a timer started); the others are the same objects', () => {
    const r = spliceRows(window, ['b'], [{ ...row('b', 20), text: 'read' }], whole);
    expect(r.rows.map((m) => m.text)).toEqual(['a', 'read', 'c']);
    expect(r.rows[0]).toBe(window[0]);
    expect(r.added).toBe(0);
  });

  it('a named row not read back is gone (deleted, expired); replies to it show the original as gone', () => {
    const w = [...window, row('r', 40, 'reply', 'b'), row('s', 50, 'other reply', 'zz')];
    const r = spliceRows(w, ['b'], [], whole);
    expect(ids(r.rows)).toEqual(['a', 'c', 'r', 's']);
    expect(r.rows[2].quote).toEqual({ id: 'b', snippet: 'Deleted message', mine: false, gone: true });
    expect(r.rows[3]).toBe(w[4]);
  });

  it('rows outside the window are left for paging: above its top while older exist, below its end while newer exist', () => {
    const named = ['old', 'new'];
    const fresh = [row('old', 5), row('new', 99)];
    expect(ids(spliceRows(window, named, fresh, whole).rows)).toEqual(['old', 'a', 'b', 'c', 'new']);
    expect(ids(spliceRows(window, named, fresh, { hasMore: true, hasNewer: false }).rows)).toEqual(['a', 'b', 'c', 'new']);
    expect(ids(spliceRows(window, named, fresh, { hasMore: false, hasNewer: true }).rows)).toEqual(['old', 'a', 'b', 'c']);
    const r = spliceRows(window, named, fresh, { hasMore: true, hasNewer: true });
    expect(ids(r.rows)).toEqual(['a', 'b', 'c']);
    expect(r.added).toBe(0);
  });

  it('nothing named changes nothing; a named row of another window (not read back, not shown) is ignored', () => {
    expect(spliceRows(window, [], [], whole).rows).toEqual(window);
    expect(ids(spliceRows(window, ['elsewhere'], [], whole).rows)).toEqual(['a', 'b', 'c']);
  });

  it('matches a full re-read of the window for a random mix of adds, updates and removals', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let stored: Row[] = Array.from({ length: 40 }, (_, i) => row(`m${String(i).padStart(3, '0')}`, 100 + i * 10));
    let shown = [...stored];
    let next = 40;
    const order = (rows: Row[]) => [...rows].sort((x, y) => x.at - y.at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    for (let round = 0; round < 200; round++) {
      const named: string[] = [];
      for (let k = 0, n = 1 + rnd(4); k < n; k++) {
        const op = rnd(3);
        if (op === 0 || !stored.length) {
          const m = row(`m${String(next++).padStart(3, '0')}`, 100 + rnd(600));
          stored = [...stored, m];
          named.push(m.id);
        } else if (op === 1) {
          const m = stored[rnd(stored.length)];
          stored = stored.map((s) => (s.id === m.id ? { ...s, text: `${s.text}'` } : s));
          named.push(m.id);
        } else {
          const m = stored[rnd(stored.length)];
          stored = stored.filter((s) => s.id !== m.id);
          named.push(m.id);
        }
      }
      const fresh = stored.filter((s) => named.includes(s.id));
      shown = spliceRows(shown, named, fresh, whole).rows;
      expect(shown).toEqual(order(stored));
    }
  });
});
