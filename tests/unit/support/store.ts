import { openStore } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';

/** Opens a test database whose vault must be unlocked (no passcode set). */
export async function unlockedStore(name: string) {
  const { db, vault } = await openStore(name);
  if (!vault) throw new Error('expected an unlocked vault');
  return { db, vault: vault as Vault };
}
