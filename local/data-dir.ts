/**
 * The local county's data dir must be writable: DynamoDB Local keeps its files there, and the signing key,
 * cursor secret and notifications.jsonl live there. Checked at start, so a read-only dir fails at once with
 * that reason instead of DynamoDB Local timing out half a minute later.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function assertWritableDir(dir: string): void {
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new Error(`the data dir ${dir} is not writable (${code}): the local county keeps its database and keys there; `
      + 'give another --data-dir or make it writable');
  }
}
