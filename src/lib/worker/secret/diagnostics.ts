/**
 * A rejected envelope or payload changes no chat: it is only counted, by error code, in the
 * device's diagnostics (shown on the settings screen). Other signs of tampering (recordProblem) are
 * listed there too, without counting as a rejected envelope.
 */
import { isProtocolError } from '$lib/crypto';
import { emptyDiagnostics, SecretError, type Diagnostics } from './errors';
import type { SecretContext } from './state';

export async function recordRejection(ctx: SecretContext, e: unknown): Promise<void> {
  const code = isProtocolError(e) ? e.code : e instanceof SecretError ? e.code : 'internal';
  if (code === 'internal') console.error('cinder secret:', e);
  await record(ctx, code, true);
}

/** Something that is not an envelope went wrong in a way worth seeing (e.g. 'mailbox_taken'). */
export const recordProblem = (ctx: SecretContext, code: string): Promise<void> => record(ctx, code, false);

async function record(ctx: SecretContext, code: string, rejected: boolean): Promise<void> {
  const { db } = ctx;
  await db.transaction('rw', db.meta, async () => {
    const d = ((await db.meta.get('diagnostics'))?.value as Diagnostics | undefined) ?? emptyDiagnostics();
    if (rejected) d.rejected++;
    d.byCode[code] = (d.byCode[code] ?? 0) + 1;
    d.recent = [{ at: Date.now(), code }, ...d.recent].slice(0, 20);
    await db.meta.put({ key: 'diagnostics', value: d });
  });
  ctx.emit({ type: 'diagnostics' });
}
