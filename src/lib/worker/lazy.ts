/**
 * The worker's code loaded on first use, each behind one dynamic import: the worker's start (vault,
 * chat list, socket) downloads and compiles neither. A load that failed (the server unreachable before
 * the service worker cached it) is said as such and tried again next time.
 */
import { NetError } from './net';
import type { SecretModule } from './rpc/context';

let secretModule: Promise<SecretModule> | null = null;
/** The secret-chat engine and the rest of the crypto code (see secret/index.ts). */
export const loadSecret = (): Promise<SecretModule> =>
  (secretModule ??= import('./secret').catch((e: unknown) => {
    secretModule = null;
    console.warn('cinder core: loading the secret-chat code failed', e);
    throw new NetError('offline', 'Cannot reach the server to load the app');
  }));

type KeygenModule = typeof import('./keygen');
let keygenModule: Promise<KeygenModule> | null = null;
/** Backend check and identity keys (./keygen): all that signing up or in needs of the crypto code. */
export const loadKeygen = (): Promise<KeygenModule> =>
  (keygenModule ??= import('./keygen').catch((e: unknown) => {
    keygenModule = null;
    console.warn('cinder core: loading the key code failed', e);
    throw new NetError('offline', 'Cannot reach the server to load the app');
  }));
