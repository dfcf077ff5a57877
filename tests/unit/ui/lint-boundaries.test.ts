// The architecture's import boundaries (eslint/boundaries.js, rule cinder/boundaries) fail lint: each
// forbidden import below is linted as an in-memory snippet under a fake file path through ESLint's Node
// API with the project's own eslint.config.js, and must be reported; each allowed one must not.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'cinder/boundaries' || m.fatal).map((m) => m.message);
}

// [file the snippet pretends to be, import statement]
const forbidden: [string, string][] = [
  // UI: only $lib/worker/client (and `import type` from $lib/worker/protocol) from the worker; never crypto, store, server.
  ['src/routes/x/+page.ts', "import { generateIdentity } from '$lib/crypto';"],
  ['src/routes/x/+page.ts', "import { x } from '$lib/crypto/kdf';"],
  ['src/routes/x/+page.ts', "import { openStore } from '$lib/store/db';"],
  ['src/routes/x/+page.ts', "import { x } from '$lib/server/api';"],
  ['src/routes/x/+page.ts', "import { x } from '$lib/worker/core';"],
  ['src/routes/x/+page.ts', "import { x } from '$lib/worker/protocol';"],
  ['src/routes/x/+page.ts', "const m = await import('$lib/store/db');"],
  ['src/routes/x/+page.ts', "export { x } from '$lib/crypto';"],
  ['src/routes/x/+page.ts', "import { x } from '../../lib/crypto/kdf';"],
  ['src/lib/components/X.ts', "import { x } from '../store/db';"],
  ['src/lib/components/X.ts', "import { x } from '../worker/secret';"],
  ['src/lib/components/X.ts', "import { x } from '../server/relay';"],
  // crypto: only @noble/* and files inside src/lib/crypto.
  ['src/lib/crypto/x.ts', "import { z } from 'zod';"],
  ['src/lib/crypto/x.ts', "import { LIMITS } from '$lib/api/wire';"],
  ['src/lib/crypto/x.ts', "import { x } from '../api/limits';"],
  ['src/lib/crypto/backend/x.ts', "import { x } from '../../store/db';"],
  ['src/lib/crypto/x.ts', "import { readFileSync } from 'node:fs';"],
  // server (the relay): nothing from the client side.
  ['src/lib/server/x.ts', "import { x } from '$lib/worker/core';"],
  ['src/lib/server/x.ts', "import { x } from '$lib/store/db';"],
  ['src/lib/server/x.ts', "import { x } from '$lib/components/Avatar.svelte';"],
  ['src/lib/server/x.ts', "import { x } from '$lib/crypto';"],
  ['src/lib/server/x.ts', "import { x } from '../worker/protocol';"],
  ['src/lib/server/store/x.ts', "import { x } from '../../store/db';"],
  ['src/lib/server/x.ts', "import { page } from '$app/state';"],
  ['src/lib/server/x.ts', "import { fileSize } from '$lib/ui/format';"],
  ['src/lib/server/x.ts', "import { CHAT_PAGE } from '$lib/chat/chat-ui';"],
  ['src/lib/server/x.ts', "import { x } from '../pwa/sw-client';"],
  ['src/lib/chat/x.svelte.ts', "import { x } from '$lib/crypto';"],
  ['src/lib/ui/x.ts', "import { openStore } from '../store/db';"],
  // worker: no UI module.
  ['src/lib/worker/x.ts', "import { TTL_CHOICES } from '$lib/ui/format';"],
  ['src/lib/worker/x.ts', "import { x } from '../ui/format';"],
  ['src/lib/worker/x.ts', "import Avatar from '$lib/components/Avatar.svelte';"],
  ['src/lib/worker/x.ts', "import { app } from '$lib/ui/app.svelte';"],
  ['src/lib/worker/x.ts', "import { x } from '../chat/attachment.svelte.ts';"],
  ['src/lib/worker/x.ts', "import { goto } from '$app/navigation';"]
];

const allowed: [string, string][] = [
  ['src/routes/x/+page.ts', "import { worker } from '$lib/worker/client';"],
  ['src/routes/x/+page.ts', "import type { ChatView } from '$lib/worker/protocol';"],
  ['src/routes/x/+page.ts', "import { type ChatView } from '$lib/worker/protocol';"],
  ['src/routes/x/+page.ts', "import { TTL_CHOICES } from '$lib/ui/format';"],
  ['src/lib/components/X.ts', "import { worker } from '../worker/client';"],
  ['src/lib/crypto/x.ts', "import { ed25519 } from '@noble/curves/ed25519.js';"],
  ['src/lib/crypto/x.ts', "import { x } from './bytes';"],
  ['src/lib/crypto/backend/x.ts', "import { x } from '../bytes.js';"],
  ['src/lib/crypto/x.ts', "import { x } from '$lib/crypto/kdf';"],
  ['src/lib/server/x.ts', "import { LIMITS } from '$lib/api/wire';"],
  ['src/lib/server/x.ts', "import { x } from './store/open';"],
  ['src/lib/server/store/x.ts', "import { x } from './types';"],
  ['src/lib/server/x.ts', "import { x } from '../api/wire';"],
  ['src/lib/worker/x.ts', "import { TTL_CHOICES } from '$lib/api/limits';"],
  ['src/lib/worker/x.ts', "import { openStore } from '$lib/store/db';"],
  ['src/lib/worker/x.ts', "import { x } from '$lib/crypto';"]
];

describe('lint: architecture import boundaries', () => {
  it.each(forbidden)('%s: refuses %s', async (file, code) => {
    const errors = await boundaryErrors(file, code);
    expect(errors.length, `expected a boundary error in ${file} for: ${code}`).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/crosses an architecture boundary/);
  });

  it.each(allowed)('%s: allows %s', async (file, code) => {
    expect(await boundaryErrors(file, code)).toEqual([]);
  });

  it('a .svelte component is checked too', async () => {
    const code = '<script lang="ts">\n  import { openStore } from \'$lib/store/db\';\n  void openStore;\n</script>\n';
    expect(await boundaryErrors('src/lib/components/X.svelte', code)).toHaveLength(1);
  });
});

describe('lint: zod only as zod/mini through $lib/api/zod', () => {
  const zodErrors = async (filePath: string, code: string) =>
    (await eslint.lintText(code, { filePath }))[0].messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.fatal).map((m) => m.message);

  it.each([
    ['src/lib/worker/x.ts', "import { z } from 'zod';"],
    ['src/lib/api/x.ts', "import * as z from 'zod/v4';"],
    ['src/lib/server/x.ts', "import type { z } from 'zod';"],
    ['tests/unit/x.test.ts', "import { z } from 'zod';"]
  ])('%s: refuses %s', async (file, code) => {
    const errors = await zodErrors(file, code);
    expect(errors.length, `expected full zod to be refused in ${file}`).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/\$lib\/api\/zod/);
  });

  it('allows $lib/api/zod, and zod/mini inside it', async () => {
    expect(await zodErrors('src/lib/worker/x.ts', "import { z } from '$lib/api/zod';")).toEqual([]);
    expect(await zodErrors('src/lib/api/zod.ts', "import * as z from 'zod/mini';")).toEqual([]);
  });
});
