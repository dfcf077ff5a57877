/**
 * The JSON API of docs/api.md, composed from one module per area (./routes/*.ts). Handlers validate
 * everything with the shared wire schemas, so bad input is always a 4xx; the order inside a handler is:
 * same-origin check, authentication, rate limit, body. Shared guards and replies: ./routes/shared.ts.
 */
import { Router } from './http';
import { accountRoutes } from './routes/account';
import { accountDeleteRoutes } from './routes/account-delete';
import { authRoutes } from './routes/auth';
import { blobRoutes } from './routes/blobs';
import { blockRoutes } from './routes/blocks';
import { cloudRoutes } from './routes/cloud';
import { cloudMediaRoutes } from './routes/cloud-media';
import { envelopeRoutes } from './routes/envelopes';
import { healthRoutes } from './routes/health';
import { photoRoutes } from './routes/photos';
import { presenceRoutes } from './routes/presence';
import { privacyRoutes } from './routes/privacy';
import { pushRoutes } from './routes/push';
import { scheduledRoutes } from './routes/scheduled';
import { sealedRoutes } from './routes/sealed';
import { createKit, type ApiDeps, type RouteArea } from './routes/shared';
import { userRoutes } from './routes/users';

export type { ApiDeps } from './routes/shared';

/** Registration order is match order (see Router); no two areas' patterns overlap. */
const AREAS: RouteArea[] = [
  healthRoutes,
  authRoutes,
  accountRoutes,
  accountDeleteRoutes,
  privacyRoutes,
  presenceRoutes,
  userRoutes,
  photoRoutes,
  blockRoutes,
  cloudRoutes,
  scheduledRoutes,
  cloudMediaRoutes,
  envelopeRoutes,
  blobRoutes,
  sealedRoutes,
  pushRoutes
];

export function createApi(deps: ApiDeps): Router {
  const router = new Router();
  const kit = createKit(deps);
  for (const area of AREAS) area(router, deps, kit);
  return router;
}
