/**
 * Deadlines: N incidents whose grid deadlines fall in the same second. They cannot be reported that close
 * together through the API, so they are seeded as reported ten minutes before their deadline (their 80 %
 * reminder already sent, as the workflow would have done) and their workflows are started as the reconciler
 * resumes them. The lag is from each deadline to the `escalated` event on its timeline, and to the message
 * that tells the town. Memory: heap and RSS after GC, before seeding and once every workflow waits, over N.
 *
 * The floor: the burst's own DynamoDB write requests (counted by the meter from the deadline until every
 * workflow waits again), timed as plain PutItems of incident-sized items at the engine's best concurrency
 * (16 in flight). No product can escalate faster than its database takes its writes; the ratio of the p99 lag
 * to that floor is the product's share, comparable between machines (a transaction counts as one request, so
 * the floor is if anything low and the ratio high).
 */
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { toItem } from '#storage/incident-item.js';
import { DEADLINE_CATEGORY, DEADLINE_GRID_SECONDS } from './bench-county.js';
import { actorsOf, liveThrough, type Plan } from './history.js';
import { settledMemory } from './memory.js';
import { NotificationTail } from './notifications.js';
import { note } from './output.js';
import { round, summarize, type Summary } from './percentiles.js';
import { runPool, sleep, waitUntil } from './pool.js';
import type { Session } from './session.js';
import { deleteItems, getIncidents, seedIncidents, withFreshId } from './table.js';
import { placesOf, rng } from './workload.js';

export interface DeadlinesOptions { incidents: number; leadSeconds: number }
export const DEADLINES_DEFAULTS: DeadlinesOptions = { incidents: 1_000, leadSeconds: 25 };

export interface DeadlinesResult {
  incidents: number;
  deadlineSecond: string;
  /** Seconds to seed the incidents and to start their workflows until all of them waited. */
  seedSeconds: number;
  startSeconds: number;
  allWaitingBeforeDeadline: boolean;
  escalated: number;
  /** Deadline -> `escalated` on the timeline. */
  lagMs: Summary;
  /** Deadline -> the message to the town published. */
  notificationLagMs: Summary;
  /** From the deadline second until the last escalation. */
  burstSeconds: number;
  /** The database's floor for the burst's writes (see the header), and the p99 lags over it. */
  floor: { writeRequests: number; perSecond: number; seconds: number; escalatedP99Ratio: number; townMessageP99Ratio: number };
  memory: { heapBeforeMiB: number; heapAfterMiB: number; rssBeforeMiB: number; rssAfterMiB: number; heapPerIncidentKiB: number; rssPerIncidentKiB: number };
}

export async function runDeadlines(s: Session, opts: DeadlinesOptions = DEADLINES_DEFAULTS): Promise<DeadlinesResult> {
  const county = s.bench.county;
  const random = rng(23);
  const places = placesOf(county);
  const actors = actorsOf(county);
  const town = county.ladder[1]!;
  const now = Date.now();
  const second = Math.ceil((now + opts.leadSeconds * 1000) / 1000) * 1000;
  const deadlines = Array.from({ length: opts.incidents }, (_, i) => second + Math.floor((i * 1000) / opts.incidents));

  const t0 = Date.now();
  const incidents = deadlines.map((deadline) => {
    const plan: Plan = {
      category: DEADLINE_CATEGORY, place: places[Math.floor(random() * places.length)]!, outcome: 'escalated-once',
      resident: null, manual: [], resolveShare: 0.5, acknowledge: false, verifyShare: null,
    };
    return liveThrough(county, plan, randomUUID(), deadline - DEADLINE_GRID_SECONDS * 1000, now, random, actors);
  });
  // Measured with the seeded records already in the bench's hands, so only the runtime's share differs.
  const before = await settledMemory();
  const waitingBefore = s.local.stepFunctions.stats().waitingTokens;
  await seedIncidents(s, incidents, { counters: true });
  const seedSeconds = (Date.now() - t0) / 1000;

  note(`deadlines: ${opts.incidents} workflows resumed, all due at ${new Date(second).toISOString()}`);
  const tail = new NotificationTail(s.local.notificationsFile).start();
  const t1 = Date.now();
  for (const incident of incidents) s.local.stepFunctions.startExecution(incident.workflow.executionName!, { incidentId: incident.id });
  await waitUntil(() => s.local.stepFunctions.stats().waitingTokens - waitingBefore >= opts.incidents, 120_000, 50);
  const startSeconds = (Date.now() - t1) / 1000;
  const allWaitingBeforeDeadline = Date.now() < second;
  const after = await settledMemory();

  const mark = s.meter.mark();
  await sleep(second - Date.now());
  note('deadlines: the second has come, waiting for the escalations');
  const notices = await Promise.all(incidents.map((i) => tail.next(i.id, 'escalated', town, 240_000)));
  tail.stop();
  // Each workflow still moves to its town stage and parks there; let that finish before anything else runs.
  await waitUntil(() => s.settled(), 120_000, 100);
  const writeRequests = Object.values(s.meter.since(mark).dynamo).reduce((n, t) => n + (t.writeUnits > 0 ? t.ops : 0), 0);
  const stored = await getIncidents(s, incidents.map((i) => i.id));
  const deadlineOf = new Map(incidents.map((i) => [i.id, Date.parse(i.deadline!)]));
  const lags: number[] = [];
  let last = second;
  for (const incident of stored) {
    const event = incident.timeline.find((e) => e.type === 'escalated' && e.level === town);
    if (!event) continue;
    lags.push(Date.parse(event.at) - deadlineOf.get(incident.id)!);
    last = Math.max(last, Date.parse(event.at));
  }
  const noticeLags = notices.flatMap((n, i) => (n ? [Date.parse(n.publishedAt) - deadlines[i]!] : []));
  const n = opts.incidents;
  const lagMs = summarize(lags);
  const notificationLagMs = summarize(noticeLags);

  note(`deadlines: the floor, ${writeRequests} PutItems of the burst's incidents at 16 in flight`);
  const items = stored.map(toItem);
  const floorItems = Array.from({ length: writeRequests }, (_, i) => withFreshId(items[i % items.length]!));
  const floorRun = await runPool(floorItems.length, 16, (i) => s.doc.send(new PutCommand({ TableName: s.tableName, Item: floorItems[i]! })).then(() => undefined));
  await deleteItems(s, floorItems);
  const floorSeconds = floorRun.wallMs / 1000;
  return {
    incidents: n,
    deadlineSecond: new Date(second).toISOString(),
    seedSeconds: round(seedSeconds, 1),
    startSeconds: round(startSeconds, 1),
    allWaitingBeforeDeadline,
    escalated: lags.length,
    lagMs,
    notificationLagMs,
    burstSeconds: round((last - second) / 1000, 1),
    floor: {
      writeRequests, perSecond: round(writeRequests / floorSeconds, 1), seconds: round(floorSeconds, 1),
      escalatedP99Ratio: round(lagMs.p99 / (floorSeconds * 1000)), townMessageP99Ratio: round(notificationLagMs.p99 / (floorSeconds * 1000)),
    },
    memory: {
      heapBeforeMiB: round(before.heapUsedMiB, 1), heapAfterMiB: round(after.heapUsedMiB, 1),
      rssBeforeMiB: round(before.rssMiB, 1), rssAfterMiB: round(after.rssMiB, 1),
      heapPerIncidentKiB: round(((after.heapUsedMiB - before.heapUsedMiB) * 1024) / n, 1),
      rssPerIncidentKiB: round(((after.rssMiB - before.rssMiB) * 1024) / n, 1),
    },
  };
}

