// The composer's draft kept per chat ($lib/chat/draft.svelte.ts through ChatWindow): saved as soon as
// the previous save is done, at once when the chat changes, the app is hidden or left, reloads for an
// update, or a message is sent; restored when its chat opens again; taken from another tab's save when
// the composer holds nothing unsaved.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DraftSnapshot } from '$lib/chat/draft.svelte';
import { holdReload, reloadHeld, saveBeforeReload } from '$lib/pwa/reload-guard';
import type { WorkerEvent } from '$lib/worker/protocol';
import { StillWindow } from '../support/still-window';

const worker = vi.hoisted(() => ({ listeners: new Set<(e: WorkerEvent) => void>(), leaves: new Set<() => Promise<unknown>>() }));
vi.mock('$lib/worker/client', () => ({
  core: () => ({
    on: (l: (e: WorkerEvent) => void) => (worker.listeners.add(l), () => worker.listeners.delete(l)),
    onLeave: (f: () => Promise<unknown>) => (worker.leaves.add(f), () => worker.leaves.delete(f))
  }),
  errorMessage: String
}));
/** The worker says chat `chat`'s draft changed (another tab's save, or this tab's own coming back). */
const draftEvent = (chat: string, kind: 'cloud' | 'secret' = 'cloud') => {
  for (const l of worker.listeners) l({ type: 'draft', kind, chat });
};

type Row = { id: string; text: string; mine: boolean };
const rows: Record<string, Row> = { m1: { id: 'm1', text: 'the original', mine: false } };

