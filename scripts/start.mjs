#!/usr/bin/env node
// `npm start`: builds when the build is missing or older than the sources, then runs the server
// (app + relay on one port, embedded SQLite in DATA_DIR).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const out = 'build/cinder.js';
const stale = !existsSync(out) || Math.max(newest('src'), newest('static'), statSync('package.json').mtimeMs) > statSync(out).mtimeMs;
if (stale) {
  console.log('Building Cinder…');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// In-process, so SIGTERM reaches the server's graceful shutdown directly.
await import(pathToFileURL(resolve(out)).href);
