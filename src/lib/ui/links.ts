/**
 * Finds the web links in a message's text, so the bubble can make them tappable. Only `http(s)://…`
 * and `www.…` count (a bare "example.com" is too often a file name); the shown text stays exactly what
 * was typed, and the link goes where that text says (no hidden targets). Trailing punctuation and an
 * unbalanced closing bracket end the link, as in "see https://example.com/a_(b)." or "(https://x.io)".
 */
export type TextPart = { text: string; href?: string };

const CANDIDATE = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;
const TRAILING = '.,;:!?\'"…';
const PAIRS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

function count(s: string, c: string): number {
  let n = 0;
  for (const ch of s) if (ch === c) n++;
  return n;
}

function trimEnd(url: string): string {
  let end = url.length;
  for (;;) {
    const c = url[end - 1];
    if (c === undefined) return '';
    const open = PAIRS[c];
    const body = url.slice(0, end);
    if (TRAILING.includes(c) || (open !== undefined && count(body, c) > count(body, open))) end--;
    else return body;
  }
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

export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const m of text.matchAll(CANDIDATE)) {
    const url = trimEnd(m[0]);
    const href = url && linkTarget(url);
    if (!href) continue;
    if (m.index > last) parts.push({ text: text.slice(last, m.index) });
    parts.push({ text: url, href });
    last = m.index + url.length;
  }
  if (last < text.length || parts.length === 0) parts.push({ text: text.slice(last) });
  return parts;
}
