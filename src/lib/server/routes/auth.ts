/** Sign-up, sign-in (with the per-account backoff of throttle.ts), sign-out and password change. */
import { ChangePasswordReq, LoginReq, SignupReq, type SignedOutRes } from '../../api/wire';
import { clearCookie, clientAddress, hashToken, isSecure, newToken, sessionCookie } from '../auth';
import { HttpError, readJson, type Ctx } from '../http';
import { newId } from '../ids';
import { addressBucket } from '../ratelimit';
import { UniqueViolation, type UserRow } from '../store/types';
import { KNOWN_PER_USER, knownCookie, loginKey, readKnownToken } from '../throttle';
import { json, limit, noContent, session, takeAttempt as takeSignInAttempt, type RouteArea } from './shared';

export const authRoutes: RouteArea = (router, deps, { checkOrigin, requireAuth, revoke, revoked }) => {
  const { config, store, log, passwords, now } = deps;

  const takeAttempt = (key: string) => takeSignInAttempt(deps, key);

  /** Mints a fresh known-device token for the user (rotating the one presented) and its cookie. */
  const rememberDevice = async (ctx: Ctx, userId: string, presented: string | null): Promise<string> => {
    const { token, hash } = newToken();
    await store.rememberKnownDevice(userId, hash, presented === null ? null : hashToken(presented), now(), KNOWN_PER_USER);
    return knownCookie(token, isSecure(ctx.req, config.trustProxy));
  };

  router.add('POST', '/api/auth/signup', async (ctx) => {
    checkOrigin(ctx);
    limit(deps.authLimiter, addressBucket(clientAddress(ctx.req, config.trustProxy)));
    const body = await readJson(ctx.req, SignupReq);
    // Cheap early answer; the UNIQUE constraint below still settles races.
    if (await store.getUserByName(body.username)) throw new HttpError(409, 'username_taken', 'that username is taken');
    const freeAt = await store.usernameQuarantine(body.username, now());
    if (freeAt !== null) {
      const day = new Date(freeAt).toISOString().slice(0, 10);
      throw new HttpError(409, 'username_quarantined', `that username belonged to a deleted account; it can be taken again from ${day}`);
    }
    const t = now();
    const user: UserRow = {
      id: newId(),
      username: body.username,
      displayName: body.displayName ?? body.username,
      pwHash: await passwords.hash(body.password),
      createdAt: t
    };
    const { token, hash } = newToken();
    const device = { id: newId(), userId: user.id, ...body.device, tokenHash: hash, createdAt: t };
    try {
      await store.createUser(user, device);
    } catch (e) {
      if (e instanceof UniqueViolation) throw new HttpError(409, 'username_taken', 'that username is taken');
      throw e;
    }
    log.info('signup', { userId: user.id, deviceId: device.id });
    return json(session(user, device), 201, { 'set-cookie': sessionCookie(token, isSecure(ctx.req, config.trustProxy)) });
  });

  router.add('POST', '/api/auth/login', async (ctx) => {
    checkOrigin(ctx);
    limit(deps.authLimiter, addressBucket(clientAddress(ctx.req, config.trustProxy)));
    const body = await readJson(ctx.req, LoginReq);
    const user = await store.getUserByName(body.username);
    const presented = readKnownToken(ctx.req);
    // Looked up for unknown users too, so the timing doesn't tell them apart.
    const known = presented !== null && (await store.isKnownDevice(user?.id ?? '', hashToken(presented)));
    const key = loginKey(body.username);
    if (!known) await takeAttempt(key);
    // Unknown users are checked against a dummy hash: same cost, same answer as a wrong password.
    const ok = await passwords.verify(body.password, user?.pwHash ?? null);
    if (!user || !ok) throw new HttpError(401, 'bad_credentials', 'wrong username or password');
    // A known device's success leaves the count alone: it would hand an attacker fresh free guesses.
    if (!known) await store.clearLoginAttempts(key);
    const { token, hash } = newToken();
    const device = { id: newId(), userId: user.id, ...body.device, tokenHash: hash, createdAt: now() };
    const created = await store.createDevice(device, config.maxDevicesPerAccount, user.pwHash);
    // The password changed after it was checked above: this login used the old one.
    if (created === 'password_changed') throw new HttpError(401, 'bad_credentials', 'wrong username or password');
    if (!created) {
      throw new HttpError(
        409,
        'conflict',
        `This account is already signed in on ${config.maxDevicesPerAccount} devices, the most allowed. Sign out on one of them (Settings → Devices) and try again.`
      );
    }
    log.info('login', { userId: user.id, deviceId: device.id, knownDevice: known });
    const cookies = [sessionCookie(token, isSecure(ctx.req, config.trustProxy)), await rememberDevice(ctx, user.id, presented)];
    return json(session(user, device), 200, { 'set-cookie': cookies });
  });

  router.add('POST', '/api/auth/logout', async (ctx) => {
    const auth = await requireAuth(ctx);
    await revoke(auth, auth.device.id);
    // The browser signed in as this user: it can prove so at its next login (see throttle.ts).
    const known = await rememberDevice(ctx, auth.user.id, readKnownToken(ctx.req));
    return noContent({ 'set-cookie': [clearCookie(isSecure(ctx.req, config.trustProxy)), known] });
  });

  // Always counted, even from a known device: a stolen session must not get free guesses.
  router.add('POST', '/api/auth/password', async (ctx) => {
    const auth = await requireAuth(ctx);
    limit(deps.authLimiter, addressBucket(clientAddress(ctx.req, config.trustProxy)));
    const body = await readJson(ctx.req, ChangePasswordReq);
    // Fresh from the store: the cached row may hold a hash another node has replaced.
    const user = await store.getUser(auth.user.id);
    if (!user) throw new HttpError(401, 'unauthorized', 'sign in required');
    const key = loginKey(user.username);
    await takeAttempt(key);
    if (!(await passwords.verify(body.currentPassword, user.pwHash))) {
      throw new HttpError(401, 'bad_credentials', 'the current password is wrong');
    }
    await store.clearLoginAttempts(key);
    const gone = await store.changePassword(user.id, user.pwHash, await passwords.hash(body.newPassword), auth.device.id, now());
    if (!gone) throw new HttpError(409, 'conflict', 'the password was changed at the same time on another device; sign in again');
    deps.sessions.forgetUser(user.id);
    revoked(user.id, gone, 'password changed');
    const res: SignedOutRes = { signedOut: gone.length };
    // Known-device tokens were all dropped with the old password; this browser gets a fresh one.
    return json(res, 200, { 'set-cookie': await rememberDevice(ctx, user.id, null) });
  });
};
