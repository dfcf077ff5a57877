/**
 * The account part of the wire contract: sign-up and login, passwords, the profile a user shows (name and
 * photo), devices as their owner lists them, the session, account deletion. Re-exported by
 * src/lib/api/wire.ts, which the rest of the code imports.
 */
import { z } from './zod';
import { LIMITS } from './limits';
import { b64u, Id, plainText } from './wire-base';
import { LastSeen } from './wire-presence';

export const Username = z.pipe(
  z.pipe(
    z
      .string()
      .check(
        z.minLength(LIMITS.usernameMin, `username must be at least ${LIMITS.usernameMin} characters`),
        z.maxLength(LIMITS.usernameMax, `username must be at most ${LIMITS.usernameMax} characters`)
      ),
    z.transform((s: string) => s.toLowerCase())
  ),
  z.string().check(z.regex(/^[a-z0-9_]+$/, 'username may contain only a-z, 0-9 and _'))
);

export const Password = z
  .string()
  .check(z.minLength(LIMITS.passwordMin, `password must be at least ${LIMITS.passwordMin} characters`), z.maxLength(LIMITS.passwordMax, 'password is too long'));

export const DisplayName = plainText(
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'display name must not be empty'),
      z.maxLength(LIMITS.displayNameMax, `display name must be at most ${LIMITS.displayNameMax} characters`)
    )
);

export const DeviceKeys = z.object({
  name: plainText(z.string().check(z.trim(), z.minLength(1), z.maxLength(LIMITS.deviceNameMax))),
  /** Ed25519 identity public key (32 bytes). */
  signPub: b64u(32),
  /** X25519 identity public key (32 bytes). */
  dhPub: b64u(32)
});
export type DeviceKeys = z.infer<typeof DeviceKeys>;

// ---------- auth ----------
export const SignupReq = z.object({
  username: Username,
  password: Password,
  displayName: z.optional(DisplayName),
  device: DeviceKeys
});
export type SignupReq = z.input<typeof SignupReq>;

export const LoginReq = z.object({
  username: z.pipe(
    plainText(z.string().check(z.minLength(1), z.maxLength(LIMITS.usernameMax))),
    z.transform((s: string) => s.toLowerCase())
  ),
  password: z.string().check(z.minLength(1), z.maxLength(LIMITS.passwordMax)),
  device: DeviceKeys
});
export type LoginReq = z.input<typeof LoginReq>;

/** The new password follows sign-up's rules; the current one only login's. */
export const ChangePasswordReq = z.object({
  currentPassword: z.string().check(z.minLength(1), z.maxLength(LIMITS.passwordMax)),
  newPassword: Password
});
export type ChangePasswordReq = z.input<typeof ChangePasswordReq>;

/** Answer of a password change and of "sign out all other devices": how many devices were revoked. */
export const SignedOutRes = z.object({ signedOut: z.number().check(z.int(), z.nonnegative()) });
export type SignedOutRes = z.infer<typeof SignedOutRes>;

/**
 * `deleted`: a deleted account (username empty). `photo`: its version (GET /api/users/:id/photo/:version), null: none, absent: an older relay.
 * `lastSeen`: as the relay shows it to the viewer (./wire-presence.ts); absent for a deleted account, myself, a message's sender, an older relay.
 */
export const PublicUser = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  deleted: z.optional(z.literal(true)),
  photo: z.optional(z.nullable(z.number().check(z.int(), z.positive()))),
  lastSeen: z.optional(LastSeen)
});
export type PublicUser = z.infer<typeof PublicUser>;

export const DeviceInfo = z.object({
  id: Id,
  name: z.string(),
  createdAt: z.number(),
  lastSeenAt: z.number(),
  current: z.boolean()
});
export type DeviceInfo = z.infer<typeof DeviceInfo>;

/** Response of signup, login and GET /api/me. The session token is only ever in an HttpOnly cookie. */
export const Session = z.object({
  user: PublicUser,
  device: z.object({ id: Id, name: z.string() })
});
export type Session = z.infer<typeof Session>;

export const UpdateProfileReq = z.object({ displayName: DisplayName });

// ---------- account deletion ----------
/** Body of `POST /api/account/delete`: the password, and the username typed again as the confirmation. */
export const DeleteAccountReq = z.object({
  password: z.string().check(z.minLength(1), z.maxLength(LIMITS.passwordMax)),
  confirm: plainText(z.string().check(z.minLength(1, 'type your username to confirm'), z.maxLength(LIMITS.usernameMax)))
});
export type DeleteAccountReq = z.input<typeof DeleteAccountReq>;

/** "Delete my account if away for": months without any device's activity (0 = never). */
export const AUTO_DELETE_MONTHS = [0, 1, 3, 6, 12] as const;
export const AutoDeleteMonths = z.number().check(
  z.int(),
  z.refine((n) => (AUTO_DELETE_MONTHS as readonly number[]).includes(n), `months must be one of ${AUTO_DELETE_MONTHS.join(', ')}`)
);
/** Body of `PUT /api/account/auto-delete` and the answer of its GET. */
export const AutoDeleteReq = z.object({ months: AutoDeleteMonths });
export type AutoDeleteReq = z.infer<typeof AutoDeleteReq>;
