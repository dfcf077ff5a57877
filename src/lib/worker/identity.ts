/** The device's identity keys, kept sealed in the vault; read by the worker and the service worker. */
import { fromB64u, toB64u } from '$lib/api/b64';
import { deserializeIdentity, serializeIdentity, type Identity } from '$lib/crypto';
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

/** Seals a new device's identity into the vault (the serialized copy is wiped after). */
export async function storeIdentity(db: CinderDB, vault: Vault, deviceId: string, identity: Identity): Promise<void> {
  const bytes = serializeIdentity(identity);
  try {
    await db.secrets.put({ key: 'identity', box: await vault.seal(IDENTITY_PLACE, { deviceId, identity: toB64u(bytes) }) });
  } finally {
    bytes.fill(0);
  }
}
