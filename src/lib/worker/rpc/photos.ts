/** Profile photos (../photos.ts): anyone's bytes for an avatar, and setting or removing mine. */
import { Session } from '$lib/api/wire';
import { request } from '../net';
import { photoBlob, uploadPhoto } from '../photos';
import type { CoreContext, Handlers } from './context';

type Ctx = Pick<CoreContext, 'db' | 'me' | 'setSession' | 'emit'>;

/** The session as the relay has it now (its photo's version), stored and told to the pages. */
const refreshed = async (ctx: Ctx) => {
  const s = await request('GET', '/api/me', undefined, Session);
  await ctx.setSession(s);
  return s;
};

export const photosHandlers: Handlers<'photo' | 'setPhoto' | 'removePhoto', Ctx> = {
  photo: async (ctx, { userId, version }) => photoBlob(ctx.db, userId, version),

  setPhoto: async (ctx, { bytes, type }) => {
    await uploadPhoto(ctx.db, ctx.me, new Uint8Array(bytes), type);
    return refreshed(ctx);
  },

  removePhoto: async (ctx) => {
    await request('DELETE', '/api/me/photo', undefined, null);
    await ctx.db.photos.delete(ctx.me);
    return refreshed(ctx);
  }
};