/** The worker's drafts, in memory. */
class Store {
  drafts = new Map<string, DraftSnapshot>();
  saves: [string, DraftSnapshot][] = [];
  loads = 0;
  failing = false;
  async load(chat: string) {
    this.loads++;
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

class DraftWindow extends StillWindow<Row> {
  chat = 'a';
  constructor(readonly store: Store) {
    super();
  }
  protected override chatId() {
    return this.chat;
  }
  protected override loadDraft = (chat: string) => this.store.load(chat);
  protected override saveDraft(chat: string, d: DraftSnapshot) {
    return this.store.save(chat, d);
  }
  override send = async () => {
    this.draft = '';
    this.actions.replyingTo = null;
    await this.drafts.flush();
  };
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
  worker.listeners.clear();
  worker.leaves.clear();
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
  it('saves at once, typing meanwhile in one save after it, keeps each chat its own draft, and restores it (with its reply) when the chat opens again', async () => {
    const store = new Store();
    let done = () => {};
    const save = store.save.bind(store);
    // The first save is slow: what is typed while it is on its way waits, and goes as one save.
    let started = 0;
    store.save = (chat: string, d: DraftSnapshot) => (started++, new Promise<void>((r) => (done = r)).then(() => save(chat, d)));
    const w = new DraftWindow(store);
    await w.go('a');
    w.draft = 'h';
    // No pause in typing waited for: a reload right after the key loses nothing.
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toBe(1);
    w.draft = 'he';
    w.draft = 'hel';
    w.draft = 'hello';
    await vi.advanceTimersByTimeAsync(100);
    expect([started, store.saves]).toEqual([1, []]);
    store.save = save;
    done();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.saves).toEqual([
      ['a', { text: 'h', replyTo: null }],
      ['a', { text: 'hello', replyTo: null }]
    ]);

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
    await vi.advanceTimersByTimeAsync(1000);
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
    await vi.advanceTimersByTimeAsync(0);
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
    await vi.advanceTimersByTimeAsync(0);
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
    await vi.advanceTimersByTimeAsync(0);
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
    await vi.advanceTimersByTimeAsync(1000);
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

describe('chat drafts across tabs', () => {
  it('a composer with nothing unsaved takes what another tab stored or deleted; one with unsaved typing keeps it', async () => {
    const store = new Store();
    const w = new DraftWindow(store);
    const stop = w.start();
    await w.go('a');

    // Another tab stored a draft (with its reply) for this chat: the empty composer takes it.
    store.drafts.set('a', { text: 'from the other tab', replyTo: 'm1' });
    draftEvent('a');
    await vi.advanceTimersByTimeAsync(0);
    expect([w.draft, w.actions.replyingTo?.id]).toEqual(['from the other tab', 'm1']);
    // Taken, not saved back (which would move the chat up the list and echo again).
    expect(store.saves).toEqual([]);

    // Another chat's draft, or a secret chat's with the same id: not this composer's.
    store.drafts.set('a', { text: 'changed again', replyTo: null });
    draftEvent('b');
    draftEvent('a', 'secret');
    await vi.advanceTimersByTimeAsync(0);
    expect(w.draft).toBe('from the other tab');

    // The other tab sent it: the draft is deleted, and this composer empties.
    store.drafts.delete('a');
    draftEvent('a');
    await vi.advanceTimersByTimeAsync(0);
    expect([w.draft, w.actions.replyingTo]).toEqual(['', null]);
    expect(store.saves).toEqual([]);

    // Typing here not saved yet: the other tab's draft does not replace it, and this tab's save wins.
    w.draft = 'my own words';
    store.drafts.set('a', { text: 'the other tab again', replyTo: null });
    draftEvent('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(w.draft).toBe('my own words');
    expect(store.drafts.get('a')?.text).toBe('my own words');
    stop();
  });

  it("this tab's own save coming back changes nothing, and a read on its way does not undo keystrokes typed meanwhile", async () => {
    const store = new Store();
    const w = new DraftWindow(store);
    const stop = w.start();
    await w.go('a');
    let restores = 0;
    const restore = (w.drafts as unknown as { restore: (t: string, r: Row | null) => void }).restore;
    (w.drafts as unknown as { restore: typeof restore }).restore = (t, r) => (restores++, restore(t, r));
    w.draft = 'typed here';
    await vi.advanceTimersByTimeAsync(0);
    expect(store.drafts.get('a')?.text).toBe('typed here');
    // The worker's event for this tab's own save: read, the same as stored, nothing restored.
    draftEvent('a');
    await vi.advanceTimersByTimeAsync(0);
    expect([w.draft, restores, store.saves.length]).toEqual(['typed here', 0, 1]);

    // A save starts while the echo waits for the one before: the read waits for it too, not reading the older text.
    let land = () => {};
    const save = store.save.bind(store);
    store.save = (chat: string, d: DraftSnapshot) => new Promise<void>((r) => (land = r)).then(() => save(chat, d));
    w.draft = 'typed here, more';
    await vi.advanceTimersByTimeAsync(0);
    draftEvent('a');
    await vi.advanceTimersByTimeAsync(0);
    w.draft = 'typed here, more and more';
    void w.drafts.flush();
    await vi.advanceTimersByTimeAsync(0);
    land();
    await vi.advanceTimersByTimeAsync(0);
    land();
    await vi.advanceTimersByTimeAsync(0);
    store.save = save;
    expect([w.draft, restores]).toEqual(['typed here, more and more', 0]);
    w.draft = 'typed here';
    await vi.advanceTimersByTimeAsync(0);

    // Another tab's draft is being read (slowly) when the user types a key: the key stays.
    const release = slowLoad(store);
    store.drafts.set('a', { text: 'from the other tab', replyTo: null });
    draftEvent('a');
    await vi.advanceTimersByTimeAsync(0);
    w.draft = 'typed here!';
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.draft).toBe('typed here!');
    expect(store.drafts.get('a')?.text).toBe('typed here!');
    stop();
  });

  it('saves at `beforeunload` (before the worker pauses) what a save on its way left unsaved', async () => {
    const store = new Store();
    const w = new DraftWindow(store);
    const stop = w.start();
    await w.go('a');
    w.draft = 'typed just before the reload';
    // The page is being left before the queued save started.
    expect(worker.leaves.size).toBe(1);
    await Promise.all([...worker.leaves].map((save) => save()));
    expect(store.drafts.get('a')?.text).toBe('typed just before the reload');
    stop();
    expect(worker.leaves.size).toBe(0);
  });
});
