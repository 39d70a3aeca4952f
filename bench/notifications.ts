/**
 * Follows `<data-dir>/notifications.jsonl` (every SNS message the local county publishes) so the bench can
 * react like a supervisor who gets the message, and time when messages went out.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

export interface Notice { publishedAt: string; level: string; event: string; incidentId: string; reason: string | null }

const key = (incidentId: string, event: string, level: string) => `${incidentId}|${event}|${level}`;

export class NotificationTail {
  private offset = 0;
  private partial = '';
  private readonly seen = new Map<string, Notice>();
  private readonly waiters = new Map<string, ((n: Notice) => void)[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly file: string, private readonly everyMs = 100) {}

  start(): this {
    // Whatever was published before is history: follow from the end.
    this.offset = existsSync(this.file) ? statSync(this.file).size : 0;
    this.timer = setInterval(() => this.poll(), this.everyMs);
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.poll();
  }

  /** The first message of `event` to `level` about an incident (already seen, or when it comes). */
  next(incidentId: string, event: string, level: string, timeoutMs: number): Promise<Notice | null> {
    const k = key(incidentId, event, level);
    const found = this.seen.get(k);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      const list = this.waiters.get(k) ?? [];
      list.push((n) => { clearTimeout(timer); resolve(n); });
      this.waiters.set(k, list);
    });
  }

  get(incidentId: string, event: string, level: string): Notice | undefined {
    return this.seen.get(key(incidentId, event, level));
  }

  private poll(): void {
    if (!existsSync(this.file)) return;
    const size = statSync(this.file).size;
    if (size <= this.offset) return;
    const fd = openSync(this.file, 'r');
    try {
      const buffer = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset += n;
      const text = this.partial + buffer.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.take(line);
    } finally {
      closeSync(fd);
    }
  }

  private take(line: string): void {
    const record = JSON.parse(line) as { publishedAt: string; level: string; attributes: Record<string, string> };
    const a = record.attributes;
    const notice: Notice = { publishedAt: record.publishedAt, level: record.level, event: a.event ?? '', incidentId: a.incidentId ?? '', reason: a.reason ?? null };
    const k = key(notice.incidentId, notice.event, notice.level);
    if (this.seen.has(k)) return;
    this.seen.set(k, notice);
    for (const w of this.waiters.get(k) ?? []) w(notice);
    this.waiters.delete(k);
  }
}
