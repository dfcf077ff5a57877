/** GET /healthz: dependency checks (monitor.ts) when configured, else a plain `{ok: true}`. */
import { json, type RouteArea } from './shared';

export const healthRoutes: RouteArea = (router, deps) => {
  router.add('GET', '/healthz', async () => (deps.health ? deps.health() : json({ ok: true })));
};
