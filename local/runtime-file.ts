/**
 * `<data-dir>/runtime.json`: where the local county running on a data dir can be reached, for the local ops
 * commands (`npm run -s stuck`, `npm run -s check-config`). Written once the county is ready, removed when it
 * stops; a file left by a killed runtime is recognised by its dead pid.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUNTIME_FILE = 'runtime.json';

export interface RuntimeFile {
  pid: number;
  apiUrl: string;
  /** The local Step Functions, SNS and Lambda Invoke endpoint. */
  awsEndpoint: string;
  dynamoDbEndpoint: string;
  /** Function name of the reconciler, for Lambda Invoke. */
  reconcileFunction?: string;
}

export function writeRuntimeFile(dataDir: string, file: RuntimeFile): void {
  writeFileSync(join(dataDir, RUNTIME_FILE), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}

/** Only our own file: a second runtime that took the data dir over keeps its. */
export function removeRuntimeFile(dataDir: string, pid: number): void {
  if (readRunningCounty(dataDir)?.pid === pid) rmSync(join(dataDir, RUNTIME_FILE), { force: true });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The county running on `dataDir`, or undefined when none is (no file, or its process is gone). */
export function readRunningCounty(dataDir: string): RuntimeFile | undefined {
  let file: RuntimeFile;
  try {
    file = JSON.parse(readFileSync(join(dataDir, RUNTIME_FILE), 'utf8')) as RuntimeFile;
  } catch {
    return undefined;
  }
  return typeof file.pid === 'number' && alive(file.pid) ? file : undefined;
}
