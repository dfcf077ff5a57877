/** Scheduled messages of cloud chats (../cloud-scheduled.ts): create, list mine per chat, edit, delete, send now. */
import { EditScheduledReq, ScheduleReq } from '../../api/wire-scheduled';
import { ClientId, Id } from '../../api/wire-base';
import { readJson } from '../http';
import { json, limit, noContent, param, type RouteArea } from './shared';

export const scheduledRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const { scheduled } = deps;

  router.add('POST', '/api/cloud/scheduled', async (ctx) => {
    const auth = await requireAuth(ctx);
    // It reaches the peer as a message later: it costs what a send does now.
    limit(deps.sendLimiter, auth.device.id);
    const body = await readJson(ctx.req, ScheduleReq);
    return json({ scheduled: await scheduled.create(auth.user.id, auth.device.id, body) });
  });

  router.add('GET', '/api/cloud/chats/:peerId/scheduled', async (ctx) => {
    const auth = await requireAuth(ctx);
    return json({ scheduled: await scheduled.list(auth.user.id, param(ctx, 'peerId', Id)) });
  });

  router.add('PATCH', '/api/cloud/scheduled/:id', async (ctx) => {
    const auth = await requireAuth(ctx);
    const id = param(ctx, 'id', ClientId);
    const body = await readJson(ctx.req, EditScheduledReq);
    return json({ scheduled: await scheduled.edit(auth.user.id, id, body) });
  });

  router.add('DELETE', '/api/cloud/scheduled/:id', async (ctx) => {
    const auth = await requireAuth(ctx);
    await scheduled.remove(auth.user.id, param(ctx, 'id', ClientId));
    return noContent();
  });

  router.add('POST', '/api/cloud/scheduled/:id/send', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.sendLimiter, auth.device.id);
    await scheduled.sendNow(auth.user.id, param(ctx, 'id', ClientId));
    return noContent();
  });
};
