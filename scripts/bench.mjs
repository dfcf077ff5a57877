#!/usr/bin/env node
/**
 * `npm run bench`: builds the app once, then runs every benchmark in sequence with `npx tsx`
 * (continuing after a failure) and prints a summary: figure | value | budget/baseline | ok?
 *
 * Benches written on bench/support.ts report their figures as JSON lines into the file named by
 * BENCH_RESULTS; for the others (bench/relay-load.ts) the summary picks their
 * goal/summary lines out of the output. Each bench also has its own `npm run bench:<name>`.
 * Options: `npm run bench -- sync ui` runs only those; SKIP_BUILD=1 reuses ./build.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const BENCHES = [
  { name: 'crypto', file: 'bench/crypto.ts' },
  { name: 'crypto-browser', file: 'bench/crypto-browser.ts' },
  { name: 'timers', file: 'bench/timers.ts' },
  { name: 'sync', file: 'bench/sync.ts' },
  { name: 'backlog', file: 'bench/backlog.ts' },
  { name: 'ui', file: 'bench/ui.ts' },
  { name: 'wire', file: 'bench/wire.ts' },
  { name: 'sockets', file: 'bench/sockets.ts' },
  { name: 'window', file: 'bench/window.ts' },
  { name: 'search', file: 'bench/search.ts' },
  { name: 'relay', file: 'bench/relay-load.ts' }
];
const PER_BENCH_TIMEOUT_MS = 5 * 60_000;

const only = process.argv.slice(2);
const selected = only.length ? BENCHES.filter((b) => only.includes(b.name)) : BENCHES;
const tmp = mkdtempSync(join(tmpdir(), 'cinder-bench-'));
const started = Date.now();
console.log(`Cinder benchmarks — Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`);

// The browser benches run the production server; build it once here (they then get SKIP_BUILD=1).
if (process.env.SKIP_BUILD !== '1' && selected.some((b) => ['timers', 'sync', 'backlog', 'ui', 'wire', 'relay'].includes(b.name))) {
  console.log('\n$ npm run build --silent');
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    console.error('build failed: the browser benches will fail too');
  }
}

/** Runs one bench, echoing its output; resolves with {code, out, ms}. */
function run(b, resultsFile) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn('npx', ['tsx', b.file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SKIP_BUILD: '1', BENCH_RESULTS: resultsFile },
      detached: true
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    const timer = setTimeout(() => {
      console.error(`\n${b.file}: still running after ${PER_BENCH_TIMEOUT_MS / 60000} min, stopping it`);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, PER_BENCH_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, out, ms: Date.now() - t0 });
    });
  });
}

/** Figures from a bench that does not write BENCH_RESULTS: its goal and summary lines. */
function scrape(out) {
  const rows = [];
  for (const raw of out.split('\n')) {
    const line = raw.trim();
    if (/^goal:/.test(line)) {
      rows.push({ figure: line, value: '', unit: '', budget: '', ok: /\b(MET|PASS)\b/.test(line) && !/NOT MET|MISS/.test(line) });
    } else if (/^GOAL/.test(line)) {
      rows.push({ figure: line.replace(/\s*->\s*(PASS|MISS).*$/, ''), value: '', unit: '', budget: '', ok: /PASS/.test(line) });
    }
  }
  return rows;
}

const summary = [];
for (const b of selected) {
  console.log(`\n${'='.repeat(100)}\n$ npx tsx ${b.file}\n${'='.repeat(100)}`);
  if (!existsSync(b.file)) {
    console.log(`${b.file} does not exist: skipped`);
    summary.push({ bench: b.name, status: 'skipped (missing)', rows: [] });
    continue;
  }
  const resultsFile = join(tmp, `${b.name}.jsonl`);
  const r = await run(b, resultsFile);
  let rows = existsSync(resultsFile)
    ? readFileSync(resultsFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  if (!rows.length) rows = scrape(r.out);
  summary.push({ bench: b.name, status: r.code === 0 ? `ok, ${(r.ms / 1000).toFixed(0)} s` : `FAILED (exit ${r.code}) after ${(r.ms / 1000).toFixed(0)} s`, rows });
}
rmSync(tmp, { recursive: true, force: true });

console.log(`\n${'='.repeat(100)}\nSUMMARY (${cpus().length} CPUs; total ${((Date.now() - started) / 1000).toFixed(0)} s)\n${'='.repeat(100)}`);
console.log(`${'figure'.padEnd(62)} | ${'value'.padStart(12)} | ${'budget / baseline'.padEnd(40)} | ok?`);
let missed = 0;
for (const s of summary) {
  console.log(`-- ${s.bench}: ${s.status}`);
  for (const r of s.rows) {
    const ok = r.ok === null || r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED';
    if (r.ok === false) missed++;
    const value = r.value === '' ? '' : `${r.value} ${r.unit}`;
    console.log(`${String(r.figure).padEnd(62)} | ${value.padStart(12)} | ${String(r.budget ?? '').padEnd(40)} | ${ok}`);
  }
}
const failed = summary.filter((s) => s.status.startsWith('FAILED')).length;
console.log(`\n${missed} budget(s) missed, ${failed} bench(es) failed.`);
// Benchmarks report; they do not gate. A crashed bench is still an error.
process.exit(failed ? 1 : 0);
