/** The device's identity keys, kept sealed in the vault; read by the worker and the service worker. */
import { fromB64u } from '$lib/api/b64';
import { deserializeIdentity, type Identity } from '$lib/crypto';
import type { CinderDB } from '$lib/store/db';
import type { Vault } from '$lib/store/vault';
import { places } from '$lib/store/places';

export const IDENTITY_PLACE = places.secret('identity');

export class NoIdentityError extends Error {
  readonly code = 'no_identity';
  constructor() {
    super('This device has no identity keys; sign in again');
  }
}

export async function loadIdentity(db: CinderDB, vault: Vault): Promise<Identity> {
  const row = await db.secrets.get('identity');
  if (!row) throw new NoIdentityError();
  const { identity } = await vault.open<{ identity: string }>(IDENTITY_PLACE, row.box);
  return deserializeIdentity(fromB64u(identity));
}
