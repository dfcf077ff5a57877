/**
 * Finds the web links in a message's text, so the bubble can make them tappable. Only `http(s)://…`
 * and `www.…` count (a bare "example.com" is too often a file name); the shown text stays exactly what
 * was typed, and the link goes where that text says (no hidden targets). Trailing punctuation and an
 * unbalanced closing bracket end the link, as in "see https://example.com/a_(b)." or "(https://x.io)".
 * Shared with the worker and the relay (through rich-text.ts), so it lives in $lib/api.
 */
export type TextPart = { text: string; href?: string };
/** A link found in a text: its characters [start, end) and where it goes. */
export type LinkRange = { start: number; end: number; href: string };

// Not after a letter or digit ("xhttps://…" is no link); after "_" or "*" it is (a formatting marker).
const CANDIDATE = /(?<![\p{L}\p{N}])(?:https?:\/\/|www\.)[^\s<>"]+/giu;
const TRAILING = '.,;:!?\'"…';
const PAIRS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** `url` without its trailing punctuation: one pass, each bracket counted once (a hostile text of brackets stays linear). */
function trimEnd(url: string, trailing: string): string {
  const counts: Record<string, number> = { '(': 0, ')': 0, '[': 0, ']': 0, '{': 0, '}': 0 };
  for (const ch of url) if (counts[ch] !== undefined) counts[ch]++;
  let end = url.length;
  while (end > 0) {
    const c = url[end - 1];
    const open = PAIRS[c];
    if (!trailing.includes(c) && (open === undefined || counts[c] <= counts[open])) break;
    if (open !== undefined) counts[c]--;
    end--;
  }
  return url.slice(0, end);
}

/** The link's target, or null when the text is no usable web address. */
export function linkTarget(url: string): string | null {
  const www = /^www\./i.test(url);
  let parsed: URL;
  try {
    parsed = new URL(www ? `https://${url}` : url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  // "https://www.bank.com@evil.example" opens evil.example: a link must go where its text seems to say.
  if (parsed.username || parsed.password) return null;
  if (!/[\p{L}\p{N}]/u.test(parsed.hostname)) return null;
  // "www.x" alone names no site: a www. link needs a domain after it.
  if (www && !/^www\.[^.]+\.[^.]+/i.test(parsed.hostname)) return null;
  return parsed.href;
}

/** The links in `text`, in order; `trailing`: more characters that end a link when last (formatting markers). */
export function findLinks(text: string, trailing = ''): LinkRange[] {
  const out: LinkRange[] = [];
  for (const m of text.matchAll(CANDIDATE)) {
    const url = trimEnd(m[0], TRAILING + trailing);
    const href = url && linkTarget(url);
    if (href) out.push({ start: m.index, end: m.index + url.length, href });
  }
  return out;
}

export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const { start, end, href } of findLinks(text)) {
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: text.slice(start, end), href });
    last = end;
  }
  if (last < text.length || parts.length === 0) parts.push({ text: text.slice(last) });
  return parts;
}
