/** Profile photos (../photos.ts): set and remove mine, read anyone's by version (immutable: a new version is a new URL). */
import { z } from '$lib/api/zod';
import { PHOTO_MAX } from '../../api/photo';
import { Id } from '../../api/wire';
import { HttpError, readBody } from '../http';
import { createPhotos } from '../photos';
import { json, limit, noContent, param, type RouteArea } from './shared';

const Version = z.pipe(
  z.string().check(z.regex(/^[1-9][0-9]{0,14}$/, 'version must be a positive integer')),
  z.transform((s: string) => Number(s))
);

export const photoRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const photos = createPhotos(deps);

  router.add('PUT', '/api/me/photo', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const tooLarge = () => new HttpError(413, 'too_large', `a profile photo has at most ${PHOTO_MAX / 1024} KB`, { connection: 'close' });
    if (Number(ctx.req.headers['content-length'] ?? 0) > PHOTO_MAX) throw tooLarge();
    const bytes = await readBody(ctx.req, PHOTO_MAX).catch((e: unknown) => {
      throw e instanceof HttpError && e.status === 413 ? tooLarge() : e;
    });
    const photo = await photos.set(auth.user.id, ctx.req.headers['content-type'], bytes);
    deps.sessions.forgetUser(auth.user.id);
    return json({ photo });
  });

  router.add('DELETE', '/api/me/photo', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    await photos.remove(auth.user.id);
    deps.sessions.forgetUser(auth.user.id);
    return noContent();
  });

  router.add('GET', '/api/users/:id/photo/:version', async (ctx) => {
    const auth = await requireAuth(ctx);
    const bytes = await photos.get(auth.user.id, param(ctx, 'id', Id), param(ctx, 'version', Version));
    return { status: 200, bytes, headers: { 'cache-control': 'private, max-age=31536000, immutable' } };
  });
};
