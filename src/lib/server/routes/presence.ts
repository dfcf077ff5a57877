/**
 * `POST /api/presence`: the "online" / "last seen" of up to 100 users at once, as their profiles would
 * show them to the caller (../last-seen.ts `view`: privacy, reciprocity, blocks), so a chat list gets
 * its rows' state in one request and then follows the `presence` frames.
 */
import { PresenceReq, type PresenceRes } from '../../api/wire';
import { readJson } from '../http';
import { json, limit, type RouteArea } from './shared';

export const presenceRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const { lastSeen } = deps;
  router.add('POST', '/api/presence', async (ctx) => {
    const auth = await requireAuth(ctx);
    // One list's worth costs what a send does: asking again and again for timing is throttled.
    limit(deps.sendLimiter, auth.device.id);
    const { userIds } = await readJson(ctx.req, PresenceReq);
    // Fresh rows (the cached one may predate a privacy change made through another node), in a fixed number of queries.
    const users: PresenceRes['users'] = await lastSeen.viewMany(auth.user.id, userIds);
    const res: PresenceRes = { users };
    return json(res);
  });
};
