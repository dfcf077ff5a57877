/**
 * Cinder crypto benchmark: `npx tsx bench/crypto.ts` (~60-90 s).
 * For each backend: raw primitive costs, then handshakes/s, full session setups/s (handshake + first
 * message each way) and 1 KiB messages/s (encrypt + decrypt), one direction and alternating (every
 * message turns the DH ratchet), each beside its "primitive floor" from the same run and the ratio
 * (see bench/crypto-measure.ts; issue #19 goal: alternating and setup >= 0.8x floor, both backends).
 * First line: what selectBackend() (the self-test on the first secret-chat operation) costs, cold in
 * fresh processes and warm.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as C from '../src/lib/crypto/index.js';
import { describe, GOAL_FIGURES, GOAL_RATIO, LABELS, measureBackend, median, warmUp } from './crypto-measure.js';
import { report } from './support.js';

/** Child mode: first selectBackend() in this fresh process, then the median of 20 more, as JSON. */
if (process.argv.includes('--select-only')) {
  let t = performance.now();
  await C.selectBackend({ reference: C.nobleBackend() });
  const cold = performance.now() - t;
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) {
    t = performance.now();
    await C.selectBackend({ reference: C.nobleBackend() });
    warm.push(performance.now() - t);
  }
  console.log(JSON.stringify({ cold, warm: median(warm) }));
  process.exit(0);
}

/** selectBackend() cold (first call in a fresh process; median over 3 processes) and warm. */
function selectCost(): { cold: number; warm: number } {
  const runs = Array.from({ length: 3 }, () => {
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--select-only'], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!) as { cold: number; warm: number };
  });
  return { cold: median(runs.map((r) => r.cold)), warm: median(runs.map((r) => r.warm)) };
}

const t0 = performance.now();
console.log(`Cinder crypto bench — Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs`);
const sel = selectCost();
console.log(
  `detectBackend() -> ${(await C.detectBackend()).name}; self-test cold ${sel.cold.toFixed(0)} ms (fresh process, median of 3), warm ${sel.warm.toFixed(1)} ms`
);
await warmUp();
const results = [];
for (const b of [C.webcryptoBackend({ fallback: C.nobleBackend() }), C.nobleBackend()]) {
  const r = await measureBackend(b);
  console.log(`\n=== backend: ${r.backend} ===`);
  for (const line of describe(r)) console.log(line);
  results.push(r);
}
console.log('\nsummary:');
for (const r of results) {
  for (const [k, m] of Object.entries(r.figures) as [keyof typeof LABELS, (typeof r.figures)[keyof typeof LABELS]][]) {
    const goal = GOAL_FIGURES.includes(k);
    report(
      `node ${r.backend}: ${LABELS[k]}`,
      m.value,
      '/s',
      `floor ${m.floor.toFixed(0)}, ${m.ratio.toFixed(2)}x${goal ? `; goal >= ${GOAL_RATIO}x` : ''}`,
      goal ? m.ratio >= GOAL_RATIO : null
    );
  }
}
// The absolute budget of an earlier issue, kept for comparison with older runs.
const alt = results[0]!.figures.alt.value;
report('node webcrypto: alternating 1 KiB msgs/s (absolute budget)', alt, '/s', '>= 2600', alt >= 2600);
console.log(`total ${((performance.now() - t0) / 1000) | 0} s`);
