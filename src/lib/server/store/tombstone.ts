/** What both backends' account deletion (sqlite/account.ts, postgres/account.ts) writes alike. */

/** Ids per 'delete' update appended for a deleted account's messages (the client applies each as one batch). */
export const DELETE_BATCH = 200;

/** The placeholder username of a deleted account: '~' is never valid at sign-up, so it collides with no one. */
export const tombstoneName = (userId: string) => '~' + Buffer.from(userId, 'utf8').toString('hex');

/** The display name a deleted account's peers see. */
export const DELETED_NAME = 'Deleted account';
