/**
 * What a failed call tells the page: a known error's code and message; anything else is logged here
 * and reported as 'internal', so no stack or internal detail crosses to the page.
 */
import { z } from '$lib/api/zod';
import { isProtocolError } from '$lib/crypto/errors';
import { PasscodeError } from '$lib/store/passcode';
import { NetError } from './net';
import { CoreError } from './rpc/context';
import { SecretError } from './secret/errors';

export const toRpcError = (e: unknown): { code: string; message: string } => {
  if (e instanceof CoreError || e instanceof NetError || e instanceof SecretError || e instanceof PasscodeError) return { code: e.code, message: e.message };
  if (isProtocolError(e)) return { code: e.code, message: `Secret chat error: ${e.message}` };
  if (e instanceof z.core.$ZodError) return { code: 'bad_request', message: e.issues[0]?.message ?? 'Invalid input' };
  console.error('cinder core:', e);
  return { code: 'internal', message: 'Something went wrong in the app core' };
};
