// The chat search's matching ($lib/api/search-text): what the worker finds and the bubbles mark.
import { describe, expect, it } from 'vitest';
import { foldText, markPieces, matchesAny, matchRanges, searchNeedle } from '$lib/api/search-text';

const finds = (query: string, ...fields: (string | null)[]) => {
  const needle = searchNeedle(query);
  return !!needle && matchesAny(needle, fields);
};

describe('chat search matching', () => {
  it('ignores case, accents and runs of whitespace', () => {
    expect(finds('cafe', 'Meet at the Café?')).toBe(true);
    expect(finds('CAFÉ', 'a cafe nearby')).toBe(true);
    // Already decomposed text (e + combining acute) matches too.
    expect(finds('café', 'Cafe\u0301 au lait')).toBe(true);
    expect(finds('Ærø straße', 'ærø   STRASSE')).toBe(true);
    expect(finds('ærø  strasse', 'ÆRØ\n\tSTRAßE')).toBe(true);
    expect(finds('  new   york ', 'I love New\u00a0York')).toBe(true);
    expect(finds('ΟΔΟΣ', 'μια οδος')).toBe(true);
    expect(finds('istanbul', 'İstanbul')).toBe(true);
    expect(finds('coffee', 'Café')).toBe(false);
  });

  it('looks in the text, the caption and the file name, each on its own', () => {
    expect(finds('report', '', 'Q3-Report.pdf')).toBe(true);
    expect(finds('see the', 'see the numbers', 'numbers.xlsx')).toBe(true);
    // Not across two fields.
    expect(finds('hello world', 'hello', 'world.txt')).toBe(false);
    expect(finds('nothing', null, null)).toBe(false);
  });

  it('needs two characters, or one of an ideographic script', () => {
    expect(searchNeedle('')).toBeNull();
    expect(searchNeedle('  a  ')).toBeNull();
    expect(searchNeedle('é')).toBeNull();
    expect(searchNeedle('ab')).toBe('ab');
    expect(searchNeedle('猫')).toBe('猫');
    expect(searchNeedle('カ')).toBe('カ');
    expect(finds('猫', '我的猫很可爱')).toBe(true);
  });

  it('marks the matches in the original text, accents and spacing as typed', () => {
    const text = 'Café,  CAFE and cafés';
    const ranges = matchRanges(text, 'cafe');
    expect(ranges.map(([s, e]) => text.slice(s, e))).toEqual(['Café', 'CAFE', 'café']);
    // A decomposed accent stays inside its mark.
    const nfd = 'Cafe\u0301!';
    expect(matchRanges(nfd, 'cafe').map(([s, e]) => nfd.slice(s, e))).toEqual(['Cafe\u0301']);
    const spaced = 'new \n york';
    expect(matchRanges(spaced, 'new york')).toEqual([[0, spaced.length]]);
    expect(matchRanges('abc', 'x')).toEqual([]);
    // Folding each character gives the text the worker compares.
    for (const s of ['ΟΔΟΣ ΣΑΣ', 'İstanbul', 'Ǆemal', 'Straße', 'e\u0301\u0301'])
      expect(foldText(s)).toBe(s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/ς/g, 'σ').replace(/ß/g, 'ss'));
    // "ß" marks as one letter though it folds to two.
    expect(matchRanges('Große Straße', 'strasse')).toEqual([[6, 12]]);
  });

  it('cuts a piece of text (a link, the words around it) at the marks', () => {
    const text = 'see www.cafe.example and the café';
    const ranges = matchRanges(text, 'cafe');
    // The link starts at 4: the first mark falls inside it.
    expect(markPieces('www.cafe.example', ranges, 4)).toEqual([
      { text: 'www.', mark: false },
      { text: 'cafe', mark: true },
      { text: '.example', mark: false }
    ]);
    expect(markPieces(' and the café', ranges, 20)).toEqual([
      { text: ' and the ', mark: false },
      { text: 'café', mark: true }
    ]);
    expect(markPieces('plain', [], 0)).toEqual([{ text: 'plain', mark: false }]);
  });

  it('folds plain ASCII text (the fast path) as it folds the same text beside a non-ASCII letter', () => {
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const samples = ['Hello  World', 'TAB\there\n\r\nnext', '  lead and trail \t', '\u0000\u001f\u007f ~!@#', 'MiXeD 123 ABC xyz'];
    for (let i = 0; i < 200; i++) samples.push(Array.from({ length: 1 + rnd(40) }, () => String.fromCharCode(rnd(128))).join(''));
    for (const s of samples) expect(foldText(s) + 'e').toBe(foldText(s + 'É'));
  });
});
