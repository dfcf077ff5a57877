/**
 * The device identity's private keys in memory: loaded once per open vault (they are sealed in it),
 * wiped when the vault closes or is replaced (see Core.useVault).
 */
import type { Identity } from '$lib/crypto';
import type { CinderDB } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { loadKeygen } from './lazy';
import { CoreError } from './rpc/context';

const wipe = (identity: Identity) => {
  identity.sign.priv.fill(0);
  identity.dh.priv.fill(0);
};

export class IdentityCache {
  private identity: Identity | null = null;

  /** The identity sealed in `vault`; `open()` says whether that vault is still the open one once it is loaded. */
  async get(db: CinderDB, vault: Vault, open: () => boolean): Promise<Identity> {
    if (this.identity) return this.identity;
    const keygen = await loadKeygen();
    const identity = await keygen.loadIdentity(db, vault, await keygen.detectBackend());
    // Locked meanwhile: the keys belong to a closed vault. Loaded twice at once: the first one stays.
    if (!open() || this.identity) {
      wipe(identity);
      if (!open()) throw new CoreError('locked', 'Cinder is locked. Enter your passcode.');
      return this.identity!;
    }
    this.identity = identity;
    return identity;
  }

  /** A new identity, just generated and stored (signing up or in). */
  set(identity: Identity): void {
    this.clear();
    this.identity = identity;
  }

  clear(): void {
    if (this.identity) wipe(this.identity);
    this.identity = null;
  }
}
