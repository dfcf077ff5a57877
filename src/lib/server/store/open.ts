/**
 * Backend selection: PostgreSQL when DATABASE_URL is set (several relay nodes can share it), otherwise
 * the embedded SQLite file in DATA_DIR (one node).
 */
import type { Config } from '../config';
import { openPostgresStore } from './postgres';
import { openSqliteStore } from './sqlite';
import type { Store } from './types';

export interface OpenedStore {
  store: Store;
  backend: 'sqlite' | 'postgres';
  /** Migration versions applied by this start. */
  migrated: number[];
}

export async function openStore(config: Pick<Config, 'dataDir'> & { databaseUrl?: string | null }, onError?: (err: Error) => void): Promise<OpenedStore> {
  if (config.databaseUrl) {
    const store = await openPostgresStore(config.databaseUrl, { onError });
    return { store, backend: 'postgres', migrated: store.migrated };
  }
  const store = openSqliteStore(config.dataDir);
  return { store, backend: 'sqlite', migrated: store.migrated };
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
