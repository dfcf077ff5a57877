/**
 * "Online" / "last seen" (docs/api.md "Last seen"): what a profile says of when its user was last online,
 * as the relay computes it for one viewer, and the privacy setting that governs it. Re-exported by
 * ./wire.ts.
 */
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
