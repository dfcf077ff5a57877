/**
 * "Online" / "last seen" (docs/api.md "Last seen"): what a profile says of when its user was last online,
 * as the relay computes it for one viewer, and the privacy setting that governs it. Re-exported by
 * ./wire.ts.
 */
import { Id } from './wire-base';
import { z } from './zod';

/** Who sees my exact last seen: everybody, people I share a cloud chat with (the default), or nobody. */
export const LAST_SEEN_PRIVACY = ['everybody', 'chats', 'nobody'] as const;
export const LastSeenPrivacy = z.enum(LAST_SEEN_PRIVACY);
export type LastSeenPrivacy = z.infer<typeof LastSeenPrivacy>;
export const DEFAULT_LAST_SEEN_PRIVACY: LastSeenPrivacy = 'chats';

/** The approximate forms: within 3 days, a week, a month, or longer (never, too). */
export const LAST_SEEN_APPROX = ['recently', 'week', 'month', 'long'] as const;

/** Online now (a device of the user holds a socket), the exact minute last seen, or only roughly. */
export const LastSeen = z.union([
  z.object({ online: z.literal(true) }),
  z.object({ at: z.number().check(z.int(), z.nonnegative()) }),
  z.object({ approx: z.enum(LAST_SEEN_APPROX) })
]);
export type LastSeen = z.infer<typeof LastSeen>;

/** Body of `PUT /api/me/privacy` and the answer of its GET. */
export const PrivacyReq = z.object({ lastSeen: LastSeenPrivacy });
export type PrivacyReq = z.infer<typeof PrivacyReq>;

/** At most this many users per `POST /api/presence` (a chat list's worth, in pieces). */
export const PRESENCE_BATCH_MAX = 100;

/** Body of `POST /api/presence`: whose last seen the caller wants (the chat list's peers). */
export const PresenceReq = z.object({ userIds: z.array(Id).check(z.minLength(1), z.maxLength(PRESENCE_BATCH_MAX)) });
export type PresenceReq = z.infer<typeof PresenceReq>;

/** Its answer: what the caller may see of each, as a profile would say; unknown, deleted and the caller left out. */
export const PresenceRes = z.object({ users: z.array(z.object({ userId: Id, lastSeen: LastSeen })).check(z.maxLength(PRESENCE_BATCH_MAX)) });
export type PresenceRes = z.infer<typeof PresenceRes>;
