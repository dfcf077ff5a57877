/**
 * The secret-chat engine as the rest of the worker sees it. This is also everything of the worker
 * that needs the crypto code (the engine, its views, device identity), behind one dynamic import in
 * core.ts: opening the app and its cloud chats does not wait for the noble libraries to download,
 * compile and run. So core.ts imports only types from here, and its error class from ./errors.
 * Nothing in this folder imports the worker entry (worker.ts; see the WebKit note there).
 */
export { detectBackend, generateIdentity } from '$lib/crypto';
export { loadIdentity, storeIdentity } from '../identity';
export { SecretEngine } from './engine';
export { httpRelay, type SecretRelay } from './relay';
export type { Received, SecretContext, SecretState } from './state';
export { emptyDiagnostics, SecretError, type Diagnostics } from './errors';
export { secretChatList, secretChatView, secretKey, secretMessages, secretRows } from './views';
