// Before any module that builds a zod schema (see no-eval.ts).
import '$lib/no-eval';
import type { ClientInit } from '@sveltejs/kit';
import { core } from '$lib/worker/client';

/**
 * Runs as the app starts, before the router fetches the route's code: the worker's own download and
 * start-up (opening the database, the start-up purge) then overlap with that, instead of following it.
 */
export const init: ClientInit = () => {
  core();
};
