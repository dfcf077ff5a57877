/**
 * Search inside the open chat: the query typed in the search bar (SearchBar), the worker's answer
 * (`searchChat`: the matching ids, newest first) and the result shown, which the window jumps to
 * (`MessageActions.jumpTo`, re-centring it however far back). The bubbles mark the query's matches
 * (MessageText reads it through `searchMarks`).
 */
import { getContext, setContext } from 'svelte';
import { searchNeedle } from '$lib/api/search-text';
import { core, errorMessage } from '$lib/worker/client';
import type { ChatWindow } from './window.svelte';

/** How long typing pauses before the worker is asked (ms). */
const TYPING_PAUSE = 250;

export type SearchTarget = { kind: 'cloud' | 'secret'; id: string };

export class ChatSearch {
  open = $state(false);
  query = $state('');
  /** The matching messages, newest first. */
  ids = $state<string[]>([]);
  /** Which of `ids` is shown (0: the newest); -1 before any. */
  index = $state(-1);
  /** More matches than the worker returns. */
  more = $state(false);
  /** Older history may be on the relay only (a cloud chat): only what is here was searched. */
  partial = $state(false);
  /** The query the answer shown is for (null: none yet). */
  answered = $state<string | null>(null);
  error = $state<string | null>(null);
  /** The query the bubbles mark (the answer's, so marks and results agree). */
  readonly marking = $derived(this.open ? (this.answered ?? '') : '');
  /** "2 of 7", "No results", or nothing while the query is too short or unanswered. */
  readonly position = $derived(
    this.answered === null || this.answered !== this.query ? '' : this.ids.length ? `${this.index + 1} of ${this.ids.length}${this.more ? '+' : ''}` : 'No results'
  );

  private readonly target: () => SearchTarget;
  private readonly jump: (id: string) => Promise<void>;
  /** Each search's number: an answer to an older one is ignored. */
  private asked = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(target: () => SearchTarget, jump: (id: string) => Promise<void>) {
    this.target = target;
    this.jump = jump;
  }

  /** A chat screen's search: each result is shown by its window (the focus stays in the field). */
  static of<M extends { id: string }>(win: ChatWindow<M>, target: () => SearchTarget): ChatSearch {
    return new ChatSearch(target, (id) => win.actions.jumpTo(id, { focus: false, gone: 'This message is no longer available' }));
  }

  show = () => {
    this.open = true;
  };

  /** Closes the bar: the window stays where the last result left it. */
  close = () => {
    clearTimeout(this.timer);
    this.asked++;
    this.open = false;
    this.query = '';
    this.clear();
  };

  private clear() {
    this.ids = [];
    this.index = -1;
    this.more = this.partial = false;
    this.answered = null;
    this.error = null;
  }

  /** The field changed: searched once typing pauses. */
  input = (query: string) => {
    this.query = query;
    clearTimeout(this.timer);
    if (!searchNeedle(query)) {
      this.asked++;
      return this.clear();
    }
    this.timer = setTimeout(() => void this.run(), TYPING_PAUSE);
  };

  /** Asks the worker now; shows the newest match. */
  async run(): Promise<void> {
    clearTimeout(this.timer);
    const query = this.query;
    if (!searchNeedle(query)) return;
    const mine = ++this.asked;
    try {
      const res = await core().call('searchChat', { ...this.target(), query });
      if (mine !== this.asked) return;
      this.error = null;
      this.ids = res.ids;
      this.more = res.more;
      this.partial = res.partial;
      this.answered = query;
      this.index = res.ids.length ? 0 : -1;
      if (res.ids.length) await this.jump(res.ids[0]);
    } catch (e) {
      if (mine === this.asked) this.error = errorMessage(e);
    }
  }

  /** The next older match (Enter); the query is searched first when its answer has not come yet. */
  older = () => this.step(1);
  /** The next newer match (Shift+Enter). */
  newer = () => this.step(-1);

  private async step(by: 1 | -1) {
    if (this.answered !== this.query) return this.run();
    const next = this.index + by;
    if (next < 0 || next >= this.ids.length) return;
    this.index = next;
    await this.jump(this.ids[next]);
  }
}

/** The context key of the query the bubbles mark. */
export const SEARCH_MARKS = Symbol('search-marks');

/** Makes `search`'s query the one the bubbles below mark (a chat screen calls it once). */
export const provideSearchMarks = (search: ChatSearch) => setContext(SEARCH_MARKS, search);

/** The query to mark in a bubble ('' outside a search). */
export function searchMarks(): () => string {
  const search = getContext<ChatSearch | undefined>(SEARCH_MARKS);
  return () => search?.marking ?? '';
}
