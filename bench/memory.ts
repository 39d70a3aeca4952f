/** Heap and RSS after a full garbage collection, so that a difference is what stays alive. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
// The flag applies to contexts created from now on: a fresh one hands out the gc function.
const gc = runInNewContext('gc') as () => void;

export interface MemorySample { heapUsedMiB: number; rssMiB: number }

export async function settledMemory(): Promise<MemorySample> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const m = process.memoryUsage();
  return { heapUsedMiB: m.heapUsed / 2 ** 20, rssMiB: m.rss / 2 ** 20 };
}
