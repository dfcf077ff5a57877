// The formatting markers of a message's text: the tree the bubble renders, and the plain text shown elsewhere.
import { describe, expect, it } from 'vitest';
import { parseRich, withoutMarkers, SPOILER_MASK, type RichNode } from '$lib/api/rich-text';

/** A tree as compact markup: <b> <i> <s> <sp> for styles, <c> inline code, <pre> a block, <a=href> a link. */
function show(nodes: readonly RichNode[]): string {
  const tag = { bold: 'b', italic: 'i', strike: 's', spoiler: 'sp' } as const;
  return nodes
    .map((n) => {
      switch (n.type) {
        case 'text':
          return n.text;
        case 'link':
          return `<a=${n.href}>${n.text}</a>`;
        case 'code':
          return `<c>${n.text}</c>`;
        case 'codeblock':
          return `<pre>${n.text}</pre>`;
        default:
          return `<${tag[n.type]}>${show(n.children)}</${tag[n.type]}>`;
      }
    })
    .join('');
}

const parsed = (text: string) => show(parseRich(text));

/** Every node's text joined: what the bubble shows, spoilers revealed. */
function leaves(nodes: readonly RichNode[]): string {
  return nodes.map((n) => ('children' in n ? leaves(n.children) : n.text)).join('');
}

describe('parseRich', () => {
  it.each([
    // Each marker.
    ['**bold**', '<b>bold</b>'],
    ['__italic__', '<i>italic</i>'],
    ['_italic_', '<i>italic</i>'],
    ['~~gone~~', '<s>gone</s>'],
    ['`x = 1`', '<c>x = 1</c>'],
    ['||the butler||', '<sp>the butler</sp>'],
    ['```\nconst a = 1;\n  return a;\n```', '<pre>const a = 1;\n  return a;</pre>'],
    ['```one line```', '<pre>one line</pre>'],
    // Inside a sentence, several, and within a word where no underscore is involved.
    ['a **b** c **d** e', 'a <b>b</b> c <b>d</b> e'],
    ['un**believ**able', 'un<b>believ</b>able'],
    ['multi **line\nbold**', 'multi <b>line\nbold</b>'],
    // Nesting.
    ['**bold _italic_ bold**', '<b>bold <i>italic</i> bold</b>'],
    ['**__both__**', '<b><i>both</i></b>'],
    ['~~**x** y~~', '<s><b>x</b> y</s>'],
    ['||**secret** plan||', '<sp><b>secret</b> plan</sp>'],
    ['**a ||b|| c**', '<b>a <sp>b</sp> c</b>'],
    ['_a __b__ c_', '<i>a <i>b</i> c</i>'],
    ['**a `**not bold**` b**', '<b>a <c>**not bold**</c> b</b>'],
    // Underscores inside words stay as typed.
    ['snake_case_name and my_var_', 'snake_case_name and my_var_'],
    ['call get_user_id() now', 'call get_user_id() now'],
    ['foo__bar__baz', 'foo__bar__baz'],
    ['_x_y', '_x_y'],
    ['(_aside_)', '(<i>aside</i>)'],
    ['___', '___'],
    ['a ___b___ c', 'a ___b___ c'],
    // Unclosed or unopenable markers stay literal.
    ['**never closed', '**never closed'],
    ['closed only**', 'closed only**'],
    ['a ** b ** c', 'a ** b ** c'],
    ['** spaced **', '** spaced **'],
    ['2 * 3 * 4', '2 * 3 * 4'],
    ['*single*', '*single*'],
    ['~one~', '~one~'],
    ['a | b || c', 'a | b || c'],
    ['****', '****'],
    ['`', '`'],
    ['``', '``'],
    ['` `', '` `'],
    ['`no close', '`no close'],
    ['```no close', '```no close'],
    ['``````', '``````'],
    ['`not\nacross lines`', '`not\nacross lines`'],
    // Crossing pairs: the inner marker that was never closed inside stays literal.
    ['**a ~~b** c~~', '<b>a ~~b</b> c~~'],
    ['__a **b__ c**', '<i>a **b</i> c**'],
    // A marker kind cannot open inside itself: the second one is text.
    ['**a **b** c**', '<b>a **b</b> c**'],
    // Longer runs: the marker is the part next to the content, the rest stays text outside it.
    ['***x***', '*<b>x</b>*'],
    ['****x****', '**<b>x</b>**'],
    ['~~~x~~~', '~<s>x</s>~'],
    // Code is never parsed inside.
    ['`**a** _b_ https://x.io`', '<c>**a** _b_ https://x.io</c>'],
    ['```\n**a**\n||b||\n```', '<pre>**a**\n||b||</pre>'],
    ['```  keep   spaces  ```', '<pre>  keep   spaces  </pre>'],
    ['`a` and `b`', '<c>a</c> and <c>b</c>'],
    ['it`s `code`', 'it`s <c>code</c>'],
    ['` padded `', '` padded `'],
    // A code block ends every open marker: it stands on its own.
    ['**a ```b``` c**', '**a <pre>b</pre> c**'],
    ['text\n```\nblock\n```\nafter', 'text\n<pre>block</pre>\nafter'],
    ['```a``` ```b```', '<pre>a</pre> <pre>b</pre>'],
    // Links keep working inside formatting, and their own characters are never markers.
    ['**see https://example.com/a**', '<b>see <a=https://example.com/a>https://example.com/a</a></b>'],
    ['_https://x.io_', '<i><a=https://x.io/>https://x.io</a></i>'],
    ['||www.example.com/x||', '<sp><a=https://www.example.com/x>www.example.com/x</a></sp>'],
    ['https://x.io/a__b__c', '<a=https://x.io/a__b__c>https://x.io/a__b__c</a>'],
    ['https://x.io/**b**', '<a=https://x.io/**b>https://x.io/**b</a>**'],
    ['~~https://x.io/old~~.', '<s><a=https://x.io/old>https://x.io/old</a></s>.'],
    ['https://en.wikipedia.org/wiki/Snake_case', '<a=https://en.wikipedia.org/wiki/Snake_case>https://en.wikipedia.org/wiki/Snake_case</a>'],
    // Markup is text, never HTML.
    ['**<img src=x onerror=alert(1)>**', '<b><img src=x onerror=alert(1)></b>'],
    // Nothing to format.
    ['', ''],
    ['plain words', 'plain words'],
    ['emoji 🔥**🔥**🔥', 'emoji 🔥<b>🔥</b>🔥'],
    ['naïve _café_ à', 'naïve <i>café</i> à'],
    ['日本_語_', '日本_語_']
  ])('%j → %j', (text, want) => {
    expect(parsed(text)).toBe(want);
  });

  it('keeps every character of the text but the markers it used, in order', () => {
    const text = 'a **b _c_ ~~d~~** ||e `f`|| g ```h``` i_j_k https://x.io/y__z__';
    expect(leaves(parseRich(text))).toBe('a b c d e f g h i_j_k https://x.io/y__z__');
    expect(withoutMarkers(text, 'show')).toBe(leaves(parseRich(text)));
  });

  it('makes links only of web addresses, never another scheme', () => {
    expect(parsed('**javascript:alert(1)** [x](javascript:alert(1))')).toBe('<b>javascript:alert(1)</b> [x](javascript:alert(1))');
  });
});

