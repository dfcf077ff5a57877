/**
 * The worker's network module with `request` refused: secret-chat code must talk to the relay only
 * through its SecretRelay (here the fake one), never by a direct HTTP call. Use as
 *   vi.mock('$lib/worker/net', async (orig) => (await import('../support/no-relay')).noDirectRelay(orig));
 * (vi.mock is hoisted above the imports, so the helper is imported inside the factory).
 */
import type * as Net from '$lib/worker/net';

export async function noDirectRelay(importOriginal: <T>() => Promise<T>): Promise<typeof Net> {
  const net = await importOriginal<typeof Net>();
  const request: typeof net.request = async (method, path) => {
    throw new Error(`secret engine called the relay directly: ${method} ${path}`);
  };
  return { ...net, request };
}
