/** The user directory: search by username prefix, look-ups by name or id, and a user's public device keys. */
import { z } from '$lib/api/zod';
import { Id, LIMITS, plainText, type PublicDevice, type PublicUser } from '../../api/wire';
import { publicUser } from '../cloud';
import { HttpError, parse } from '../http';
import { seenBy } from '../photos';
import type { UserRow } from '../store/types';
import { compressibleJson, json, param, type RouteArea } from './shared';

const UsernameParam = z.pipe(
  plainText(z.string().check(z.minLength(1), z.maxLength(LIMITS.usernameMax))),
  z.transform((s: string) => s.toLowerCase())
);
const SearchQuery = z.pipe(
  z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(LIMITS.usernameMax)),
  z.transform((s: string) => s.toLowerCase())
);

export const userRoutes: RouteArea = (router, { store, lastSeen }, { requireAuth }) => {
  /** `u` as `viewerId` may see it: its photo (../photos.ts) and its last seen (../last-seen.ts). */
  const shown = async (u: UserRow, viewerId: string, viewer: UserRow | null): Promise<PublicUser> => {
    const seen = await lastSeen.view(viewerId, u, { viewer });
    return { ...publicUser(await seenBy(store, u, viewerId)), ...(seen ? { lastSeen: seen } : {}) };
  };

  router.add('GET', '/api/users', async (ctx) => {
    const auth = await requireAuth(ctx);
    const q = parse(SearchQuery, ctx.url.searchParams.get('q') ?? '');
    // Usernames are [a-z0-9_]; any other character can't match anything.
    const users = /^[a-z0-9_]+$/.test(q) ? await store.searchUsers(q, 20) : [];
    // Fresh: the cached row may predate a privacy change made through another node.
    const viewer = await store.getUser(auth.user.id);
    return compressibleJson({ users: await Promise.all(users.map((u) => shown(u, auth.user.id, viewer))) });
  });

  router.add('GET', '/api/users/by-name/:username', async (ctx) => {
    const auth = await requireAuth(ctx);
    const user = await store.getUserByName(param(ctx, 'username', UsernameParam));
    if (!user) throw new HttpError(404, 'not_found', 'no such user');
    return json({ user: await shown(user, auth.user.id, await store.getUser(auth.user.id)) });
  });

  router.add('GET', '/api/users/:id', async (ctx) => {
    const auth = await requireAuth(ctx);
    const user = await store.getUser(param(ctx, 'id', Id));
    if (!user) throw new HttpError(404, 'not_found', 'no such user');
    return json({ user: await shown(user, auth.user.id, await store.getUser(auth.user.id)) });
  });

  router.add('GET', '/api/users/:id/devices', async (ctx) => {
    await requireAuth(ctx);
    const id = param(ctx, 'id', Id);
    if (!(await store.getUser(id))) throw new HttpError(404, 'not_found', 'no such user');
    const devices: PublicDevice[] = (await store.listDevices(id)).map((d) => ({ id: d.id, signPub: d.signPub, dhPub: d.dhPub, protocol: d.protocol }));
    return compressibleJson({ devices });
  });
};
