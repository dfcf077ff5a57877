// Server-side renders of a bubble's formatted text: elements built from the parsed tree (never HTML from
// the text), spoilers hidden until revealed for their message, and a search's marks over the shown text.
import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import MessageText from '$lib/components/MessageText.svelte';
import { ChatSearch, SEARCH_MARKS } from '$lib/chat/search.svelte';
import { showSpoilers } from '$lib/chat/spoilers.svelte';

/** The paragraph's inside, without Svelte's comments and scoped classes. */
const inner = (body: string) =>
  body
    .match(/<p class="text[^"]*">([\s\S]*)<\/p>/)![1]
    .replace(/<!--[^>]*-->/g, '')
    .replace(/ ?svelte-[a-z0-9]+/g, '')
    .replace(/class="\s*([^"]*?)\s*"/g, 'class="$1"')
    .replace(/ class=""/g, '');

const html = (text: string, id?: string, context?: Map<unknown, unknown>) => inner(render(MessageText, { props: { text, id }, context }).body);

const searching = (query: string) => {
  const search = new ChatSearch(
    () => ({ kind: 'cloud', id: 'bob' }),
    async () => {}
  );
  search.open = true;
  search.query = search.answered = query;
  return new Map([[SEARCH_MARKS, search]]);
};

describe('MessageText.svelte with formatting', () => {
  it('renders each marker as its element, nothing added between, markers gone', () => {
    expect(html('a **b _c_** ~~d~~ `e` f')).toBe('a <strong>b <em>c</em></strong> <s>d</s> <code>e</code> f');
    expect(html('see:\n```\n  x  = 1\n```\nok')).toBe('see:\n<code class="block">  x  = 1</code>\nok');
  });

  it('never turns the text into markup, formatted or not', () => {
    expect(html('**<img src=x onerror=alert(1)>** `<script>`')).toBe('<strong>&lt;img src=x onerror=alert(1)></strong> <code>&lt;script></code>');
    expect(html('**[x](javascript:alert(1))**')).toBe('<strong>[x](javascript:alert(1))</strong>');
  });

  it('keeps links working inside formatting, never inside code', () => {
    expect(html('**go to https://x.io/a_b_c**')).toBe(
      '<strong>go to <a href="https://x.io/a_b_c" target="_blank" rel="noopener noreferrer nofollow">https://x.io/a_b_c</a></strong>'
    );
    expect(html('`https://x.io`')).toBe('<code>https://x.io</code>');
  });

  it('hides a spoiler behind a button, its link inert, until its message’s spoilers are revealed', () => {
    const text = 'the code is ||4521 https://x.io||';
    const hidden = html(text, 'msg-1');
    expect(hidden).toBe(
      'the code is <span class="spoiler hidden" role="button" tabindex="0" aria-label="Spoiler, hidden: show it"><span aria-hidden="true" class="veil">4521 https://x.io</span></span>'
    );
    // Another message's reveal changes nothing here; this one's shows every spoiler of it.
    showSpoilers('msg-other');
    expect(html(text, 'msg-1')).toBe(hidden);
    showSpoilers('msg-1');
    expect(html('||a|| and ||b https://x.io||', 'msg-1')).toBe(
      '<span class="spoiler" tabindex="-1"><span>a</span></span> and <span class="spoiler" tabindex="-1"><span>b <a href="https://x.io/" target="_blank" rel="noopener noreferrer nofollow">https://x.io</a></span></span>'
    );
  });

  it('marks a search’s matches across formatting, never inside a hidden spoiler', () => {
    expect(html('the **old** harbour', undefined, searching('old harbour'))).toBe('the <strong><mark>old</mark></strong><mark> harbour</mark>');
    expect(html('`cafe` and ||cafe||', 'msg-2', searching('cafe'))).toContain('<code><mark>cafe</mark></code> and <span class="spoiler hidden"');
    expect(html('`cafe` and ||cafe||', 'msg-2', searching('cafe'))).toMatch(/class="veil">cafe<\/span>/);
  });

  it('renders a hostile 64 KB text of markers promptly, its unused markers as text', () => {
    const text = '**a ~~b ||c __d _e `f '.repeat(3000).slice(0, 64 * 1024);
    const started = performance.now();
    const out = html(text, 'msg-3');
    expect(performance.now() - started).toBeLessThan(5000);
    expect(out.replace(/<[^>]*>/g, '').length).toBeGreaterThan(60 * 1024);
  });
});
