/**
 * Formatting written as markers in a message's text, as Telegram, WhatsApp and Signal users write it:
 * **bold**, __italic__ (or _italic_ at word boundaries, so snake_case stays as typed), ~~strike~~,
 * `code`, ```code block``` and ||spoiler||. The wire carries the text as typed (an older Cinder shows
 * the markers); `parseRich` makes the tree the bubble renders as elements (never an HTML string), and
 * `withoutMarkers` what is shown outside the bubble and searched. Here in $lib/api because the worker
 * (previews, search, pins) and the relay (reply quotes) need `withoutMarkers` too.
 *
 * Rules: code is found first and nothing is parsed inside it; then links (./links.ts), whose text is
 * never parsed either; then the markers. A marker opens when a non-space follows it and closes when a
 * non-space precedes it (an underscore also needs no letter or digit on its outer side); one that never
 * finds its pair stays literal, as do pairs that would cross ("**a ~~b** c~~": the ~~ stay). A kind of
 * marker open once cannot open again inside itself, so the tree is at most five deep, and a code block
 * ends every open marker (it is a block of its own). Each pass is linear in the text's length: a
 * hostile text of markers costs what any text of its length does.
 */
import { findLinks } from './links';

export type RichStyle = 'bold' | 'italic' | 'strike' | 'spoiler';
export type RichNode =
  | { type: 'text'; text: string }
  | { type: 'link'; text: string; href: string }
  /** Inline code. */
  | { type: 'code'; text: string }
  /** A code block: shown apart, monospace, its white space kept. */
  | { type: 'codeblock'; text: string }
  | { type: RichStyle; children: RichNode[] };

/** What `withoutMarkers` shows of a spoiler unless asked for its words (the same for any length). */
export const SPOILER_MASK = '▒▒▒▒▒';

type Marker = '**' | '__' | '_' | '~~' | '||';
const STYLE: Record<Marker, RichStyle> = { '**': 'bold', __: 'italic', _: 'italic', '~~': 'strike', '||': 'spoiler' };
/** Characters that end a link when they are last: a closing marker right after it. */
const MARKER_CHARS = '*_~|`';
const FENCE = '```';

const WORD = /[\p{L}\p{N}]/u;
const SPACE = /\s/u;

/** The character before `i` ('' at the start), whole when it is a surrogate pair. */
function charBefore(text: string, i: number): string {
  if (i <= 0) return '';
  const lo = text.charCodeAt(i - 1);
  return lo >= 0xdc00 && lo <= 0xdfff && i >= 2 ? text.slice(i - 2, i) : text[i - 1];
}

/** The character at `i` ('' at the end), whole when it is a surrogate pair. */
const charAt = (text: string, i: number): string => (i >= text.length ? '' : String.fromCodePoint(text.codePointAt(i)!));

type Frame = { marker: Marker | null; children: RichNode[] };

/** The tree being built: the open markers are a stack of frames over the root. */
class Builder {
  private readonly frames: Frame[] = [{ marker: null, children: [] }];
  /** Where each open marker's frame is in `frames`. */
  private readonly open = new Map<Marker, number>();

  private get top(): Frame {
    return this.frames[this.frames.length - 1];
  }

  private static append(into: RichNode[], node: RichNode) {
    const last = into[into.length - 1];
    if (node.type === 'text' && last?.type === 'text') last.text += node.text;
    else into.push(node);
  }

  text(s: string) {
    if (s) Builder.append(this.top.children, { type: 'text', text: s });
  }

  node(n: RichNode) {
    Builder.append(this.top.children, n);
  }

  isOpen(m: Marker): boolean {
    return this.open.has(m);
  }

  /** Opens `m` (not open yet). */
  push(m: Marker) {
    this.open.set(m, this.frames.length);
    this.frames.push({ marker: m, children: [] });
  }

  /** The frames above `depth` were never closed: their markers become text, their content stays. Each node moves once. */
  private unwind(depth: number) {
    const into = this.frames[depth].children;
    for (const f of this.frames.splice(depth + 1)) {
      this.open.delete(f.marker!);
      Builder.append(into, { type: 'text', text: f.marker! });
      for (const n of f.children) Builder.append(into, n);
    }
  }

  /** Closes `m` (open): what opened after it and is still open stays literal inside it. */
  close(m: Marker) {
    const depth = this.open.get(m)!;
    this.unwind(depth);
    const frame = this.frames.pop()!;
    this.open.delete(m);
    this.node({ type: STYLE[m], children: frame.children });
  }

  /** A code block: every open marker stays literal, the block stands at the top level. */
  block(n: RichNode) {
    this.unwind(0);
    this.node(n);
  }

