/**
 * The bench's console. The handlers log JSON lines (Powertools) to stdout/stderr as in Lambda; here those
 * lines go to a log file instead of the terminal, and are counted (bytes: the CloudWatch Logs volume;
 * levels: WARN and ERROR lines are a run's errors). The bench's own lines keep the real stdout.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export interface LogCounts {
  bytes: number;
  lines: number;
  warn: number;
  error: number;
}

const realStdout = process.stdout.write.bind(process.stdout);
const realStderr = process.stderr.write.bind(process.stderr);

/** A line for the person running the bench. */
export function say(line = ''): void {
  realStdout(`${line}\n`);
}

/** Progress that is not a figure. */
export function note(line: string): void {
  realStderr(`  · ${line}\n`);
}

export class LogTap {
  readonly counts: LogCounts = { bytes: 0, lines: 0, warn: 0, error: 0 };
  /** The last few WARN/ERROR lines, to show what went wrong. */
  readonly problems: string[] = [];
  private readonly file: WriteStream;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.file = createWriteStream(path, { flags: 'w' });
    const capture = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      this.count(text);
      this.file.write(text);
      const cb = typeof encoding === 'function' ? encoding : callback;
      if (typeof cb === 'function') (cb as () => void)();
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
  }

  private count(text: string): void {
    this.counts.bytes += Buffer.byteLength(text, 'utf8');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      this.counts.lines++;
      const level = /"level":"(\w+)"/.exec(line)?.[1];
      if (level === 'WARN') this.counts.warn++;
      if (level === 'ERROR' || level === 'CRITICAL') this.counts.error++;
      // Node's own warnings and stack traces are not JSON: anything unstructured on the console is suspicious.
      const problem = level === 'WARN' || level === 'ERROR' || level === 'CRITICAL' || (level === undefined && !line.startsWith('{'));
      if (problem && this.problems.length < 20) this.problems.push(line.slice(0, 400));
    }
  }

  snapshot(): LogCounts {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    process.stdout.write = realStdout as typeof process.stdout.write;
    process.stderr.write = realStderr as typeof process.stderr.write;
    await new Promise<void>((resolve) => this.file.end(resolve));
  }
}

/** The AWS SDK's notice that its 2027 releases need Node 22 says nothing about a measurement. */
export function muteNodeVersionNotice(): void {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('NodeVersionSupportWarning')) return;
    (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}
