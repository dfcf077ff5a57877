/**
 * Replies as the chat screens build them: the snippet a reply quotes of its original (its first line,
 * or what the attachment is), and the quote sent with the reply. Pure, so it is unit-tested.
 */
import { attachmentLabel, QUOTE_MAX, quoteSnippet, snippetOf, timedMedia, type QuotedAttachment } from '$lib/api/quote-snippet';
import type { QuoteView } from '$lib/worker/protocol';

/** Longest snippet (characters); the wire refuses longer ones. */
export const SNIPPET_MAX = QUOTE_MAX;

/** An attachment as both chats describe it: a cloud photo or video, a secret-chat file. */
export type Attachment = QuotedAttachment;

// One derivation for the sender's quote and the reader's check of it (the worker uses them too).
export { attachmentLabel, snippetOf, timedMedia };

/**
 * The quote sent with a reply by me to `original` (`from` as the wire says it: seen by the reply's
 * author). A self-destructing original (`timed`) is quoted by its kind only, never its words: the
 * reply must not keep its content past its timer.
 */
export function quoteFor(original: { text: string; mine: boolean }, attachment: Attachment, timed = false): { snippet: string; from: 'sender' | 'recipient' } {
  return { snippet: quoteSnippet(original, attachment, timed), from: original.mine ? 'sender' : 'recipient' };
}

/** Who a quote names: "You" or the peer. */
export const quoteAuthor = (q: Pick<QuoteView, 'mine'>, peerName: string) => (q.mine ? 'You' : peerName);

/** A cloud message's photo or video, or a secret message's file. */
export const attachmentOf = (m: object): Attachment => ('media' in m ? (m.media as Attachment) : 'file' in m ? (m.file as Attachment) : null);
