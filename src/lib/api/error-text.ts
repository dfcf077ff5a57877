/**
 * Error codes and messages (from the relay, the worker or a zod check) as sentences a person reads:
 * no field prefixes ("password: …"), no lower-case fragments, and a plain word for "the server
 * cannot be reached". Pure: shared by the pages (through `errorMessage`) and their tests.
 */
import { LIMITS } from './limits';

export const UNREACHABLE = "Can't reach Cinder's server. Check your connection; we'll keep trying.";

/** Known relay/worker messages, matched after their field prefix is removed. */
const SENTENCES: [RegExp, string][] = [
  [/^username must be at least \d+ characters$/i, `A username has at least ${LIMITS.usernameMin} characters`],
  [/^username must be at most \d+ characters$/i, `A username has at most ${LIMITS.usernameMax} characters`],
  [/^username may contain only/i, 'A username uses only a-z, 0-9 and _ (no spaces)'],
  [/^password must be at least \d+ characters$/i, `At least ${LIMITS.passwordMin} characters`],
  [/^password is too long$/i, `A password has at most ${LIMITS.passwordMax} characters`],
  [/^display name must not be empty$/i, 'Enter a display name, or leave it out'],
  [/^display name must be at most \d+ characters$/i, `A display name has at most ${LIMITS.displayNameMax} characters`],
  [/^that username is taken$/i, 'That username is taken. Try another one.'],
  [/^wrong username or password$/i, 'Wrong username or password'],
  [/^the current password is wrong$/i, 'Your current password is wrong']
];

/** Codes whose message is replaced whatever it said. */
const BY_CODE: Record<string, string> = {
  offline: UNREACHABLE,
  worker_failed: 'Cinder stopped unexpectedly. Reload the page to continue.',
  internal: 'Something went wrong on this device. Try again; if it keeps happening, reload the page.'
};

const sentence = (s: string): string => {
  const t = s.trim();
  return t && t[0]!.toUpperCase() + t.slice(1);
};

/**
 * The message for an error with this code. A zod path prefix (`password: …`, `device.name: …`)
 * is dropped; a known message gets its sentence; anything else starts with a capital.
 */
export function humanError(code: string | undefined, message: string): string {
  if (code && BY_CODE[code]) return BY_CODE[code];
  const plain = message.replace(/^[A-Za-z_][\w.[\]-]*: /, '');
  for (const [re, text] of SENTENCES) if (re.test(plain)) return text;
  return sentence(plain);
}
