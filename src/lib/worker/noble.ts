/** The one module worker/backend.ts imports lazily: noble as a backend, and nothing else. */
export { nobleBackend } from '$lib/crypto/backend/noble';
