/** The Redis channel is per deployment: REDIS_PREFIX, or derived from the at-rest key all nodes share. */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../../src/lib/server/bus';
import { ConfigError, loadConfig } from '../../../src/lib/server/config';
import { createRedisBus } from '../../../src/lib/server/redis-bus';
import { sleep, tempDir } from './helpers';
import { redis, skipWithout } from './services';

const redisService = await redis();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const config = (env: Record<string, string>) => {
  const d = tempDir();
  dirs.push(d);
  return loadConfig({ DATA_DIR: d, ...env });
};

describe('REDIS_PREFIX', () => {
  it('defaults to one value per at-rest key (same for every node, different per deployment, key not in it)', () => {
    const k1 = randomBytes(32).toString('base64');
    const k2 = randomBytes(32).toString('base64');
    const a = config({ AT_REST_KEY: k1 }).redisPrefix;
    expect(a).toMatch(/^cinder-[0-9a-f]{16}$/);
    expect(config({ AT_REST_KEY: k1 }).redisPrefix).toBe(a);
    expect(config({ AT_REST_KEY: k2 }).redisPrefix).not.toBe(a);
    expect(a).not.toContain(Buffer.from(k1, 'base64').toString('hex').slice(0, 16));
  });

  it('can be set, and is validated', () => {
    expect(config({ REDIS_PREFIX: 'cinder' }).redisPrefix).toBe('cinder');
    expect(config({ REDIS_PREFIX: 'prod:eu-1' }).redisPrefix).toBe('prod:eu-1');
    expect(() => config({ REDIS_PREFIX: 'has space' })).toThrow(ConfigError);
    expect(() => config({ REDIS_PREFIX: 'x'.repeat(65) })).toThrow(ConfigError);
  });

  it.skipIf(skipWithout('redis prefix', redisService))('two deployments on one Redis do not hear each other; nodes of one do', async () => {
    const p1 = config({}).redisPrefix;
    const p2 = config({}).redisPrefix;
    const mk = (prefix: string, nodeId: string) => createRedisBus({ url: redisService.url, prefix, nodeId, onError: () => {} });
    const [a1, a2, b1] = await Promise.all([mk(p1, 'a1'), mk(p1, 'a2'), mk(p2, 'b1')]);
    try {
      const heard = { a2: [] as BusEvent[], b1: [] as BusEvent[] };
      a2.subscribe((e) => heard.a2.push(e));
      b1.subscribe((e) => heard.b1.push(e));
      const event: BusEvent = { to: 'revoke', deviceId: 'dev-' + randomBytes(4).toString('hex') };
      a1.publish(event);
      for (let i = 0; i < 100 && heard.a2.length === 0; i++) await sleep(10);
      await sleep(100); // time for a stray delivery to the other deployment
      expect(heard.a2).toEqual([event]);
      expect(heard.b1).toEqual([]);
    } finally {
      await Promise.all([a1.close(), a2.close(), b1.close()]);
    }
  });
});
