// Server-side renders of the chat search's pieces: the search bar, and a bubble's text marked while searching.
import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import MessageText from '$lib/components/MessageText.svelte';
import SearchBar from '$lib/components/SearchBar.svelte';
import { ChatSearch, SEARCH_MARKS } from '$lib/chat/search.svelte';

const searching = (query: string) => {
  const search = new ChatSearch(
    () => ({ kind: 'secret', id: 'c' }),
    async () => {}
  );
  search.open = true;
  search.query = search.answered = query;
  return search;
};

const text = (body: string) =>
  body
    .match(/<p class="text[^"]*">([\s\S]*)<\/p>/)![1]
    .replace(/<!--[^>]*-->/g, '')
    .replace(/ class="svelte-[a-z0-9]+"/g, '');

describe('MessageText.svelte while searching', () => {
  it('marks the matches, inside a link too, leaving the text and the link as they were', () => {
    const msg = 'Café at\nwww.cafe.example, CAFE!';
    const { body } = render(MessageText, { props: { text: msg }, context: new Map([[SEARCH_MARKS, searching('cafe')]]) });
    expect(text(body)).toBe(
      '<mark>Café</mark> at\n<a href="https://www.cafe.example/" target="_blank" rel="noopener noreferrer nofollow">www.<mark>cafe</mark>.example</a>, <mark>CAFE</mark>!'
    );
  });

  it('marks nothing outside a search, nor for a query too short', () => {
    const plain = render(MessageText, { props: { text: 'Café at 5' } });
    expect(text(plain.body)).toBe('Café at 5');
    const short = render(MessageText, { props: { text: 'Café at 5' }, context: new Map([[SEARCH_MARKS, searching('c')]]) });
    expect(short.body).not.toContain('<mark>');
  });
});

describe('SearchBar.svelte', () => {
  it('renders the field, the position and the buttons', () => {
    const search = searching('cafe');
    search.ids = ['a', 'b', 'c'];
    search.index = 1;
    const { body } = render(SearchBar, { props: { search } });
    expect(body).toContain('role="search"');
    expect(body).toMatch(/<input type="search" aria-label="Search this chat"/);
    expect(body).toContain('2 of 3');
    expect(body).toMatch(/aria-label="Older match"/);
    expect(body).toMatch(/aria-label="Close search"/);
    expect(body).not.toContain('Only messages on this device');
    search.ids = [];
    search.partial = true;
    const none = render(SearchBar, { props: { search } }).body;
    expect(none).toContain('No results');
    expect(none).toContain('Only messages on this device are searched.');
  });
});
