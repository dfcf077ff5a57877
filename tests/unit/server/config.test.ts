import { statSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/lib/server/config';
import { tempDir } from './helpers';

const dirs: string[] = [];
const dir = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('config', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({ DATA_DIR: dir() });
    expect(c).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      authRateLimit: 20,
      loginBackoffAfter: 5,
      loginBackoffMaxSec: 900,
      trustProxy: false,
      envelopeTtlDays: 7,
      atRestKeySource: 'generated'
    });
    expect(c.atRestKey).toHaveLength(32);
  });

  it('creates DATA_DIR and an at-rest key file with mode 0600, reused on the next start', () => {
    const d = join(dir(), 'nested', 'data');
    const a = loadConfig({ DATA_DIR: d });
    const keyFile = join(d, 'at-rest.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const b = loadConfig({ DATA_DIR: d });
    expect(b.atRestKeySource).toBe('file');
    expect(b.atRestKey.equals(a.atRestKey)).toBe(true);
  });

  it('takes AT_REST_KEY from the environment (standard or url-safe base64)', () => {
    const key = Buffer.alloc(32, 7);
    const c = loadConfig({ DATA_DIR: dir(), AT_REST_KEY: key.toString('base64') });
    expect(c.atRestKeySource).toBe('env');
    expect(c.atRestKey.equals(key)).toBe(true);
    expect(loadConfig({ DATA_DIR: dir(), AT_REST_KEY: key.toString('base64url') }).atRestKey.equals(key)).toBe(true);
  });

  it('parses overrides', () => {
    const c = loadConfig({
      DATA_DIR: dir(),
      PORT: '8080',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'DEBUG',
      AUTH_RATE_LIMIT: '5',
      TRUST_PROXY: 'true',
      ENVELOPE_TTL_DAYS: '30'
    });
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', logLevel: 'debug', authRateLimit: 5, trustProxy: true, envelopeTtlDays: 30 });
  });

  it.each([
    ['PORT', 'abc', /PORT/],
    ['PORT', '70000', /PORT must be between/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['AUTH_RATE_LIMIT', '0', /AUTH_RATE_LIMIT/],
    ['AUTH_RATE_LIMIT', '-3', /AUTH_RATE_LIMIT/],
    ['LOGIN_BACKOFF_AFTER', '1001', /LOGIN_BACKOFF_AFTER/],
    ['LOGIN_BACKOFF_MAX', '0', /LOGIN_BACKOFF_MAX/],
    ['LOGIN_BACKOFF_MAX', '86401', /LOGIN_BACKOFF_MAX/],
    ['TRUST_PROXY', 'maybe', /TRUST_PROXY/],
    ['ENVELOPE_TTL_DAYS', '1.5', /ENVELOPE_TTL_DAYS/],
    ['AT_REST_KEY', Buffer.alloc(16).toString('base64'), /32 bytes/],
    ['AT_REST_KEY', 'not base64 at all!', /not base64/]
  ])('rejects %s=%s with a clear error', (name, value, msg) => {
    expect(() => loadConfig({ DATA_DIR: dir(), [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dir(), [name]: value })).toThrow(msg);
  });

  it('rejects a corrupt key file instead of silently replacing it', () => {
    const d = dir();
    writeFileSync(join(d, 'at-rest.key'), 'c2hvcnQ=\n', { mode: 0o600 });
    expect(() => loadConfig({ DATA_DIR: d })).toThrow(/32 bytes/);
    expect(readFileSync(join(d, 'at-rest.key'), 'utf8')).toBe('c2hvcnQ=\n');
  });

  it('rejects a DATA_DIR that is a file', () => {
    const f = join(dir(), 'file');
    writeFileSync(f, 'x');
    expect(() => loadConfig({ DATA_DIR: f })).toThrow(ConfigError);
  });
});
