/** A fixed number of tasks in flight, each timed: the load shape of "N requests at C concurrent". */
import { performance } from 'node:perf_hooks';

export interface PoolResult<T> {
  /** Per task, in task order. */
  latenciesMs: number[];
  results: T[];
  wallMs: number;
}

export async function runPool<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<PoolResult<T>> {
  const latenciesMs = new Array<number>(count);
  const results = new Array<T>(count);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const t0 = performance.now();
      results[i] = await task(i);
      latenciesMs[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { latenciesMs, results, wallMs: performance.now() - started };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Polls `done` every `everyMs` until it holds; false on timeout. */
export async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}