  finish(): RichNode[] {
    this.unwind(0);
    return this.frames[0].children;
  }
}

/** A run of one marker character at [start, end): opens, closes, or stays text. */
function run(text: string, start: number, end: number, out: Builder) {
  const c = text[start];
  const len = end - start;
  const runText = text.slice(start, end);
  let marker: Marker;
  if (c === '_') {
    // "___" and longer are lines, not markers.
    if (len > 2) return out.text(runText);
    marker = len === 2 ? '__' : '_';
  } else {
    if (len < 2) return out.text(runText);
    marker = c === '*' ? '**' : c === '~' ? '~~' : '||';
  }
  const before = charBefore(text, start);
  const after = charAt(text, end);
  const word = marker[0] === '_';
  const canOpen = after !== '' && !SPACE.test(after) && !(word && WORD.test(before));
  const canClose = before !== '' && !SPACE.test(before) && !(word && WORD.test(after));
  // The marker is the part of the run next to its content; any more of the run is text on its far side.
  const extra = runText.slice(marker.length);
  if (canClose && out.isOpen(marker)) {
    out.close(marker);
    out.text(extra);
  } else if (canOpen && !out.isOpen(marker)) {
    out.text(extra);
    out.push(marker);
  } else out.text(runText);
}

/** Text between code, where links and markers are found: [start, end) of `text`. */
function inline(text: string, start: number, end: number, out: Builder) {
  const links = findLinks(text.slice(start, end), MARKER_CHARS);
  let at = start;
  let plain = start;
  const flush = (to: number) => {
    if (to > plain) out.text(text.slice(plain, to));
  };
  const scan = (to: number) => {
    while (at < to) {
      const c = text[at];
      if (c === '*' || c === '_' || c === '~' || c === '|') {
        let e = at + 1;
        while (e < to && text[e] === c) e++;
        flush(at);
        run(text, at, e, out);
        at = plain = e;
      } else at++;
    }
  };
  for (const l of links) {
    scan(start + l.start);
    flush(at);
    out.node({ type: 'link', text: text.slice(start + l.start, start + l.end), href: l.href });
    at = plain = start + l.end;
  }
  scan(end);
  flush(end);
}

/** `text` as a tree of formatted pieces, in order; their texts joined (a spoiler's included) are `withoutMarkers(text, 'show')`. */
export function parseRich(text: string): RichNode[] {
  const out = new Builder();
  let from = 0;
  let i = 0;
  // Once no closing fence is left, none is looked for again (each search is then linear in total).
  let fences = true;
  while (i < text.length) {
    const tick = text.indexOf('`', i);
    if (tick < 0) break;
    let e = tick + 1;
    while (e < text.length && text[e] === '`') e++;
    if (e - tick >= 3) {
      const close = fences ? text.indexOf(FENCE, tick + 3) : -1;
      if (close < 0) fences = false;
      // A newline right after the opening fence and right before the closing one frames the block.
      const body =
        close < 0
          ? ''
          : text
              .slice(tick + 3, close)
              .replace(/^\r?\n/, '')
              .replace(/\r?\n$/, '');
      if (body) {
        inline(text, from, tick, out);
        out.block({ type: 'codeblock', text: body });
        i = from = close + 3;
        continue;
      }
    } else if (e - tick === 1) {
      const close = text.indexOf('`', e);
      const body = close < 0 ? '' : text.slice(e, close);
      // Like a marker: a non-space after the opening tick and before the closing one ("it`s `x`": only `x` is code).
      if (body && !SPACE.test(body[0]) && !SPACE.test(body[body.length - 1]) && !body.includes('\n')) {
        inline(text, from, tick, out);
        out.node({ type: 'code', text: body });
        i = from = close + 1;
        continue;
      }
    }
    i = e;
  }
  inline(text, from, text.length, out);
  return out.finish();
}

function flatten(nodes: readonly RichNode[], spoilers: 'hide' | 'show'): string {
  let s = '';
  for (const n of nodes) {
    if ('children' in n) s += n.type === 'spoiler' && spoilers === 'hide' ? SPOILER_MASK : flatten(n.children, spoilers);
    else s += n.text;
  }
  return s;
}

/**
 * What `text` shows without its markers: for previews, quotes, pins and notifications (a spoiler's
 * words hidden behind SPOILER_MASK), or with `'show'` the words as the bubble has them (the search).
 */
export const withoutMarkers = (text: string, spoilers: 'hide' | 'show' = 'hide'): string => flatten(parseRich(text), spoilers);
