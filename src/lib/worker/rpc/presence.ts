/** "Online" / "last seen": a person's as I may see it (../presence.ts), and who sees mine (the relay's setting). */
import { PrivacyReq } from '$lib/api/wire';
import { request } from '../net';
import { lastSeenOf, lastSeenOfMany } from '../presence';
import type { CoreContext, Handlers } from './context';

export const presenceHandlers: Handlers<'lastSeen' | 'lastSeenMany' | 'getPrivacy' | 'setPrivacy', Pick<CoreContext, 'me'>> = {
  lastSeen: async (_ctx, { userId }) => lastSeenOf(userId),

  lastSeenMany: async (_ctx, { userIds }) => lastSeenOfMany(userIds),

  getPrivacy: async () => request('GET', '/api/me/privacy', undefined, PrivacyReq),

  // The relay tells my devices (a `privacy` frame), so each forgets what it saw of others (reciprocity).
  setPrivacy: async (_ctx, body) => request('PUT', '/api/me/privacy', body, PrivacyReq)
};
