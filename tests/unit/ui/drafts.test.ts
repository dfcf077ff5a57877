// The composer's draft kept per chat ($lib/chat/draft.svelte.ts through ChatWindow): saved once typing
// pauses, at once when the chat changes, the app is hidden or reloads for an update, or a message is
// sent; restored when its chat opens again.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatWindow } from '$lib/chat/window.svelte';
import { DRAFT_SAVE_MS, type DraftSnapshot } from '$lib/chat/draft.svelte';
import { holdReload, reloadHeld, saveBeforeReload } from '$lib/pwa/reload-guard';

vi.mock('$lib/worker/client', () => ({ core: () => ({ on: () => () => {} }), errorMessage: String }));

type Row = { id: string; text: string; mine: boolean };
const rows: Record<string, Row> = { m1: { id: 'm1', text: 'the original', mine: false } };

/** The worker's drafts, in memory. */
class Store {
  drafts = new Map<string, DraftSnapshot>();
  saves: [string, DraftSnapshot][] = [];
  failing = false;
  async load(chat: string) {
    const d = this.drafts.get(chat);
    return d ? { text: d.text, replyTo: d.replyTo ? rows[d.replyTo] : null } : null;
  }
  async save(chat: string, d: DraftSnapshot) {
    if (this.failing) throw new Error('locked');
    this.saves.push([chat, d]);
    if (d.text.trim()) this.drafts.set(chat, d);
    else this.drafts.delete(chat);
  }
}

class DraftWindow extends ChatWindow<Row> {
  chat = 'a';
  constructor(readonly store: Store) {
    super(1000);
  }
  protected async older() {
    return { messages: [], hasMore: false };
  }
  protected async newer() {
    return { messages: [], hasNewer: false };
  }
  protected async latest() {}
  protected onEvent() {}
  protected chatId() {
    return this.chat;
  }
  protected loadDraft = (chat: string) => this.store.load(chat);
  protected saveDraft(chat: string, d: DraftSnapshot) {
    return this.store.save(chat, d);
  }
  send = async () => {
    this.draft = '';
    this.actions.replyingTo = null;
    await this.drafts.flush();
  };
  onInput = () => {};
  deleteSelected = async () => {};
  async deleteFor() {}
  /** Another chat opens (the route's id changes, then the page resets the window). */
  async go(chat: string) {
    this.chat = chat;
    this.reset();
    await vi.advanceTimersByTimeAsync(0);
  }
}

/** The stored draft is read only once the returned function is called (a slow worker). */
function slowLoad(store: Store): () => void {
  let release = () => {};
  const slow = new Promise<void>((r) => (release = r));
  const load = store.load.bind(store);
  store.load = async (chat: string) => (await slow, load(chat));
  return () => release();
}

let visibility: 'visible' | 'hidden' = 'visible';
const listeners = new Set<() => void>();

