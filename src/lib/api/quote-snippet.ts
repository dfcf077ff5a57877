/**
 * What a reply quotes of its original: the snippet its sender sends, and the one a reader holding the
 * original shows instead. Without zod, so the pages that build quotes do not load it.
 */
import { withoutMarkers } from './rich-text';

/** Longest snippet (characters); the sender cuts its first line to this. */
export const QUOTE_MAX = 120;

/** An attachment as both chats describe it: a cloud photo or video, a secret-chat file. */
export type QuotedAttachment = { mime: string; name: string } | null | undefined;

/** What an attachment is, without anything its sender chose: "Photo", "Video", "Voice message" or "File". */
function kindLabel(a: QuotedAttachment): string {
  if (!a) return '';
  if (a.mime.startsWith('image/')) return 'Photo';
  if (a.mime.startsWith('video/')) return 'Video';
  if (a.mime.startsWith('audio/')) return 'Voice message';
  return 'File';
}

/** What a quote shows of an attachment without text: "Photo", "Video", "Voice message", or the file's name. */
export function attachmentLabel(a: QuotedAttachment): string {
  const kind = kindLabel(a);
  return kind === 'File' ? a?.name || kind : kind;
}

/** One line of plain text, at most QUOTE_MAX characters (an ellipsis marks a cut). */
function oneLine(text: string): string {
  // Control characters (a newline past the first line aside) would not pass ReplyQuote's check (./quote.ts).
  const first = (text.split('\n').find((l) => l.trim()) ?? '').replace(/\p{Cc}/gu, ' ').trim();
  const chars = [...first];
  return chars.length > QUOTE_MAX ? chars.slice(0, QUOTE_MAX - 1).join('') + '…' : first;
}

/** The snippet a reply shows of `m`: its first line of text as shown (no formatting markers, a spoiler masked), else what its attachment is. */
export function snippetOf(m: { text: string }, attachment: QuotedAttachment): string {
  return oneLine(withoutMarkers(m.text)) || oneLine(attachmentLabel(attachment)) || 'Message';
}

/**
 * The snippet a reply quotes of `original`: the sender builds its quote with it, and a reader holding
 * the original shows it instead of the sender's (a peer cannot put other words in my quoted message).
 * A self-destructing original (`timed`: a secret message with a timer, a cloud file with one) is quoted
 * by its kind only, never its words nor its file's name: the reply outlives it (and, in a cloud chat,
 * shows its quote as sent once the original is gone).
 */
export const quoteSnippet = (original: { text: string }, attachment: QuotedAttachment, timed = false): string =>
  timed ? kindLabel(attachment) || 'Self-destructing message' : snippetOf(original, attachment);

/** Whether a cloud message's attachment self-destructs (its quote then names its kind only). */
export const timedMedia = (media: { ttl?: number } | null | undefined): boolean => (media?.ttl ?? 0) > 0;
