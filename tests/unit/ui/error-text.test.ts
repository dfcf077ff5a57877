import { describe, expect, it } from 'vitest';
import { humanError, UNREACHABLE } from '$lib/api/error-text';
import { errorMessage, WorkerCallError } from '$lib/worker/client';

describe('errors in human words', () => {
  it('drops zod field prefixes and maps the relay’s sign-up and sign-in messages to sentences', () => {
    expect(humanError('bad_request', 'password: password must be at least 8 characters')).toBe('At least 8 characters');
    expect(humanError('bad_request', 'username: username may contain only a-z, 0-9 and _')).toBe('A username uses only a-z, 0-9 and _ (no spaces)');
    expect(humanError('bad_request', 'username: username must be at least 3 characters')).toBe('A username has at least 3 characters');
    expect(humanError('bad_request', 'device.name: too long')).toBe('Too long');
    expect(humanError('username_taken', 'that username is taken')).toBe('That username is taken. Try another one.');
    expect(humanError('bad_credentials', 'wrong username or password')).toBe('Wrong username or password');
    expect(humanError('bad_credentials', 'the current password is wrong')).toBe('Your current password is wrong');
    expect(humanError('rate_limited', 'too many failed sign-ins for this account; try again in 30 s')).toBe(
      'Too many failed sign-ins for this account; try again in 30 s'
    );
    // Already a sentence: unchanged.
    expect(humanError('bad_passcode', 'Wrong passcode')).toBe('Wrong passcode');
    expect(humanError('bad_request', 'Use at least 4 characters')).toBe('Use at least 4 characters');
  });

  it('says plainly when the server cannot be reached, and never "app core"', () => {
    expect(humanError('offline', 'Cannot reach the server. You are offline or the server is down.')).toBe(UNREACHABLE);
    expect(UNREACHABLE).toBe("Can't reach Cinder's server. Check your connection; we'll keep trying.");
    expect(humanError('internal', 'Something went wrong in the app core')).not.toContain('app core');
  });

  it('is what pages show for a worker call’s error', () => {
    expect(errorMessage(new WorkerCallError('bad_request', 'password: password must be at least 8 characters'))).toBe('At least 8 characters');
    expect(errorMessage(new WorkerCallError('offline', 'whatever'))).toBe(UNREACHABLE);
  });
});
