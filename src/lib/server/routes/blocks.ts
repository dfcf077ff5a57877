/** My block list (../blocks.ts): read it, block a user, unblock one. Each change reaches my other devices. */
import { Id } from '../../api/wire';
import { createBlocks } from '../blocks';
import { json, limit, noContent, param, type RouteArea } from './shared';

export const blockRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const blocks = createBlocks(deps);

  router.add('GET', '/api/blocks', async (ctx) => {
    const auth = await requireAuth(ctx);
    // Not compressed: whom I blocked sits beside names others chose (BREACH, ../compress.ts).
    return json({ users: await blocks.list(auth.user.id) });
  });

  // Idempotent both ways (PUT and DELETE of one resource); each costs what a send does.
  router.add('PUT', '/api/blocks/:userId', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    return json({ user: await blocks.block(auth.user.id, param(ctx, 'userId', Id)) });
  });

  router.add('DELETE', '/api/blocks/:userId', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    await blocks.unblock(auth.user.id, param(ctx, 'userId', Id));
    return noContent();
  });
};
