/**
 * A relay over either storage backend, for HTTP-level tests that must hold on SQLite and PostgreSQL
 * alike (PostgreSQL: a fresh schema per server, dropped on close; skipped when unreachable outside CI).
 */
import { rmSync } from 'node:fs';
import { dropPostgresSchema, openPostgresStore } from '../../../src/lib/server/store/postgres';
import { openSqliteStore } from '../../../src/lib/server/store/sqlite';
import type { Store } from '../../../src/lib/server/store/types';
import { afterEach, beforeEach } from 'vitest';
import { serveRelay, signup, tempDir, type Account, type TestServer } from './helpers';
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
export function startOn(backend: Backend['name'], env: Record<string, string> = {}, wrap?: (s: Store) => Store): Promise<AnyServer> {
  const dataDir = tempDir();
  const schema = uniqueName('relay');
  const open = (): Store | Promise<Store> => (backend === 'sqlite' ? openSqliteStore(dataDir) : openPostgresStore(pgService.url, { schema, max: 4 }));
  return serveRelay(dataDir, open, { env, wrap }, async () => {
    if (backend === 'postgres') await dropPostgresSchema(pgService.url, schema);
    rmSync(dataDir, { recursive: true, force: true });
  });
}

/** A relay on `backend` and its accounts, refreshed before each test (see useRelayOn). */
export type RelayOn<N extends string> = { ts: AnyServer } & Record<N, Account>;

/**
 * useRelayWith on either backend: before each test a fresh relay on `backend` and one account per
 * name (username `${name}_${backend}`), closed after. Read `rig.ts`, `rig.alice`… inside tests.
 */
export function useRelayOn<N extends string>(backend: Backend['name'], names: readonly N[]): RelayOn<N> {
  const rig = {} as RelayOn<N>;
  beforeEach(async () => {
    rig.ts = await startOn(backend);
    for (const name of names) (rig as Record<N, Account>)[name] = await signup(rig.ts, `${name}_${backend}`);
  });
  afterEach(async () => {
    await rig.ts.close();
  });
  return rig;
}
