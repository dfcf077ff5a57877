/**
 * Relay configuration, read once from the environment at start. Every value is validated here so a
 * typo in a deployment fails loudly at boot instead of misbehaving later (see docs/operations.md).
 */
import { createECDH, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LIMITS } from '../api/limits';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Config {
  port: number;
  host: string;
  /** Absolute path; created (mode 0700) if missing. */
  dataDir: string;
  /** 32-byte AES-256-GCM key for data at rest. */
  atRestKey: Buffer;
  /** Where the key came from, for the startup log (never the key itself). */
  atRestKeySource: 'env' | 'file' | 'generated';
  logLevel: LogLevel;
  /** Sign-up + login attempts per client address per minute. */
  authRateLimit: number;
  /** Failed logins per account before its backoff starts (0: no per-account backoff; throttle.ts). */
  loginBackoffAfter: number;
  /** Longest per-account backoff (seconds). */
  loginBackoffMaxSec: number;
  /** Trust X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Host from one reverse proxy in front. */
  trustProxy: boolean;
  envelopeTtlDays: number;
  /** Largest encrypted media blob (bytes). */
  maxBlobBytes: number;
  /** Per-user total of live (unexpired, undeleted) blob bytes. */
  blobQuotaBytes: number;
  /** Per-user total of cloud-media bytes held by the relay (uploads in progress count at their reservation). */
  cloudMediaQuotaBytes: number;
  /** Cloud-media uploads one user may run at once on this node; more are answered 429. */
  maxConcurrentUploads: number;
  /** Live (non-revoked) devices per account; a login beyond it is refused. */
  maxDevicesPerAccount: number;
  /** Days a deleted account's username stays refused at sign-up (0: free at once). */
  usernameQuarantineDays: number;
  /** Per-device send limit (cloud messages + envelopes): burst size and sustained rate per second. */
  sendRateBurst: number;
  sendRatePerSec: number;
  /** Per-WebSocket inbound frame limit: burst size and sustained rate per second. */
  wsFrameBurst: number;
  wsFramePerSec: number;
  /** How long graceful shutdown waits for in-flight requests before cutting connections. */
  shutdownTimeoutMs: number;
  /** How often this node stores "now" as the last seen of the users it holds online (what a crash can lose). */
  lastSeenRefreshMs: number;
  /** DATABASE_URL: PostgreSQL (several nodes can share it); null: SQLite in dataDir. */
  databaseUrl: string | null;
  /** REDIS_URL: cross-node pub/sub for live events and presence; null: in-process bus (one node). */
  redisUrl: string | null;
  /**
   * REDIS_PREFIX: the pub/sub channel and key prefix. Default: derived from the at-rest key, which
   * every node of one deployment shares and no two deployments do, so deployments sharing a Redis
   * never hear each other.
   */
  redisPrefix: string;
  /** METRICS_TOKEN: when set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /** COMPRESSION (default on): serve brotli/gzip static files and compress the shell and large opted-in JSON. Off: behind a proxy that compresses. */
  compression: boolean;
  /** Web Push VAPID key pair (base64url) from VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY; null: DATA_DIR/vapid.json (push.ts). */
  vapidKeys: { publicKey: string; privateKey: string } | null;
  /** VAPID contact (`sub` claim): a mailto: or https: URL. */
  vapidSubject: string;
  /** Accept http://127.0.0.1 / localhost push endpoints (tests only). */
  pushAllowInsecure: boolean;
  /** PUSH_SERVICE_HOSTS: push-service domains (and their subdomains) the relay may POST to; null: any public host. */
  pushServiceHosts: string[] | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new ConfigError(`${name} must be a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const v = str(env, name);
  if (v === undefined) return def;
  const l = v.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(l)) return true;
  if (['0', 'false', 'no', 'off'].includes(l)) return false;
  throw new ConfigError(`${name} must be true or false, got "${v}"`);
}

/** A connection URL with one of the given schemes, or null when unset. */
function url(env: Env, name: string, schemes: string[]): string | null {
  const v = str(env, name);
  if (v === undefined) return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!schemes.includes(u.protocol)) throw new ConfigError(`${name} must start with ${schemes.map((s) => s + '//').join(' or ')}`);
  return v;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const KEY_FILE = 'at-rest.key';

function decodeKey(b64: string, what: string): Buffer {
  // Accept standard and url-safe base64, with or without padding.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) throw new ConfigError(`${what} is not base64`);
  const key = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== 32) throw new ConfigError(`${what} must decode to 32 bytes, got ${key.length}`);
  return key;
}

/** Reads DATA_DIR/at-rest.key, or creates it (0600, exclusive create so two starting processes can't race). */
function loadOrCreateKey(dataDir: string): { key: Buffer; source: 'file' | 'generated' } {
  const path = join(dataDir, KEY_FILE);
  try {
    const key = randomBytes(32);
    writeFileSync(path, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return { key, source: 'generated' };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError(`cannot create ${path}: ${(e as Error).message}`);
    }
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(`cannot read ${path}: ${(e as Error).message}`);
  }
  // Tighten permissions if someone loosened them; the key is as sensitive as the data it protects.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return { key: decodeKey(text, path), source: 'file' };
}

export function loadConfig(env: Env = process.env): Config {
  const port = int(env, 'PORT', 3000, 0, 65535);
  const host = str(env, 'HOST') ?? '0.0.0.0';
  const logLevel = (str(env, 'LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}`);

  const dataDir = resolve(str(env, 'DATA_DIR') ?? './data');
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new ConfigError(`cannot create DATA_DIR ${dataDir}: ${(e as Error).message}`);
  }
  if (!statSync(dataDir).isDirectory()) throw new ConfigError(`DATA_DIR ${dataDir} is not a directory`);

  const envKey = str(env, 'AT_REST_KEY');
  const { key: atRestKey, source: atRestKeySource } = envKey ? { key: decodeKey(envKey, 'AT_REST_KEY'), source: 'env' as const } : loadOrCreateKey(dataDir);

  return {
    port,
    host,
    dataDir,
    atRestKey,
    atRestKeySource,
    logLevel,
    authRateLimit: int(env, 'AUTH_RATE_LIMIT', 20, 1, 1_000_000),
    loginBackoffAfter: int(env, 'LOGIN_BACKOFF_AFTER', 5, 0, 1000),
    // At most a day: attempts are forgotten after a quiet day (throttle.ts), so a longer wait would never end.
    loginBackoffMaxSec: int(env, 'LOGIN_BACKOFF_MAX', 900, 1, 86_400),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    envelopeTtlDays: int(env, 'ENVELOPE_TTL_DAYS', 7, 1, 365),
    maxBlobBytes: int(env, 'MAX_BLOB_BYTES', LIMITS.fileMax, 1, 2 ** 40),
    blobQuotaBytes: int(env, 'BLOB_QUOTA_BYTES', 200 * 1024 * 1024, 1, 2 ** 50),
    cloudMediaQuotaBytes: int(env, 'CLOUD_MEDIA_QUOTA_BYTES', 200 * 1024 * 1024, 1, 2 ** 50),
    maxConcurrentUploads: int(env, 'MAX_CONCURRENT_UPLOADS', 3, 1, 1000),
    maxDevicesPerAccount: int(env, 'MAX_DEVICES_PER_ACCOUNT', 20, 1, 10_000),
    usernameQuarantineDays: int(env, 'USERNAME_QUARANTINE_DAYS', 30, 0, 3650),
    sendRateBurst: int(env, 'SEND_RATE_BURST', 30, 1, 1_000_000),
    sendRatePerSec: int(env, 'SEND_RATE_PER_SEC', 10, 1, 1_000_000),
    wsFrameBurst: int(env, 'WS_FRAME_BURST', 40, 1, 1_000_000),
    wsFramePerSec: int(env, 'WS_FRAME_PER_SEC', 20, 1, 1_000_000),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    lastSeenRefreshMs: int(env, 'LAST_SEEN_REFRESH_MS', 60_000, 100, 3_600_000),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: redisPrefix(env, atRestKey),
    metricsToken: str(env, 'METRICS_TOKEN') ?? null,
    compression: bool(env, 'COMPRESSION', true),
    vapidKeys: vapidKeys(env),
    vapidSubject: vapidSubject(env),
    pushAllowInsecure: bool(env, 'PUSH_ALLOW_INSECURE', false),
    pushServiceHosts: hostList(env, 'PUSH_SERVICE_HOSTS')
  };
}

