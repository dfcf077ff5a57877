import { randomBytes } from 'node:crypto';

/** Server-minted ids (users, devices): 16 random bytes, base64url (22 chars), matching wire `Id`. */
export const newId = (): string => randomBytes(16).toString('base64url');
