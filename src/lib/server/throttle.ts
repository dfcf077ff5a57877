/**
 * Per-account sign-in backoff and the known-device cookie (docs/threat-model.md, "Password guessing").
 *
 * Every login attempt for a username (known or not: no enumeration) is counted in the store before the
 * password is checked, so concurrent guesses on any node can't slip past a closed window; a successful
 * login clears the count. After `after` counted attempts, each further one must wait 2^k seconds
 * (capped). A browser that signed in to the account before shows a known-device cookie and is exempt,
 * so an attacker hammering the account can't lock its owner out.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { COOKIE_MAX_AGE_S } from './auth';

export const KNOWN_COOKIE = 'cinder_known_device';
/** Known-device tokens kept per account (most recent first). */
export const KNOWN_PER_USER = 20;
/** A key with no attempt for this long starts over (and its row is purged). */
export const LOGIN_FORGET_MS = 86_400_000;

/** The throttle key of a username as typed (lowercased); hashed so no name is stored in clear. */
export const loginKey = (username: string): string => createHash('sha256').update(`login\0${username.toLowerCase()}`, 'utf8').digest('hex');

/** Wait (ms) after `failures` counted attempts: none below `after`, then 1, 2, 4 ... s up to `maxSec`. */
export function backoffMs(failures: number, after: number, maxSec: number): number {
  if (after === 0 || failures < after) return 0;
  return 1000 * Math.min(maxSec, 2 ** Math.min(failures - after, 30));
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The known-device token from the request's cookies, if well-formed. */
export function readKnownToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq >= 0 && part.slice(0, eq).trim() === KNOWN_COOKIE) {
      const v = part.slice(eq + 1).trim();
      return TOKEN.test(v) ? v : null;
    }
  }
  return null;
}

/** Same attributes as the session cookie; kept on logout, since that is when it is needed. */
export function knownCookie(token: string, secure: boolean): string {
  return `${KNOWN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${COOKIE_MAX_AGE_S}${secure ? '; Secure' : ''}`;
}
