/**
 * External services for the scale-out tests (PostgreSQL, Redis). URLs: TEST_DATABASE_URL / TEST_REDIS_URL,
 * else DATABASE_URL / REDIS_URL, else the local defaults (postgres@127.0.0.1:5432/test, then root@,
 * and redis://127.0.0.1:6379).
 *
 * With CI=true a missing service is a failure (the tests run and say why); elsewhere the tests are
 * skipped with the reason printed once.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

export const IN_CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');

const pgCandidates = (): string[] => {
  const explicit = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (explicit) return [explicit];
  return ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];
};
const redisCandidates = (): string[] => [process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'];

export interface Service {
  url: string;
  /** Why the service can't be used; null when it answered. */
  unavailable: string | null;
}

let pgProbe: Promise<Service> | null = null;
let redisProbe: Promise<Service> | null = null;

export function postgres(): Promise<Service> {
  return (pgProbe ??= (async () => {
    const errors: string[] = [];
    for (const url of pgCandidates()) {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
      try {
        await c.connect();
        await c.query('SELECT 1');
        return { url, unavailable: null };
      } catch (e) {
        errors.push(`${url.replace(/:[^:@/]*@/, ':***@')}: ${(e as Error).message}`);
      } finally {
        await c.end().catch(() => {});
      }
    }
    return { url: pgCandidates()[0], unavailable: `PostgreSQL not reachable (${errors.join('; ')})` };
  })());
}

export function redis(): Promise<Service> {
  return (redisProbe ??= (async () => {
    const url = redisCandidates()[0];
    const r = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      await r.ping();
      return { url, unavailable: null };
    } catch (e) {
      return { url, unavailable: `Redis not reachable at ${url}: ${(e as Error).message}` };
    } finally {
      r.disconnect();
    }
  })());
}

/**
 * Whether a suite needing these services should be skipped: true (and the reason printed) only
 * outside CI. In CI the suite runs, and fails on the first connection, naming the missing service.
 */
export function skipWithout(what: string, ...services: Service[]): boolean {
  const missing = services.map((s) => s.unavailable).filter((r): r is string => r !== null);
  if (missing.length === 0) return false;
  if (IN_CI) {
    console.error(`[${what}] CI=true, so not skipping although: ${missing.join('; ')}`);
    return false;
  }
  console.warn(`[${what}] SKIPPED: ${missing.join('; ')}. Start the service(s) or set TEST_DATABASE_URL / TEST_REDIS_URL; with CI=true these tests fail instead.`);
  return true;
}

/** A unique schema / channel prefix name for one test run. */
export const uniqueName = (kind: string) => `cinder_test_${kind}_${process.pid}_${randomBytes(4).toString('hex')}`;
