/** My block list (../blocks.ts): read it, block a user, unblock one. Each change reaches my other devices, and the
 * one (un)blocked sees my last seen as they now may, at once (../last-seen.ts). */
import { Id } from '../../api/wire';
import { createBlocks } from '../blocks';
import { json, limit, noContent, param, type RouteArea } from './shared';

export const blockRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const blocks = createBlocks(deps);
  /** My photo goes from (or comes back to) the chat list of the one I (un)blocked, live (../photos.ts). */
  const photoSeen = async (me: string, userId: string) => {
    if ((await deps.store.getUser(me))?.photo != null) await deps.cloud.publish(await deps.store.announceProfile(me, userId));
  };

  router.add('GET', '/api/blocks', async (ctx) => {
    const auth = await requireAuth(ctx);
    // Not compressed: whom I blocked sits beside names others chose (BREACH, ../compress.ts).
    return json({ users: await blocks.list(auth.user.id) });
  });

  // Idempotent both ways (PUT and DELETE of one resource); each costs what a send does.
  router.add('PUT', '/api/blocks/:userId', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const user = await blocks.block(auth.user.id, param(ctx, 'userId', Id));
    await photoSeen(auth.user.id, user.id);
    await deps.lastSeen.showTo(user.id, auth.user.id);
    return json({ user });
  });

  router.add('DELETE', '/api/blocks/:userId', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    const userId = param(ctx, 'userId', Id);
    await blocks.unblock(auth.user.id, userId);
    await photoSeen(auth.user.id, userId);
    await deps.lastSeen.showTo(userId, auth.user.id);
    return noContent();
  });
};
