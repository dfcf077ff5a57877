/**
 * Blocking users (docs/api.md "Blocking"): the relay keeps each account's block list and refuses what a
 * blocked user would write to the blocker (cloud messages and their changes, secret-chat requests,
 * typing), and what the blocker would write to them. Part of the contract that ./wire.ts re-exports.
 */
import { z } from './zod';
import { Id } from './wire-base';

/** A user I blocked, and since when (ms): `GET /api/blocks`, `PUT /api/blocks/:userId`. */
export const BlockedUser = z.object({ id: Id, username: z.string(), displayName: z.string(), since: z.number().check(z.int(), z.nonnegative()) });
export type BlockedUser = z.infer<typeof BlockedUser>;

/** Answer of `GET /api/blocks`: my blocked users, the latest blocked first. */
export const BlocksRes = z.object({ users: z.array(BlockedUser) });
export type BlocksRes = z.infer<typeof BlocksRes>;

/** Answer of `PUT /api/blocks/:userId`: the user now blocked (a repeat keeps the first block's time). */
export const BlockRes = z.object({ user: BlockedUser });
export type BlockRes = z.infer<typeof BlockRes>;
