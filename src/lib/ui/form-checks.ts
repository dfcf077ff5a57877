/**
 * The checks sign-up, sign-in, password and passcode forms run before anything is sent: the same
 * rules the relay and the worker apply (LIMITS), said as the person reads them. Each returns the
 * message for a field, or '' when it is fine.
 */
import { LIMITS } from '$lib/api/limits';

export const PASSWORD_RULE = `At least ${LIMITS.passwordMin} characters`;
export const USERNAME_RULE = `${LIMITS.usernameMin}–${LIMITS.usernameMax} characters: a–z, 0–9 and _`;

export function usernameCheck(u: string): string {
  if (!u) return 'Enter a username';
  if (/\s/.test(u) || !/^[A-Za-z0-9_]+$/.test(u)) return 'Use only a-z, 0-9 and _ (no spaces or other signs)';
  if (u.length < LIMITS.usernameMin) return `At least ${LIMITS.usernameMin} characters`;
  if (u.length > LIMITS.usernameMax) return `At most ${LIMITS.usernameMax} characters`;
  return '';
}

export function newPasswordCheck(p: string): string {
  if (p.length < LIMITS.passwordMin) return PASSWORD_RULE;
  if (p.length > LIMITS.passwordMax) return `At most ${LIMITS.passwordMax} characters`;
  return '';
}

export function authChecks(mode: 'login' | 'signup', username: string, password: string): { username: string; password: string } {
  if (mode === 'login') return { username: username ? '' : 'Enter your username', password: password ? '' : 'Enter your password' };
  return { username: usernameCheck(username), password: newPasswordCheck(password) };
}

export const PASSCODE_MIN = 4;

export function passcodeChecks(passcode: string, repeat: string, submitted: boolean): { passcode: string; repeat: string } {
  return {
    passcode: passcode.length < PASSCODE_MIN ? `At least ${PASSCODE_MIN} characters` : '',
    // Said once the repeat is as long as the first (or on submit), not while it is being typed.
    repeat: repeat !== passcode && (submitted || repeat.length >= passcode.length) ? "The passcodes don't match" : ''
  };
}
