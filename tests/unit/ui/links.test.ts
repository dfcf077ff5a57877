import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import MessageText from '$lib/components/MessageText.svelte';
import { linkTarget, splitLinks } from '$lib/api/links';

const links = (text: string) => splitLinks(text).filter((p) => p.href);

describe('splitLinks', () => {
  it('keeps the text whole and in order, links marked', () => {
    const text = 'see https://example.com/a?b=1#c and www.cinder.chat/x now';
    const parts = splitLinks(text);
    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(parts).toEqual([
      { text: 'see ' },
      { text: 'https://example.com/a?b=1#c', href: 'https://example.com/a?b=1#c' },
      { text: ' and ' },
      { text: 'www.cinder.chat/x', href: 'https://www.cinder.chat/x' },
      { text: ' now' }
    ]);
  });

  it('returns one plain part for text without links, and for empty text', () => {
    expect(splitLinks('no links here, just example.com and file.txt')).toEqual([{ text: 'no links here, just example.com and file.txt' }]);
    expect(splitLinks('')).toEqual([{ text: '' }]);
  });

  it('ends a link before trailing punctuation and an unbalanced closing bracket', () => {
    expect(links('Look: https://example.com/page.').map((p) => p.text)).toEqual(['https://example.com/page']);
    expect(links('(https://example.com/x)').map((p) => p.text)).toEqual(['https://example.com/x']);
    expect(links('https://en.wikipedia.org/wiki/Fire_(element), right?').map((p) => p.text)).toEqual(['https://en.wikipedia.org/wiki/Fire_(element)']);
    expect(links('"https://example.com/q?x=1"!').map((p) => p.text)).toEqual(['https://example.com/q?x=1']);
    expect(links('[https://example.com]').map((p) => p.text)).toEqual(['https://example.com']);
  });

  it('links only http(s) and www addresses, never another scheme', () => {
    expect(links('javascript:alert(1) data:text/html,<b>x</b> file:///etc/passwd ftp://x.org')).toEqual([]);
    expect(links('https:// http://')).toEqual([]);
    expect(links('www. www.x')).toEqual([]);
    expect(links('HTTPS://EXAMPLE.COM/Path')).toEqual([{ text: 'HTTPS://EXAMPLE.COM/Path', href: 'https://example.com/Path' }]);
  });

  it('ends a link at white space, quotes and angle brackets', () => {
    expect(links('a https://x.io/<script> b').map((p) => p.text)).toEqual(['https://x.io/']);
    expect(links('https://x.io/a\nhttps://y.io/b').map((p) => p.text)).toEqual(['https://x.io/a', 'https://y.io/b']);
  });

  it('does not start a link inside a word', () => {
    expect(links('xhttps://example.com awww.example.com')).toEqual([]);
  });

  it('links internationalised domains to their punycode form, showing what was typed', () => {
    expect(links('https://bücher.de/a')).toEqual([{ text: 'https://bücher.de/a', href: 'https://xn--bcher-kva.de/a' }]);
  });
});

describe('linkTarget', () => {
  it('refuses what is no web address', () => {
    expect(linkTarget('mailto:a@b.c')).toBeNull();
    expect(linkTarget('https://')).toBeNull();
    expect(linkTarget('http://localhost:3000/x')).toBe('http://localhost:3000/x');
    // The host is what follows the "@": such a link would go elsewhere than its text seems to say.
    expect(linkTarget('https://www.bank.com@evil.example/login')).toBeNull();
    expect(linkTarget('https://user:pass@example.com/')).toBeNull();
  });
});

describe('MessageText.svelte', () => {
  it('renders the text as typed, links as new-tab anchors with no referrer, nothing added between', () => {
    const { body } = render(MessageText, { props: { text: 'a <b> https://x.io/p?q=1&r=2.\nb' } });
    const html = body.replace(/<!--[^>]*-->/g, '');
    expect(html).toMatch(
      /^<p class="text(?: [^"]*)?">a &lt;b> <a href="https:\/\/x.io\/p\?q=1&amp;r=2" target="_blank" rel="noopener noreferrer nofollow"[^>]*>https:\/\/x.io\/p\?q=1&amp;r=2<\/a>.\nb<\/p>$/
    );
  });
});
