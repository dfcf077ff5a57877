// Server-side renders of the message actions' pieces: the roles and names the E2E tests and
// assistive technology find them by.
import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import ConfirmDialog from '$lib/components/ConfirmDialog.svelte';
import ReplyQuote from '$lib/components/ReplyQuote.svelte';

describe('ConfirmDialog.svelte', () => {
  it('is an alertdialog named by its title, with the answers in order and Cancel last', () => {
    const { body } = render(ConfirmDialog<'me' | 'everyone'>, {
      props: {
        open: false,
        title: 'Delete this message?',
        message: 'Removed from this device only.',
        choices: [
          { value: 'me', label: 'Delete for me', danger: true },
          { value: 'everyone', label: 'Delete for both', danger: true }
        ],
        onanswer: () => {}
      }
    });
    expect(body).toMatch(/<dialog[^>]*role="alertdialog"[^>]*aria-modal="true"/);
    const title = body.match(/aria-labelledby="([^"]+)"/)?.[1];
    expect(title).toBeTruthy();
    expect(body).toMatch(new RegExp(`<h2 id="${title}"[^>]*>Delete this message\\?</h2>`));
    const described = body.match(/aria-describedby="([^"]+)"/)?.[1];
    expect(body).toMatch(new RegExp(`<p id="${described}"[^>]*>Removed from this device only.</p>`));
    const labels = [...body.matchAll(/<button[^>]*>([^<]+)<\/button>/g)].map((m) => m[1]);
    expect(labels).toEqual(['Delete for me', 'Delete for both', 'Cancel']);
  });
});

describe('ReplyQuote.svelte', () => {
  it('names who wrote the original and what it said, as a button', () => {
    const mine = render(ReplyQuote, { props: { quote: { id: 'q1', snippet: 'lunch?', mine: true }, peerName: 'Bob', onjump: () => {} } }).body;
    expect(mine).toContain('aria-label="Reply to You: lunch?. Show the original message"');
    expect(mine).toContain('data-quote-of="q1"');
    const theirs = render(ReplyQuote, { props: { quote: { id: 'q2', snippet: 'Photo', mine: false }, peerName: 'Bob', onjump: () => {} } }).body;
    expect(theirs).toContain('Reply to Bob: Photo');
  });
});