beforeEach(() => {
  vi.useFakeTimers();
  visibility = 'visible';
  listeners.clear();
  vi.stubGlobal('document', {
    get visibilityState() {
      return visibility;
    },
    addEventListener: (_t: string, f: () => void) => listeners.add(f),
    removeEventListener: (_t: string, f: () => void) => listeners.delete(f),
    getElementById: () => null
  });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('chat drafts on the page', () => {
  it('saves once typing pauses, keeps each chat its own draft, and restores it (with its reply) when the chat opens again', async () => {
    const store = new Store();
    const w = new DraftWindow(store);
    await w.go('a');
    w.draft = 'hel';
    w.draft = 'hello';
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_MS - 50);
    expect(store.saves).toEqual([]);
    await vi.advanceTimersByTimeAsync(50);
    expect(store.saves).toEqual([['a', { text: 'hello', replyTo: null }]]);

    // Replying is part of the draft; switching chats saves it at once and empties the composer.
    w.actions.replyingTo = rows.m1;
    await w.go('b');
    expect(store.drafts.get('a')).toEqual({ text: 'hello', replyTo: 'm1' });
    expect([w.draft, w.actions.replyingTo]).toEqual(['', null]);
    w.draft = 'for b';
    await w.go('a');
    expect(store.drafts.get('b')).toEqual({ text: 'for b', replyTo: null });
    expect([w.draft, w.actions.replyingTo?.id]).toEqual(['hello', 'm1']);
    // A restored draft is not saved again (its time would move the chat up the list).
    const saved = store.saves.length;
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_MS * 2);
    expect(store.saves.length).toBe(saved);

    // Sending clears it.
    await w.send();
    expect(store.drafts.has('a')).toBe(false);
  });

  it('is saved at once when the app is hidden and before an update reloads the tab; a draft not saved holds the reload', async () => {
    const store = new Store();
    const w = new DraftWindow(store);
    const stop = w.start();
    await w.go('a');
    w.draft = 'typed just before the phone went to the home screen';
    visibility = 'hidden';
    for (const f of listeners) f();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.drafts.get('a')?.text).toBe('typed just before the phone went to the home screen');

    w.draft = 'typed just before the update';
    await saveBeforeReload();
    expect(store.drafts.get('a')?.text).toBe('typed just before the update');

    // The app was locked: the save fails, and the draft keeps an update from reloading the tab.
    const off = holdReload(() => w.drafts.failed && w.draft.trim());
    store.failing = true;
    w.draft = 'not stored';
    await saveBeforeReload();
    expect(reloadHeld()).toBe(true);
    // Tried again at the next occasion (here: hidden again).
    store.failing = false;
    for (const f of listeners) f();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.drafts.get('a')?.text).toBe('not stored');
    expect(reloadHeld()).toBe(false);
    off();

    // Leaving the chat screen saves; nothing is saved for it after.
    w.draft = 'last words';
    stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.drafts.get('a')?.text).toBe('last words');
    w.draft = 'after close';
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_MS);
    expect(store.drafts.get('a')?.text).toBe('last words');
  });

  it('does not overwrite what the user typed while the stored draft was being read', async () => {
    const store = new Store();
    store.drafts.set('a', { text: 'old draft', replyTo: null });
    const release = slowLoad(store);
    const w = new DraftWindow(store);
    w.chat = 'a';
    w.reset();
    w.draft = 'new words';
    release();
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_MS);
    expect(w.draft).toBe('new words');
    expect(store.drafts.get('a')?.text).toBe('new words');
  });
});

describe('chat drafts saved in order', () => {
  it('a blank draft (a send) saved while a slower save of text is on its way is stored last', async () => {
    const store = new Store();
    const order: string[] = [];
    const save = store.save.bind(store);
    // The worker seals a text (slow) but not a blank: unordered, the text would land after the blank.
    store.save = async (chat: string, d: DraftSnapshot) => {
      if (d.text) await new Promise((r) => setTimeout(r, 50));
      order.push(d.text);
      return save(chat, d);
    };
    const w = new DraftWindow(store);
    await w.go('a');
    w.draft = 'about to send';
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_MS);
    const sent = w.send();
    await vi.advanceTimersByTimeAsync(100);
    await sent;
    expect(order).toEqual(['about to send', '']);
    expect(store.drafts.has('a')).toBe(false);
  });
});

describe('chat drafts racing the chat opening', () => {
  it('a message typed and sent before the stored draft was read replaces that draft: it is neither restored nor kept', async () => {
    const store = new Store();
    store.drafts.set('a', { text: 'an old draft', replyTo: null });
    const release = slowLoad(store);
    const w = new DraftWindow(store);
    w.chat = 'a';
    w.reset();
    w.draft = 'quick words';
    await w.send();
    release();
    await vi.advanceTimersByTimeAsync(DRAFT_SAVE_MS * 2);
    expect(w.draft).toBe('');
    expect(store.drafts.has('a')).toBe(false);
  });
});

describe('chat drafts before a reload', () => {
  it('the save before a reload waits for a save still on its way and says when it failed', async () => {
    const store = new Store();
    let fail = (_e: Error) => {};
    const save = store.save.bind(store);
    const w = new DraftWindow(store);
    const stop = w.start();
    await w.go('a');
    // The app is hidden: its flush starts a save the worker has not answered when the update's save runs.
    store.save = (chat: string, d: DraftSnapshot) => new Promise((_ok, no) => (fail = no)).then(() => save(chat, d));
    w.draft = 'typed as the tab was hidden';
    visibility = 'hidden';
    for (const f of listeners) f();
    await vi.advanceTimersByTimeAsync(0);
    const before = saveBeforeReload(5_000);
    fail(new Error('locked'));
    await vi.advanceTimersByTimeAsync(0);
    expect(await before).toBe(false);
    expect(w.drafts.failed).toBe(true);
    stop();
  });
});
