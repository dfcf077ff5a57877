/**
 * The building blocks of the wire contract (src/lib/api/wire.ts): the plain-text rule, base64url
 * and the two id shapes. Own module so the wire's parts can share them without importing each other.
 */
import { z } from './zod';

/**
 * The one rule for human-readable strings (names, and the metadata strings the relay stores):
 * - `line` (names, file names, URLs): no C0 controls (NUL included), DEL, C1 controls, bidi
 *   embeddings/overrides U+202A–202E or isolates U+2066–2069 (they let a name render as another,
 *   "Trojan Source" style), and no lone surrogates (not representable in UTF-8, so a backend would
 *   store something else). PostgreSQL refuses NUL outright; this keeps both backends the same.
 * - `text` (message text: user content): newlines, tabs and CR are content and bidi controls are
 *   legitimate in right-to-left writing, so only the other C0 controls (NUL included) and lone
 *   surrogates are refused.
 */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const LINE_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const TEXT_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const CONTROL_CHARS_MESSAGE = 'must not contain control characters, bidirectional overrides or unpaired surrogates';
/** Whether `s` passes the rule above for its kind. */
export function isPlainText(s: string, kind: 'line' | 'text' = 'line'): boolean {
  return !(kind === 'line' ? LINE_FORBIDDEN : TEXT_FORBIDDEN).test(s) && !LONE_SURROGATE.test(s);
}
/**
 * `s` made to pass the `line` rule: each forbidden character or lone surrogate becomes U+FFFD. For
 * names that come from elsewhere and must not be refused whole (a file name inside a peer's message).
 */
export function toPlainLine(s: string): string {
  return s.replace(new RegExp(`${LINE_FORBIDDEN.source}|${LONE_SURROGATE.source}`, 'g'), '\ufffd');
}
/** Adds the rule to a string schema (after trim/min/max, so their messages come first). */
export const plainText = <S extends z.ZodMiniType<string>>(schema: S, kind: 'line' | 'text' = 'line') =>
  schema.check(
    z.refine((s: string) => isPlainText(s, kind), kind === 'line' ? CONTROL_CHARS_MESSAGE : 'must not contain NUL or other control characters (newline and tab are fine)')
  );

const B64U = /^[A-Za-z0-9_-]*$/;
/** base64url (no padding), optionally of an exact decoded byte length. */
export const b64u = (bytes?: number) => {
  const s = z.string().check(z.regex(B64U, 'must be base64url'));
  if (bytes === undefined) return s;
  const len = Math.ceil((bytes * 4) / 3);
  return s.check(z.length(len, `must be ${bytes} bytes in base64url`));
};

/** Ids minted by the server: short opaque strings. */
export const Id = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'malformed id'));
/** Ids minted by clients (message ids, envelope ids): UUIDs, so a resend is idempotent. */
export const ClientId = z.string().check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lowercase UUID'));