describe('withoutMarkers', () => {
  it.each([
    ['**bold** and __italic__ and _it_ and ~~gone~~', 'bold and italic and it and gone'],
    ['run `npm test` now', 'run npm test now'],
    ['```\nline 1\nline 2\n```', 'line 1\nline 2'],
    ['the killer is ||the butler||!', `the killer is ${SPOILER_MASK}!`],
    ['||**a** long secret sentence||', SPOILER_MASK],
    ['snake_case and **unclosed', 'snake_case and **unclosed'],
    ['', '']
  ])('%j → %j', (text, want) => {
    expect(withoutMarkers(text)).toBe(want);
  });

  it('shows a spoiler’s words when asked (what the search looks in)', () => {
    expect(withoutMarkers('the killer is ||the **butler**||', 'show')).toBe('the killer is the butler');
  });
});

describe('hostile input', () => {
  const K64 = 64 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(K64 / unit.length)).slice(0, K64);
  const cases: [string, string][] = [
    ['openers only', fill('**a ')],
    ['every marker', fill('**__~~||_`')],
    ['alternating openers', fill('**a ~~a ||a __a _a ')],
    ['nested then crossed closers', fill('**a ~~b ') + fill('c** d~~ ')],
    ['backticks', fill('`')],
    ['fences without close', fill('```a')],
    ['ticks across lines', fill('`a\n')],
    ['underscores in words', fill('a_b_')],
    ['pipes', fill('|')],
    ['link with brackets', 'https://x.io/' + fill(')')],
    ['links and markers', fill('**https://x.io/_** ')],
    ['no spaces at all', fill('a*~|_')]
  ];

  it.each(cases)('%s: 64 KB parses in linear time', (_name, text) => {
    const started = performance.now();
    const tree = parseRich(text);
    const took = performance.now() - started;
    // A quadratic pass over 64 KB takes seconds; a linear one a few ms (generous for a busy machine).
    expect(took).toBeLessThan(1000);
    expect(leaves(tree).length).toBeLessThanOrEqual(text.length);
    expect(withoutMarkers(text).length).toBeLessThanOrEqual(text.length);
  });

  it('never nests deeper than the five marker kinds', () => {
    const depth = (nodes: readonly RichNode[]): number => Math.max(0, ...nodes.map((n) => ('children' in n ? 1 + depth(n.children) : 0)));
    const text = fill('**a __b _c ~~d ||e ') + fill('e|| d~~ c_ b__ a** ');
    expect(depth(parseRich(text))).toBeLessThanOrEqual(5);
    expect(depth(parseRich('**a __b _c ~~d ||e|| d~~ c_ b__ a**'))).toBe(5);
  });

  it('costs about the same per character at 16 KB and 64 KB (no hidden quadratic path)', () => {
    // The fastest of five runs: a busy machine's pauses do not count.
    const time = (n: number) => {
      const text = '**a ~~b ||c __d _e `f '.repeat(n);
      let best = Infinity;
      for (let k = 0; k < 5; k++) {
        const t = performance.now();
        parseRich(text);
        best = Math.min(best, performance.now() - t);
      }
      return best;
    };
    time(500);
    const small = time(750);
    const large = time(3000);
    // 4× the text: a quadratic parser takes 16×; allow 10× for noise.
    expect(large).toBeLessThan(small * 10 + 50);
  });
});
