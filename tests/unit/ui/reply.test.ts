// What a reply quotes of its original (the snippet and who wrote it), built by the chat screens.
import { describe, expect, it } from 'vitest';
import { ReplyQuote } from '$lib/api/quote';
import { SPOILER_MASK } from '$lib/api/rich-text';
import { attachmentLabel, quoteAuthor, quoteFor, SNIPPET_MAX, snippetOf, timedMedia } from '$lib/chat/reply';

describe('reply snippets', () => {
  it('quotes the first non-empty line of the text', () => {
    expect(snippetOf({ text: '\n  first line  \nsecond' }, null)).toBe('first line');
  });

  it('cuts a long line with an ellipsis, within the wire limit', () => {
    const s = snippetOf({ text: 'x'.repeat(500) }, null);
    expect([...s].length).toBe(SNIPPET_MAX);
    expect(s.endsWith('…')).toBe(true);
    expect(ReplyQuote.safeParse({ snippet: s, from: 'sender' }).success).toBe(true);
  });

  it('names an attachment without text: photo, video, voice message, file name', () => {
    expect(snippetOf({ text: '' }, { mime: 'image/png', name: 'a.png' })).toBe('Photo');
    expect(snippetOf({ text: '' }, { mime: 'video/mp4', name: 'a.mp4' })).toBe('Video');
    expect(snippetOf({ text: '' }, { mime: 'audio/ogg', name: 'voice.ogg' })).toBe('Voice message');
    expect(snippetOf({ text: '' }, { mime: 'application/pdf', name: 'report.pdf' })).toBe('report.pdf');
    expect(attachmentLabel(null)).toBe('');
    // A caption wins over the attachment's kind.
    expect(snippetOf({ text: 'look' }, { mime: 'image/png', name: 'a.png' })).toBe('look');
  });

  it('quotes the text as shown: no formatting markers, a code block by its first line, a spoiler masked', () => {
    expect(snippetOf({ text: '**Dinner** at _8_ ~~tomorrow~~\nsecond line' }, null)).toBe('Dinner at 8 tomorrow');
    expect(snippetOf({ text: '```\nconst x = 1;\nconst y = 2;\n```' }, null)).toBe('const x = 1;');
    expect(snippetOf({ text: 'snake_case stays, **so does this' }, null)).toBe('snake_case stays, **so does this');
    const masked = quoteFor({ text: 'the killer is ||the butler||', mine: false }, null);
    expect(masked).toEqual({ snippet: `the killer is ${SPOILER_MASK}`, from: 'recipient' });
    expect(ReplyQuote.safeParse(masked).success).toBe(true);
  });

  it('strips control characters so the snippet always passes the wire check', () => {
    const s = snippetOf({ text: 'a\tb\u0007c' }, null);
    expect(s).toBe('a b c');
    expect(ReplyQuote.safeParse({ snippet: s, from: 'recipient' }).success).toBe(true);
  });

  it('says who wrote the original from the reply author’s side', () => {
    expect(quoteFor({ text: 'mine', mine: true }, null)).toEqual({ snippet: 'mine', from: 'sender' });
    expect(quoteFor({ text: 'theirs', mine: false }, null)).toEqual({ snippet: 'theirs', from: 'recipient' });
    // A self-destructing original is quoted by its kind only, never its words.
    expect(quoteFor({ text: 'burn this', mine: false }, null, true)).toEqual({ snippet: 'Self-destructing message', from: 'recipient' });
    expect(quoteFor({ text: 'caption', mine: true }, { mime: 'image/jpeg', name: 'x.jpg' }, true).snippet).toBe('Photo');
    // Nor its file's name, which is its sender's words too (and outlives the file in the reply).
    expect(quoteFor({ text: '', mine: false }, { mime: 'application/pdf', name: 'layoffs-march.pdf' }, true).snippet).toBe('File');
    expect(quoteFor({ text: '', mine: false }, { mime: 'application/pdf', name: 'layoffs-march.pdf' }).snippet).toBe('layoffs-march.pdf');
    expect([timedMedia({ ttl: 30 }), timedMedia({ ttl: 0 }), timedMedia(null)]).toEqual([true, false, false]);
    expect(quoteAuthor({ mine: true }, 'Bob')).toBe('You');
    expect(quoteAuthor({ mine: false }, 'Bob')).toBe('Bob');
  });
});
