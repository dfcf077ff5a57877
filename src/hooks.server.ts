import type { Handle } from '@sveltejs/kit';
import { shellResponse } from '$lib/server/shell';

export const handle: Handle = async ({ event, resolve }) => shellResponse(await resolve(event), event.request.headers.get('accept-encoding') ?? undefined);