/** A comma-separated list of DNS names (lowercased), or null when unset. */
function hostList(env: Env, name: string): string[] | null {
  const v = str(env, name);
  if (v === undefined) return null;
  const hosts = v
    .split(',')
    .map((h) => h.trim().toLowerCase().replace(/^\./, ''))
    .filter(Boolean);
  for (const h of hosts) {
    if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/.test(h)) {
      throw new ConfigError(`${name}: "${h}" is not a domain name`);
    }
  }
  if (hosts.length === 0) throw new ConfigError(`${name} must list at least one domain`);
  return hosts;
}

/** VAPID_PUBLIC_KEY (65-byte uncompressed P-256 point) and VAPID_PRIVATE_KEY (32 bytes), both or neither. */
function vapidKeys(env: Env): { publicKey: string; privateKey: string } | null {
  const pub = str(env, 'VAPID_PUBLIC_KEY');
  const priv = str(env, 'VAPID_PRIVATE_KEY');
  if (pub === undefined && priv === undefined) return null;
  if (pub === undefined || priv === undefined) throw new ConfigError('set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither');
  const check = (v: string, name: string, len: number) => {
    if (!/^[A-Za-z0-9_-]+=*$/.test(v)) throw new ConfigError(`${name} must be base64url`);
    const b = Buffer.from(v, 'base64url');
    if (b.length !== len) throw new ConfigError(`${name} must decode to ${len} bytes, got ${b.length}`);
    return b.toString('base64url');
  };
  const publicKey = check(pub, 'VAPID_PUBLIC_KEY', 65);
  if (Buffer.from(publicKey, 'base64url')[0] !== 4) throw new ConfigError('VAPID_PUBLIC_KEY must be an uncompressed P-256 point');
  const privateKey = check(priv, 'VAPID_PRIVATE_KEY', 32);
  let derived: string;
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(privateKey, 'base64url'));
    derived = ecdh.getPublicKey().toString('base64url');
  } catch {
    throw new ConfigError('VAPID_PRIVATE_KEY is not a valid P-256 private key');
  }
  if (derived !== publicKey) throw new ConfigError('VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY');
  return { publicKey, privateKey };
}

function vapidSubject(env: Env): string {
  const v = str(env, 'VAPID_SUBJECT') ?? 'mailto:admin@localhost';
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`VAPID_SUBJECT must be a mailto: or https: URL, got "${v}"`);
  }
  if (u.protocol !== 'mailto:' && u.protocol !== 'https:') {
    throw new ConfigError(`VAPID_SUBJECT must be a mailto: or https: URL, got "${v}"`);
  }
  return v;
}

/** REDIS_PREFIX, or "cinder-" and 16 hex digits of an HMAC of the at-rest key (the key itself can't be recovered from it). */
export function redisPrefix(env: Env, atRestKey: Buffer): string {
  const v = str(env, 'REDIS_PREFIX');
  if (v === undefined) return 'cinder-' + createHmac('sha256', atRestKey).update('cinder redis prefix').digest('hex').slice(0, 16);
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(v)) throw new ConfigError('REDIS_PREFIX may contain only A-Z, a-z, 0-9, _ . : - (at most 64)');
  return v;
}
