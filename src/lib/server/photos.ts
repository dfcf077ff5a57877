/**
 * Profile photos (docs/api.md "Profile photos"). Not end-to-end encrypted: sealed at rest like cloud
 * media, served to any signed-in user who can look the owner up, except those the owner blocked, who
 * see none (null in every profile, 404 for the bytes), as in Telegram. A deleted account has none.
 */
import { photoType, PHOTO_MAX, PHOTO_TYPES, type PhotoType } from '../api/photo';
import type { AtRest } from './atrest';
import type { Cloud } from './cloud';
import { HttpError } from './http';
import type { Store, UserRow } from './store/types';

const aad = (userId: string, version: number) => `photo:${userId}:${version}`;

/** `u` as `viewerId` may see it: without the photo when `u` blocked them (one look-up, only for a user with a photo). */
export async function seenBy(store: Pick<Store, 'blockedBetween'>, u: UserRow, viewerId: string): Promise<UserRow> {
  if (u.photo == null || u.id === viewerId) return u;
  return (await store.blockedBetween(u.id, viewerId)).aBlockedB ? { ...u, photo: null } : u;
}

export interface PhotoDeps {
  store: Store;
  atRest: AtRest;
  cloud: Pick<Cloud, 'publish'>;
}

export function createPhotos({ store, atRest, cloud }: PhotoDeps) {
  return {
    /** Checks the declared type (415), the size (413, read by the caller) and the magic bytes (400); the new version. */
    async set(userId: string, contentType: string | undefined, bytes: Buffer): Promise<number> {
      const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
      if (!PHOTO_TYPES.includes(type as PhotoType)) throw new HttpError(415, 'bad_request', 'a profile photo must be image/jpeg or image/webp');
      if (bytes.length > PHOTO_MAX) throw new HttpError(413, 'too_large', `a profile photo has at most ${PHOTO_MAX / 1024} KB`);
      if (photoType(bytes) !== type) throw new HttpError(400, 'bad_request', `the bytes are not a ${type === 'image/jpeg' ? 'JPEG' : 'WebP'} image`);
      const r = await store.setPhoto(userId, { type, seal: (v) => atRest.seal(bytes, aad(userId, v)) });
      if (r.photo == null) throw new HttpError(404, 'not_found', 'no such user');
      await cloud.publish(r.updates);
      return r.photo;
    },

    async remove(userId: string): Promise<void> {
      await cloud.publish((await store.setPhoto(userId, null)).updates);
    },

    /** The bytes of `userId`'s photo `version` for `viewerId`: 404 for another version, none, or an owner who blocked the viewer. */
    async get(viewerId: string, userId: string, version: number): Promise<Buffer> {
      const gone = () => new HttpError(404, 'not_found', 'no such photo');
      const user = await store.getUser(userId);
      if (!user || user.deletedAt != null || user.photo !== version) throw gone();
      if ((await seenBy(store, user, viewerId)).photo == null) throw gone();
      const row = await store.getPhoto(userId);
      if (!row || row.version !== version) throw gone();
      return atRest.open(row.body, aad(userId, version));
    }
  };
}
