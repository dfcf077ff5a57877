/** Web Push: the relay's public key and this device's subscription. */
import { z } from '$lib/api/zod';
import { request } from '../net';
import type { Handlers } from './context';

export const pushHandlers: Handlers<'pushKey' | 'pushSubscribe' | 'pushUnsubscribe', unknown> = {
  pushKey: async () => request('GET', '/api/push/key', undefined, z.object({ publicKey: z.string().check(z.minLength(1), z.maxLength(200)) })),

  pushSubscribe: async (_ctx, sub) => {
    await request('POST', '/api/push/subscribe', sub, null);
    return null;
  },

  pushUnsubscribe: async () => {
    await request('DELETE', '/api/push/subscribe', undefined, null);
    return null;
  }
};
