/** Web Push subscriptions and self-destruct wake-ups (../push.ts, ../wakeups.ts; content-free pushes). */
import { PUSH_LIMITS, PushSubscribeReq, WakeupsReq } from '../../api/wire';
import { HttpError, readJson } from '../http';
import { pushEndpointProblem, pushKeysProblem } from '../push';
import { wakeTimesProblem } from '../wakeups';
import { json, noContent, type RouteArea } from './shared';

export const pushRoutes: RouteArea = (router, deps, { requireAuth }) => {
  const { config, store, now } = deps;

  router.add('GET', '/api/push/key', async () => json({ publicKey: deps.push.publicKey }));

  router.add('POST', '/api/push/subscribe', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { endpoint, keys } = await readJson(ctx.req, PushSubscribeReq);
    const problem = pushEndpointProblem(endpoint, config.pushAllowInsecure, config.pushServiceHosts);
    if (problem) throw new HttpError(400, 'bad_request', `endpoint: ${problem}`);
    const keysProblem = pushKeysProblem(keys.p256dh, keys.auth);
    if (keysProblem) throw new HttpError(400, 'bad_request', keysProblem);
    await store.setPushSubscription({ deviceId: auth.device.id, endpoint, p256dh: keys.p256dh, auth: keys.auth, createdAt: now() });
    return noContent();
  });

  router.add('DELETE', '/api/push/subscribe', async (ctx) => {
    const auth = await requireAuth(ctx);
    await store.deletePushSubscription(auth.device.id);
    return noContent();
  });

  router.add('POST', '/api/wakeups', async (ctx) => {
    const auth = await requireAuth(ctx);
    const { at } = await readJson(ctx.req, WakeupsReq);
    const problem = wakeTimesProblem(at, now());
    if (problem) throw new HttpError(400, 'bad_request', problem);
    if (!(await store.addWakeups(auth.device.id, at, PUSH_LIMITS.wakeupsPerDevice))) {
      throw new HttpError(409, 'conflict', `too many pending wake-ups (at most ${PUSH_LIMITS.wakeupsPerDevice} per device)`);
    }
    deps.wakeups.scheduled();
    return noContent();
  });
};
