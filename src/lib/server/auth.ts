/**
 * Device sessions. A token is 32 random bytes (base64url) handed to the browser in an HttpOnly cookie
 * (or used as a Bearer token by other clients); the database keeps only its SHA-256, so a leaked
 * database does not leak sessions.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { DeviceRow, UserRow } from './store/types';

export const COOKIE = 'cinder_session';
/** Don't write last_seen_at more often than this per device. */
export const TOUCH_INTERVAL_MS = 60_000;

export interface AuthCtx {
  user: UserRow;
  device: DeviceRow;
}

export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The session token from `Authorization: Bearer` or the cookie, if well-formed. */
export function readToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m && TOKEN.test(m[1]) ? m[1] : null;
  }
  const cookie = req.headers.cookie;
  if (!cookie) return null;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === COOKIE) {
      const v = part.slice(eq + 1).trim();
      return TOKEN.test(v) ? v : null;
    }
  }
  return null;
}

/** Whether the client reached us over TLS (directly, or via a trusted proxy that says so). */
export function isSecure(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  if (!trustProxy) return false;
  const proto = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0].trim().toLowerCase();
  return first === 'https';
}

/**
 * The client's address. Behind a trusted proxy, the right-most X-Forwarded-For entry: that is the one
 * our proxy appended; entries to its left are whatever the client chose to send.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = req.headers['x-forwarded-for'];
    const list = (Array.isArray(xff) ? xff.join(',') : (xff ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (list.length) return list[list.length - 1];
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Persistent (400 days, the longest browsers keep a cookie): a browser-session cookie would vanish when
 * the browser quits, the next start would get 401 and the app would wipe the device's secret chats.
 * The device session itself lasts until logout or revocation.
 */
export const COOKIE_MAX_AGE_S = 400 * 24 * 3600;

export function sessionCookie(token: string, secure: boolean): string {
  return `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${COOKIE_MAX_AGE_S}${secure ? '; Secure' : ''}`;
}

export function clearCookie(secure: boolean): string {
  return `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}

/**
 * The host the browser believes it is talking to, for same-origin checks: Host, or X-Forwarded-Host
 * from a trusted proxy.
 */
export function requestHost(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const fh = req.headers['x-forwarded-host'];
    const v = (Array.isArray(fh) ? fh[0] : fh)?.split(',')[0].trim();
    if (v) return v.toLowerCase();
  }
  return req.headers.host?.toLowerCase();
}

/**
 * True when there is no Origin header (non-browser client) or it is exactly the request's own origin:
 * scheme (TLS, or X-Forwarded-Proto from a trusted proxy), host and port. Host alone would let a page
 * on http://host, or on another port of the same host, make requests as the https app.
 */
export function originAllowed(req: IncomingMessage, trustProxy: boolean): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = requestHost(req, trustProxy);
  if (!host) return false;
  try {
    const own = new URL(`${isSecure(req, trustProxy) ? 'https' : 'http'}://${host}`);
    // URL normalises case and default ports (https://h:443 is https://h).
    return new URL(origin).origin === own.origin;
  } catch {
    return false; // includes "null" (sandboxed or file: origins)
  }
}
