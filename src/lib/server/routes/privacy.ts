/** Privacy settings of the signed-in account: who sees my "last seen" (../last-seen.ts, docs/api.md "Last seen"). */
import { PrivacyReq } from '../../api/wire';
import { HttpError, readJson } from '../http';
import { privacyOf } from '../last-seen';
import { json, type RouteArea } from './shared';

export const privacyRoutes: RouteArea = (router, { store, lastSeen }, { requireAuth }) => {
  router.add('GET', '/api/me/privacy', async (ctx) => {
    const auth = await requireAuth(ctx);
    // Fresh from the store: the cached row may predate a change made through another node.
    const res: PrivacyReq = { lastSeen: privacyOf((await store.getUser(auth.user.id)) ?? auth.user) };
    return json(res);
  });

  router.add('PUT', '/api/me/privacy', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { lastSeen: privacy } = await readJson(ctx.req, PrivacyReq);
    if (!(await store.setLastSeenPrivacy(auth.user.id, privacy))) throw new HttpError(404, 'not_found', 'no such user');
    await lastSeen.privacyChanged(auth.user.id, privacy);
    const res: PrivacyReq = { lastSeen: privacy };
    return json(res);
  });
};
