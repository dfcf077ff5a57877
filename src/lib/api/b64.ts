/** The wire's names for the one base64url codec (crypto/bytes.ts): every binary value on the wire. */
export { b64url as toB64u, fromB64url as fromB64u } from '$lib/crypto/bytes';
