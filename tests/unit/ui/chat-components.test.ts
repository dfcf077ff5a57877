// Server-side renders of the chat screens' shared pieces: the markup the E2E tests find them by
// (roles, accessible names, ids, classes) is what the two chat pages rendered before they shared it.
import { describe, expect, it } from 'vitest';
import { createRawSnippet } from 'svelte';
import { render } from 'svelte/server';
import Composer from '$lib/components/Composer.svelte';
import Menu from '$lib/components/Menu.svelte';
import MessageList from '$lib/components/MessageList.svelte';
import SelectionBar from '$lib/components/SelectionBar.svelte';
import { StillWindow as Still, icon } from '../support/still-window';

type Row = { id: string; text: string };

class StillWindow extends Still<Row> {}

const row = createRawSnippet((m: () => Row) => ({ render: () => `<li data-row-id="${m().id}">${m().text}</li>` }));
const item = createRawSnippet(() => ({ render: () => '<li role="none"><button role="menuitem">Clear history</button></li>' }));
const trigger = createRawSnippet(() => ({ render: () => '<button aria-label="Chat actions"></button>' }));

describe('Composer.svelte', () => {
  it('renders the message field, the send button and the attach button', () => {
    const win = new StillWindow();
    const { body } = render(Composer<Row>, { props: { win, placeholder: 'Secret message', attachLabel: 'Attach a photo or file', onfile: () => {}, icon } });
    expect(body).toContain('<form class="composer"');
    expect(body).toContain('id="composer"');
    expect(body).toContain('placeholder="Secret message"');
    expect(body).toContain('maxlength="4096"');
    expect(body).toContain('<label class="visually-hidden" for="composer">Message</label>');
    expect(body).toMatch(/aria-label="Send"[^>]*disabled/);
    expect(body).toMatch(/<button type="button" class="icon-btn attach" aria-label="Attach a photo or file">/);
    expect(body).not.toContain('accept=');
    expect(body).not.toContain('role="alert"');
  });

  it('shows the error inside the form and can disable the attach button', () => {
    const win = new StillWindow();
    win.draft = 'hi';
    const { body } = render(Composer<Row>, {
      props: {
        win,
        placeholder: 'Message',
        attachLabel: 'Attach photo or video',
        accept: 'image/*,video/*',
        attachDisabled: true,
        error: 'No network',
        onfile: () => {},
        icon
      }
    });
    expect(body).toContain('<p class="error" role="alert">No network</p>');
    expect(body).toContain('accept="image/*,video/*"');
    expect(body).toMatch(/aria-label="Attach photo or video" disabled/);
    expect(body).not.toMatch(/aria-label="Send"[^>]*disabled/);
  });
});

describe('MessageList.svelte', () => {
  it('renders the rows in the labelled list inside the scroller', () => {
    const win = new StillWindow();
    win.messages = [
      { id: 'a', text: 'first' },
      { id: 'b', text: 'second' }
    ];
    const { body } = render(MessageList<Row>, { props: { win, error: null, row } });
    expect(body).toContain('class="scroll messages"');
    expect(body).toMatch(/<ol class="log" aria-label="Messages">.*first.*second.*<\/ol>/s);
    expect(body).not.toContain('Go to the newest messages');
  });

  it('shows an error instead of the rows, and the newest-messages button when scrolled far back', () => {
    const win = new StillWindow();
    win.hasNewer = true;
    const { body } = render(MessageList<Row>, { props: { win, error: 'Not found', row } });
    expect(body).toContain('<p class="empty error" role="alert">Not found</p>');
    expect(body).not.toContain('class="log"');
    expect(body).toContain('aria-label="Go to the newest messages"');
  });
});

describe('SelectionBar.svelte and Menu.svelte', () => {
  it('renders the selection bar', () => {
    const win = new StillWindow();
    win.toggle({ id: 'a', text: '' });
    const { body } = render(SelectionBar<Row>, { props: { win } });
    expect(body).toContain('aria-label="Cancel selection"');
    expect(body).toContain('<h1>1 selected</h1>');
    // It asks before deleting (MessageActions' dialog): the bar only offers Delete.
    expect(body).toMatch(/<button class="btn danger"[^>]*>Delete<\/button>/);
  });

  it('renders the menu only when open', () => {
    const closed = render(Menu, { props: { open: false, label: 'Secret chat actions', trigger, children: item } }).body;
    expect(closed).toContain('aria-label="Chat actions"');
    expect(closed).not.toContain('role="menu"');
    const open = render(Menu, { props: { open: true, label: 'Self-destruct timer', class: 'timer-menu', trigger, children: item } }).body;
    expect(open).toMatch(/<ul class="menu timer-menu[^"]*" role="menu" aria-label="Self-destruct timer">/);
    expect(open).toContain('role="menuitem"');
    const plain = render(Menu, { props: { open: true, label: 'Secret chat actions', trigger, children: item } }).body;
    expect(plain).toMatch(/<ul class="menu svelte-[a-z0-9]+" role="menu" aria-label="Secret chat actions">/);
  });
});
