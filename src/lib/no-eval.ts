/**
 * zod compiles a faster object parser with `new Function` where eval is allowed. The CSP forbids eval
 * (script-src without 'unsafe-eval'), and zod's test for it, a `Function('')` inside a try, is still a
 * CSP violation: every engine logs it, and Firefox reports it as a page error on every start. Parse
 * without compiling and without the test: zod reads this setting when a schema is built, so each
 * entry (page, worker, service worker) imports this module before any module that defines one.
 */
const g = globalThis as { __zod_globalConfig?: Record<string, unknown> };
g.__zod_globalConfig = Object.assign(g.__zod_globalConfig ?? {}, { jitless: true });

export {};
