/**
 * Everything of the worker that needs the crypto code (the secret-chat engine, its views, device
 * identity), behind one dynamic import in core.ts: opening the app and its cloud chats does not wait
 * for the noble libraries to download, compile and run.
 */
export { detectBackend, generateIdentity } from '$lib/crypto';
export { loadIdentity, storeIdentity } from './identity';
export { SecretEngine } from './secret';
export { secretChatList, secretChatView, secretKey, secretMessages } from './secret-views';
