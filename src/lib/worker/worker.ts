/// <reference lib="webworker" />
/**
 * The Web Worker entry. It holds no code of its own on purpose: WebKit evaluates a module worker's
 * entry script a second time when a lazily loaded chunk imports from it (the bundler puts shared code
 * in the entry), which started a second core answering every call. Everything lives in
 * worker-main.ts, loaded here, so no chunk ever imports this file.
 */
// Before worker-main builds any zod schema (see no-eval.ts).
import '$lib/no-eval';

const early: MessageEvent[] = [];
const hold = (ev: MessageEvent) => void early.push(ev);
self.addEventListener('message', hold);
void import('./worker-main').then(({ serve }) => {
  self.removeEventListener('message', hold);
  serve(early);
});
