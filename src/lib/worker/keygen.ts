/**
 * What signing up or in needs of the crypto code: the backend check and the device's identity keys
 * (X25519 + Ed25519: WebCrypto where it passes its self-test, noble loaded only for what does not, see
 * ./backend), loaded on first use by core.ts. Kept apart from ./secret so a new account does
 * not download the ratchet, the handshake, ML-KEM and the secret-chat engine before its chat list;
 * both import the backend from one shared chunk. Nothing here imports the worker entry (worker.ts).
 */
export { detectBackend } from './backend';
export { generateIdentity } from '$lib/crypto/identity';
export { loadIdentity, storeIdentity } from './identity';
