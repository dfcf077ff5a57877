import { vi } from 'vitest';
import type { SecretDevice } from './secret-pair';

/** The next read-write transaction over secretMessages throws after its writes (as a crash mid-commit would). */
export function abortNextCommit(d: SecretDevice) {
  const original = d.db.transaction.bind(d.db) as (...args: unknown[]) => Promise<unknown>;
  let armed = true;
  return vi.spyOn(d.db, 'transaction').mockImplementation(((...args: unknown[]) => {
    const tables = args.slice(1, -1).flat() as { name?: string }[];
    if (!armed || args[0] !== 'rw' || !tables.some((t) => t?.name === 'secretMessages')) return original(...args);
    armed = false;
    const body = args[args.length - 1] as () => Promise<unknown>;
    return original(...args.slice(0, -1), async () => {
      await body();
      throw new Error('simulated crash in the middle of the commit');
    });
  }) as never);
}
