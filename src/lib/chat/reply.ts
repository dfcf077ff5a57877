/**
 * Replies as the chat screens build them: the snippet a reply quotes of its original (its first line,
 * or what the attachment is), and the quote sent with the reply. Pure, so it is unit-tested.
 */
import type { QuoteView } from '$lib/worker/protocol';

/** Longest snippet (characters); the wire refuses longer ones (QUOTE_MAX in $lib/api/quote). */
export const SNIPPET_MAX = 120;

/** An attachment as both chats describe it: a cloud photo or video, a secret-chat file. */
export type Attachment = { mime: string; name: string } | null | undefined;

/** What a quote shows of an attachment without text: "Photo", "Video", "Voice message", or the file's name. */
export function attachmentLabel(a: Attachment): string {
  if (!a) return '';
  if (a.mime.startsWith('image/')) return 'Photo';
  if (a.mime.startsWith('video/')) return 'Video';
  if (a.mime.startsWith('audio/')) return 'Voice message';
  return a.name || 'File';
}

/** One line of plain text, at most SNIPPET_MAX characters (an ellipsis marks a cut). */
function oneLine(text: string): string {
  // Control characters (a newline past the first line aside) would not pass the wire's check.
  const first = (text.split('\n').find((l) => l.trim()) ?? '').replace(/\p{Cc}/gu, ' ').trim();
  const chars = [...first];
  return chars.length > SNIPPET_MAX ? chars.slice(0, SNIPPET_MAX - 1).join('') + '…' : first;
}

/** The snippet a reply shows of `m`: its first line of text, else what its attachment is. */
export function snippetOf(m: { text: string }, attachment: Attachment): string {
  return oneLine(m.text) || oneLine(attachmentLabel(attachment)) || 'Message';
}

/**
 * The quote sent with a reply by me to `original` (`from` as the wire says it: seen by the reply's
 * author). A self-destructing original (`timed`) is quoted by its kind only, never its words: the
 * reply must not keep its content past its timer.
 */
export function quoteFor(original: { text: string; mine: boolean }, attachment: Attachment, timed = false): { snippet: string; from: 'sender' | 'recipient' } {
  const snippet = timed ? attachmentLabel(attachment) || 'Self-destructing message' : snippetOf(original, attachment);
  return { snippet, from: original.mine ? 'sender' : 'recipient' };
}

/** Who a quote names: "You" or the peer. */
export const quoteAuthor = (q: Pick<QuoteView, 'mine'>, peerName: string) => (q.mine ? 'You' : peerName);

/** A cloud message's photo or video, or a secret message's file. */
export const attachmentOf = (m: object): Attachment => ('media' in m ? (m.media as Attachment) : 'file' in m ? (m.file as Attachment) : null);
