/**
 * A relay over either storage backend, for HTTP-level tests that must hold on SQLite and PostgreSQL
 * alike (PostgreSQL: a fresh schema per server, dropped on close; skipped when unreachable outside CI).
 */
import { rmSync } from 'node:fs';
import { loadConfig } from '../../../src/lib/server/config';
import { createLogger } from '../../../src/lib/server/log';
import { createRelay } from '../../../src/lib/server/relay';
import { dropPostgresSchema, openPostgresStore } from '../../../src/lib/server/store/postgres';
import { openSqliteStore } from '../../../src/lib/server/store/sqlite';
import type { Store } from '../../../src/lib/server/store/types';
import { FAST_SCRYPT, listenRelay, tempDir, type TestServer } from './helpers';
import { postgres, skipWithout, uniqueName } from './services';

const pgService = await postgres();

export interface Backend {
  name: 'sqlite' | 'postgres';
  skip: boolean;
}

export const BACKENDS: Backend[] = [
  { name: 'sqlite', skip: false },
  { name: 'postgres', skip: skipWithout('relay on postgres', pgService) }
];

/** Enough of TestServer for `call`, `signup` and friends, plus the store whatever its backend. */
export type AnyServer = Omit<TestServer, 'store'> & { store: Store };

/** `wrap`: what the relay gets instead of the store (e.g. a spy counting its calls); `store` stays the bare one. */
export async function startOn(backend: Backend['name'], env: Record<string, string> = {}, wrap: (s: Store) => Store = (s) => s): Promise<AnyServer> {
  const dataDir = tempDir();
  const config = loadConfig({ DATA_DIR: dataDir, AUTH_RATE_LIMIT: '10000', SEND_RATE_BURST: '10000', ...env });
  const logs: string[] = [];
  const log = createLogger('debug', (l) => logs.push(l));
  const schema = uniqueName('relay');
  const store: Store = backend === 'sqlite' ? openSqliteStore(dataDir) : await openPostgresStore(pgService.url, { schema, max: 4 });
  const clock: { now: number | null } = { now: null };
  const relay = createRelay(config, { store: wrap(store), log, scrypt: FAST_SCRYPT, now: () => clock.now ?? Date.now() });
  const served = await listenRelay(relay);
  return {
    ...served,
    dataDir,
    config,
    relay,
    store,
    logs,
    clock,
    async close() {
      await served.stop();
      await store.close();
      if (backend === 'postgres') await dropPostgresSchema(pgService.url, schema);
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}
