// Import boundaries of Cinder's architecture (docs/architecture.md), as an ESLint rule. Every import,
// re-export and dynamic import() is resolved ($lib alias or relative path) to the folder it reaches, then
// checked against what the importing folder may see. tests/unit/ui/lint-boundaries.test.ts proves each case.
import path from 'node:path';

const LIB = 'src/lib';

/** Where a specifier leads: a path relative to the project root ('src/lib/…'), or a bare package name. */
function resolve(spec, filename, root) {
  if (spec === '$lib' || spec.startsWith('$lib/')) return { file: path.posix.join(LIB, spec.slice(4)) };
  if (spec.startsWith('.')) {
    const abs = path.resolve(path.dirname(filename), spec);
    return { file: path.relative(root, abs).split(path.sep).join('/') };
  }
  return { pkg: spec };
}

const under = (file, dir) => file === dir || file.startsWith(dir + '/') || file.startsWith(dir + '.');
const noExt = (file) => file.replace(/\.(svelte\.)?(ts|js)$/, '');
const isSvelteModule = (file) => /\.svelte(\.(ts|js))?$/.test(file);

/** The area a file belongs to, or null when no boundary applies. */
function areaOf(file) {
  if (under(file, 'src/routes') || ['components', 'chat', 'ui', 'pwa'].some((dir) => under(file, `${LIB}/${dir}`))) return 'ui';
  if (under(file, `${LIB}/crypto`)) return 'crypto';
  if (under(file, `${LIB}/server`)) return 'server';
  if (under(file, `${LIB}/worker`)) return 'worker';
  return null;
}

/** Returns why the import is refused, or null. `typeOnly`: `import type` (or only type specifiers). */
export function violation(area, target, typeOnly) {
  const { file, pkg } = target;
  switch (area) {
    case 'ui':
      if (file === undefined) return null;
      if (under(file, `${LIB}/crypto`)) return 'UI code never touches keys or crypto: that lives in the worker.';
      if (under(file, `${LIB}/store`)) return 'UI code never opens the local database: ask the worker through $lib/worker/client.';
      if (under(file, `${LIB}/server`)) return 'UI code never imports the relay ($lib/server).';
      if (under(file, `${LIB}/worker`)) {
        if (noExt(file) === `${LIB}/worker/client`) return null;
        if (noExt(file) === `${LIB}/worker/protocol` && typeOnly) return null;
        if (noExt(file) === `${LIB}/worker/protocol`) return 'UI code may only `import type` (view types) from $lib/worker/protocol.';
        return 'UI code talks to the worker only through $lib/worker/client.';
      }
      return null;
    case 'crypto':
      if (pkg !== undefined) return /^@noble\//.test(pkg) ? null : `src/lib/crypto imports only @noble/* packages, not '${pkg}'.`;
      return under(file, `${LIB}/crypto`) ? null : 'src/lib/crypto imports only files inside src/lib/crypto.';
    case 'server':
      if (pkg !== undefined) return /^\$app(\/|$)/.test(pkg) ? "The relay imports nothing from SvelteKit's client side ($app/*)." : null;
      for (const dir of ['worker', 'store', 'components', 'crypto', 'verify', 'ui', 'chat', 'pwa'])
        if (under(file, `${LIB}/${dir}`)) return `The relay imports nothing from the client side ($lib/${dir}).`;
      if (under(file, 'src/routes') || isSvelteModule(file)) return 'The relay imports nothing from the client side (routes, Svelte modules).';
      return null;
    case 'worker':
      if (pkg !== undefined) return /^\$app(\/|$)/.test(pkg) ? 'The worker imports no UI module ($app/*).' : null;
      if (under(file, `${LIB}/components`)) return 'The worker imports no UI module ($lib/components).';
      if (under(file, `${LIB}/ui`)) return 'The worker imports no UI module ($lib/ui): shared values belong in $lib/api.';
      if (isSvelteModule(file)) return 'The worker imports no UI module (.svelte / .svelte.ts).';
      return null;
  }
  return null;
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the import boundaries between UI, worker, crypto and relay' },
    schema: [],
    messages: { refused: "Import of '{{spec}}' crosses an architecture boundary: {{why}}" }
  },
  create(context) {
    const root = context.cwd;
    const self = path.relative(root, context.filename).split(path.sep).join('/');
    const area = areaOf(self);
    if (!area) return {};
    const check = (node, source, typeOnly) => {
      if (!source || typeof source.value !== 'string') return;
      const why = violation(area, resolve(source.value, context.filename, root), typeOnly);
      if (why) context.report({ node, messageId: 'refused', data: { spec: source.value, why } });
    };
    const allTypes = (node) =>
      node.importKind === 'type' ||
      node.exportKind === 'type' ||
      (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'));
    return {
      ImportDeclaration: (node) => check(node, node.source, allTypes(node)),
      ExportNamedDeclaration: (node) => check(node, node.source, allTypes(node)),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : null, false)
    };
  }
};

export default { meta: { name: 'cinder' }, rules: { boundaries: rule } };
