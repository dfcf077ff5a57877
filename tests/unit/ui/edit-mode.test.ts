// Editing a sent message on the page (ChatWindow's edit mode): the message's text in the composer,
// the chat's draft (and reply) kept aside and never overwritten by the edit, back when the edit ends.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StillWindow } from '../support/still-window';
import type { DraftSnapshot } from '$lib/chat/draft.svelte';

vi.mock('$lib/worker/client', () => ({ core: () => ({ on: () => () => {} }), errorMessage: (e: unknown) => (e instanceof Error ? e.message : String(e)) }));

type Row = { id: string; text: string; mine: boolean; file?: true };
/** Long enough (fake time) for every draft save the keeper would start, and its chat-list notice, to be done. */
const SETTLE_MS = 1000;
const mine: Row = { id: 'm1', text: 'the original', mine: true };
const theirs: Row = { id: 'p1', text: 'from the peer', mine: false };
const photo: Row = { id: 'f1', text: 'a caption', mine: true, file: true };

class EditWindow extends StillWindow<Row> {
  saves: DraftSnapshot[] = [];
  /** Typing notices the peer would get. */
  typingSent = 0;
  override onInput = () => void this.typingSent++;
  edits: [string, string][] = [];
  failing = false;
  protected override async saveDraft(_chat: string, d: DraftSnapshot) {
    this.saves.push(d);
  }
  override editable(m: Row) {
    return m.mine;
  }
  protected override hasFile(m: Row) {
    return !!m.file;
  }
  protected override async edit(m: Row, text: string) {
    if (this.failing) throw new Error('offline');
    this.edits.push([m.id, text]);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('document', { visibilityState: 'visible', addEventListener: () => {}, removeEventListener: () => {}, getElementById: () => null });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

async function opened() {
  const w = new EditWindow();
  w.reset();
  await vi.advanceTimersByTimeAsync(0);
  w.draft = 'my draft';
  w.actions.replyingTo = theirs;
  await vi.advanceTimersByTimeAsync(SETTLE_MS);
  expect(w.saves.at(-1)).toEqual({ text: 'my draft', replyTo: 'p1' });
  return w;
}

describe('editing a sent message', () => {
  it("puts its text in the composer; the edit's typing is never saved as the draft; Escape gives the draft back", async () => {
    const w = await opened();
    const saved = w.saves.length;
    w.actions.edit(mine);
    expect([w.editing?.id, w.draft, w.actions.replyingTo]).toEqual(['m1', 'the original', null]);
    w.draft = 'the original, changed';
    await vi.advanceTimersByTimeAsync(SETTLE_MS * 2);
    // Hidden or reloading meanwhile: what is saved is the draft, not the edit.
    await w.drafts.flush();
    expect(w.saves.slice(saved)).toEqual([]);
    w.onKeydown({ key: 'Escape', preventDefault: () => {} } as KeyboardEvent);
    expect([w.editing, w.draft, w.actions.replyingTo?.id]).toEqual([null, 'my draft', 'p1']);
    await vi.advanceTimersByTimeAsync(SETTLE_MS * 2);
    expect(w.saves.slice(saved)).toEqual([]);
    expect(w.edits).toEqual([]);
  });

  it('Save stores the new text and ends the edit; unchanged ends it without a call; blank is refused; a failure keeps it', async () => {
    const w = await opened();
    w.actions.edit(mine);
    w.draft = '  the original ';
    await w.submit();
    expect([w.editing, w.edits]).toEqual([null, []]);

    w.actions.edit(mine);
    w.draft = '   ';
    await w.submit();
    expect(w.editing?.id).toBe('m1');
    expect(w.actionError).toBe('A message cannot be empty.');

    w.failing = true;
    w.draft = 'new words';
    await w.submit();
    expect([w.editing?.id, w.draft, w.actionError]).toEqual(['m1', 'new words', 'offline']);

    w.failing = false;
    await w.submit();
    expect(w.edits).toEqual([['m1', 'new words']]);
    expect([w.editing, w.draft, w.actions.replyingTo?.id]).toEqual([null, 'my draft', 'p1']);
  });

  it("a file's caption may be emptied (Save stays enabled); a text's may not", async () => {
    const w = await opened();
    w.actions.edit(mine);
    expect(w.mayBeEmpty).toBe(false);
    w.endEdit();
    w.actions.edit(photo);
    expect([w.draft, w.mayBeEmpty]).toEqual(['a caption', true]);
    w.draft = '  ';
    await w.submit();
    expect([w.editing, w.actionError, w.edits]).toEqual([null, null, [['f1', '']]]);
    expect(w.mayBeEmpty).toBe(false);
  });

  it("offers no edit of the peer's message; Reply during an edit ends it first; another chat opening ends it", async () => {
    const w = await opened();
    w.actions.edit(theirs);
    expect(w.editing).toBeNull();
    w.actions.edit(mine);
    w.actions.reply(theirs);
    expect([w.editing, w.draft, w.actions.replyingTo?.id]).toEqual([null, 'my draft', 'p1']);
    w.actions.edit(mine);
    w.reset();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.editing).toBeNull();
    expect(w.saves.some((s) => s.text === 'the original')).toBe(false);
  });

  it('tells the peer "typing…" for a new message, not while editing a sent one', async () => {
    const w = await opened();
    w.typed();
    expect(w.typingSent).toBe(1);
    w.actions.edit(mine);
    w.draft = 'the original, fixed';
    w.typed();
    expect(w.typingSent).toBe(1);
    w.endEdit();
    w.typed();
    expect(w.typingSent).toBe(2);
  });
});
