/**
 * A reply's quote of the message it answers, carried with the reply (inside the secret payload in a
 * secret chat, in the relay-sealed message body in a cloud chat) so the reader sees it even when the
 * original is not on their device. The original's id is the message's `replyTo`; this adds what to
 * show: a short snippet (its first line, or "Photo", "Voice message", a file's name) and who wrote it,
 * seen from the reply's author ('sender': the author quoted themself; 'recipient': the reader).
 */
import { QUOTE_MAX } from './quote-snippet';
import { z } from './zod';

export { QUOTE_MAX };

export const ReplyQuote = z.object({
  snippet: z.string().check(
    z.minLength(1),
    z.maxLength(QUOTE_MAX),
    // One line of plain text: no control characters at all (a newline included).
    z.refine((s) => !/\p{Cc}/u.test(s), 'quote snippet must be one line of plain text')
  ),
  from: z.enum(['sender', 'recipient'])
});
export type ReplyQuote = z.infer<typeof ReplyQuote>;
