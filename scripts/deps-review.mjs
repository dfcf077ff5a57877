#!/usr/bin/env node
/**
 * Offline dependency review (`npm run deps`): the installed tree is consistent (`npm ls --all`), the
 * lockfile matches package.json and node_modules, and every package's licence is on the allowlist.
 * Writes the licence table to docs/dependencies.md; exits 1 on any problem. Needs no network.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** SPDX ids we accept without a lawyer (permissive, or file-level copyleft like MPL-2.0). */
const ALLOWED = new Set(['MIT', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', 'Apache-2.0', '0BSD', 'BlueOak-1.0.0', 'Unlicense', 'CC0-1.0', 'MPL-2.0']);
const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

const root = process.cwd();
const readJson = (p) => JSON.parse(readFileSync(join(root, p), 'utf8'));
const problems = [];
const notes = [];

/** An SPDX expression is allowed when it can be satisfied with allowed licences (OR: any, AND: all). */
function allowed(expr) {
  const tokens = String(expr).replace(/[()]/g, ' $& ').split(/\s+/).filter(Boolean);
  let i = 0;
  const term = () => {
    const t = tokens[i++];
    if (t === '(') {
      const v = or();
      i++; // ')'
      return v;
    }
    if (tokens[i] === 'WITH') i += 2; // an exception only widens what the licence allows
    return ALLOWED.has(t);
  };
  const and = () => {
    let v = term();
    while (tokens[i] === 'AND') {
      i++;
      v = term() && v;
    }
    return v;
  };
  const or = () => {
    let v = and();
    while (tokens[i] === 'OR') {
      i++;
      v = and() || v;
    }
    return v;
  };
  return tokens.length > 0 && or() && i === tokens.length;
}

const licenceOf = (pkg) => {
  const l = pkg.license ?? pkg.licenses;
  if (typeof l === 'string') return l;
  if (Array.isArray(l)) return l.map((x) => x.type ?? x).join(' OR ');
  if (l && typeof l === 'object') return l.type ?? 'UNKNOWN';
  return 'UNKNOWN';
};

// ---- 1. npm ls ----
if (lstatSync(join(root, 'node_modules')).isSymbolicLink()) {
  // npm resolves the link and sees every package as a linked project with its own devDependencies.
  notes.push('`npm ls --all` skipped: node_modules is a symbolic link, which npm cannot judge (run in a real checkout).');
} else {
  const ls = spawnSync('npm', ['ls', '--all', '--offline'], { cwd: root, encoding: 'utf8' });
  if (ls.status !== 0) problems.push(`npm ls --all failed:\n${(ls.stderr || ls.stdout).trim()}`);
  else notes.push('`npm ls --all`: clean.');
}

// ---- 2. lockfile against package.json and node_modules ----
const pkg = readJson('package.json');
const lock = readJson('package-lock.json');
const lockRoot = lock.packages?.[''] ?? {};
if (lock.lockfileVersion < 2) problems.push(`lockfileVersion ${lock.lockfileVersion}: regenerate with npm ≥ 7`);
for (const field of DEP_FIELDS) {
  const want = pkg[field] ?? {};
  const have = lockRoot[field] ?? {};
  for (const name of new Set([...Object.keys(want), ...Object.keys(have)])) {
    if (want[name] !== have[name]) problems.push(`${field}.${name}: package.json says ${want[name] ?? '(none)'}, lockfile ${have[name] ?? '(none)'}`);
  }
}

// ---- 3. licences ----
/** licence → { runtime: Set, dev: Set } */
const groups = new Map();
const absent = [];
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path === '' || entry.link) continue;
  const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const file = join(root, path, 'package.json');
  if (!existsSync(file)) {
    if (entry.optional) absent.push({ name, version: entry.version, licence: entry.license ?? 'UNKNOWN' });
    else problems.push(`${path}: in the lockfile but not installed`);
    continue;
  }
  const installed = JSON.parse(readFileSync(file, 'utf8'));
  if (installed.version !== entry.version) problems.push(`${path}: lockfile ${entry.version}, installed ${installed.version}`);
  const licence = licenceOf(installed);
  if (!groups.has(licence)) groups.set(licence, { runtime: new Set(), dev: new Set() });
  groups.get(licence)[entry.dev ? 'dev' : 'runtime'].add(`${name}@${installed.version}`);
}
for (const [licence, g] of groups) {
  if (!allowed(licence)) problems.push(`licence not allowed: ${licence} (${[...g.runtime, ...g.dev].join(', ')})`);
}
for (const a of absent) if (!allowed(a.licence)) problems.push(`licence not allowed: ${a.licence} (${a.name}@${a.version}, optional, not installed)`);

// ---- report ----
const sorted = [...groups].sort((a, b) => b[1].runtime.size + b[1].dev.size - (a[1].runtime.size + a[1].dev.size) || a[0].localeCompare(b[0]));
const list = (s) =>
  [...s]
    .sort()
    .map((p) => `\`${p}\``)
    .join(', ') || '–';
const installedCount = sorted.reduce((n, [, g]) => n + g.runtime.size + g.dev.size, 0);
const absentLicences = [...new Set(absent.map((a) => a.licence))].sort().join(', ');
const md = `# Dependencies

Generated by \`npm run deps\` (scripts/deps-review.mjs) from package-lock.json and node_modules; do not edit.
Allowed licences: ${[...ALLOWED].join(', ')} (an SPDX \`OR\` needs one of them, \`AND\` all).

${installedCount} installed packages. Runtime: what \`npm ci --omit=dev\` installs (the server's runtime;
the browser bundles take only part of it). Dev: build and test tools.

| licence | packages | runtime | dev |
|---|---|---|---|
${sorted.map(([l, g]) => `| ${l} | ${g.runtime.size + g.dev.size} | ${list(g.runtime)} | ${list(g.dev)} |`).join('\n')}

${absent.length} optional packages for other platforms are in the lockfile but not installed here (licences from
the lockfile, checked too): ${absentLicences || '–'}.
`;
writeFileSync(join(root, 'docs/dependencies.md'), md);

for (const n of notes) console.log(n);
console.log(`${installedCount} installed packages, ${groups.size} licences: ${sorted.map(([l, g]) => `${l} ${g.runtime.size + g.dev.size}`).join(', ')}`);
console.log('wrote docs/dependencies.md');
if (problems.length) {
  console.error(`\n${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('dependency review: ok');
