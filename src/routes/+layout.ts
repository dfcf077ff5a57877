import { core } from '$lib/worker/client';

// The UI is a client app: its data lives in the device's worker, never on a rendering server,
// and one static shell serves every route offline (see src/service-worker.ts).
export const ssr = false;
export const prerender = false;

/**
 * Starts the worker and its start-up call while the route's components are still loading (this runs
 * before anything renders), instead of after the layout mounts. Runs once: it depends on nothing.
 */
export const load = () => {
  const init = core().call('init', {});
  init.catch(() => undefined); // handled where the layout awaits it
  return { init };
};
