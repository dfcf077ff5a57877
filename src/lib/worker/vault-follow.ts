/**
 * Keeps this worker on the device's current vault key. Setting or removing the passcode in one tab
 * replaces the key (store/passcode.ts); the workers of other tabs still hold the old one, and every
 * write they seal with it is refused (store/vault-guard.ts). They follow: told at once on a channel
 * of their own, and again whenever a write of theirs was refused. A key now kept in clear is taken
 * up; a key now behind a passcode locks this tab too (its passcode is asked for, as on a restart).
 * Locking is for the whole device as well: a tab that locks (by hand or after the idle time) tells
 * the others, and each drops the key (the passcode opens each tab again).
 */
import type { CinderDB } from '$lib/store/db';
import { equalBytes } from '$lib/crypto/bytes';
import { LEGACY_KEY_ID, Vault, VaultError } from '$lib/store/vault';
import { CoreError } from './rpc/context';

export interface VaultHost {
  db(): CinderDB;
  /** The vault this worker uses; null while locked. */
  current(): Vault | null;
  /** The key is kept in clear now: use it (and open if this tab was locked). */
  useClear(vault: Vault): void;
  /** The key is behind a passcode now: close this tab's vault and say so. */
  lockOut(): void;
}

const CHANNEL = 'cinder-vault';

export class VaultFollower {
  /** This worker's own re-keys in progress: it switches when done, and must not lock itself meanwhile. */
  private replacing = 0;
  private following: Promise<void> | null = null;
  private readonly channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;

  constructor(private readonly host: VaultHost) {
    this.channel?.addEventListener('message', (ev: MessageEvent) => {
      if (ev.data === 'locked') void this.lockedElsewhere().catch(() => undefined);
      else void this.follow().catch(() => undefined);
    });
  }

  /** This tab locked: the others drop the key too. */
  announceLocked(): void {
    this.channel?.postMessage('locked');
  }

  /** Another tab locked: this one too, if the key is behind a passcode (without one there is no lock). */
  private async lockedElsewhere(): Promise<void> {
    if (!this.host.current() || this.replacing) return;
    if ((await this.host.db().vault.get('main'))?.wrapped && this.host.current()) this.host.lockOut();
  }

  /** Runs this worker's own re-key (`rekey` returns the new vault); the other contexts are told after. */
  async replace(rekey: () => Promise<Vault>, use: (v: Vault) => void): Promise<void> {
    this.replacing++;
    try {
      use(await rekey());
    } finally {
      this.replacing--;
    }
    this.channel?.postMessage('replaced');
  }

  /** Runs a call: a stale key met on the way (replaced meanwhile) is followed first, then reported. */
  async around<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (!(e instanceof VaultError && e.code === 'stale_key')) throw e;
      await this.follow().catch(() => undefined);
      throw new CoreError('vault_changed', 'The passcode was just changed on this device. Try again.');
    }
  }

  /** Checks the stored vault row against the key in use and follows it (one check at a time). */
  follow(): Promise<void> {
    this.following ??= this.check().finally(() => (this.following = null));
    return this.following;
  }

  private async check(): Promise<void> {
    if (this.replacing) return;
    const row = await this.host.db().vault.get('main');
    if (!row || this.replacing) return;
    const id = row.keyId ?? LEGACY_KEY_ID;
    const current = this.host.current();
    if (current && equalBytes(current.keyId, id)) return;
    if (row.key) this.host.useClear(new Vault(row.key, row.keyId));
    else if (row.wrapped && current) this.host.lockOut();
  }
}
