/**
 * Password hashing with scrypt (node:crypto). The parameters are stored with each hash,
 *   scrypt$N=32768,r=8,p=1$<salt b64url>$<hash b64url>
 * so they can be raised later without invalidating existing accounts.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_PARAMS: ScryptParams = { N: 32768, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Never accept stored parameters that would let a tampered hash exhaust memory or CPU.
const MAX_N = 1 << 20;

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; the default maxmem (32 MiB) is exactly too small for N=2^15, r=8.
  const opts: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFKC'), salt, KEY_BYTES, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

const B64U = /^[A-Za-z0-9_-]+$/;

/** Parses a stored hash; null when malformed or with parameters outside the accepted range. */
export function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 4 || parts[0] !== 'scrypt') return null;
  const m = /^N=(\d+),r=(\d+),p=(\d+)$/.exec(parts[1]);
  if (!m) return null;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  const powerOfTwo = params.N > 1 && (params.N & (params.N - 1)) === 0;
  if (!powerOfTwo || params.N > MAX_N || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return null;
  if (!B64U.test(parts[2]) || !B64U.test(parts[3])) return null;
  const salt = Buffer.from(parts[2], 'base64url');
  const hash = Buffer.from(parts[3], 'base64url');
  if (salt.length < 8 || hash.length < 16) return null;
  return { params, salt, hash };
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(password, salt, params);
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const actual = await scrypt(password, parsed.salt, parsed.params);
  return actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
}

/**
 * Verifier that also handles unknown users: it checks the password against a dummy hash with the same
 * parameters, so "no such user" costs the same time as "wrong password" and can't be told apart.
 */
export function createPasswordVerifier(params: ScryptParams = DEFAULT_PARAMS) {
  // Made up front so even the first unknown-user login costs exactly one scrypt, like any other.
  const dummy = hashPassword(randomBytes(16).toString('hex'), params);
  return {
    params,
    hash: (password: string) => hashPassword(password, params),
    async verify(password: string, stored: string | null): Promise<boolean> {
      if (stored === null) {
        await verifyPassword(password, await dummy);
        return false;
      }
      return verifyPassword(password, stored);
    }
  };
}
export type PasswordVerifier = ReturnType<typeof createPasswordVerifier>;
