/**
 * A CPU profile of a page's dedicated Web Workers (Chromium only), for finding where a bench's time goes:
 * `BENCH_PROFILE=out.cpuprofile npm run bench:backlog` (open the file in Chrome DevTools' Performance
 * panel). The page's CDP session auto-attaches to each worker it starts and profiles it from then on.
 */
import { writeFileSync } from 'node:fs';
import type { CDPSession, Page } from 'playwright';

interface Profiling {
  /** Stops every worker's profiler and writes the largest profile to `file`. */
  stop(file: string): Promise<void>;
}

export async function profileWorkers(page: Page): Promise<Profiling> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  const workers: string[] = [];
  const send = (sessionId: string, method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
    });
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result);
  });
  cdp.on('Target.attachedToTarget', (e) => {
    if (e.targetInfo.type !== 'worker') return;
    workers.push(e.sessionId);
    void send(e.sessionId, 'Profiler.enable')
      .then(() => send(e.sessionId, 'Profiler.setSamplingInterval', { interval: 100 }))
      .then(() => send(e.sessionId, 'Profiler.start'));
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  return {
    async stop(file) {
      const profiles = (await Promise.all(workers.map((s) => send(s, 'Profiler.stop')))) as { profile: { nodes: unknown[] } }[];
      const largest = profiles.filter((p) => p?.profile).sort((a, b) => b.profile.nodes.length - a.profile.nodes.length)[0];
      if (largest) writeFileSync(file, JSON.stringify(largest.profile));
      console.log(largest ? `worker CPU profile: ${file} (${workers.length} worker(s))` : 'no worker profile');
      await cdp.detach();
    }
  };
}
