/**
 * The index backfill in the cloud (functions/storage/index-backfill.ts): invoked asynchronously by the county
 * stack on every deploy (a CDK trigger, after the table and every function that writes incidents), and by ops
 * with `aws lambda invoke --invocation-type Event` (see README "Operations"). A no-op once the marker says done.
 *
 * Before a first scan it waits until no invocation of the previous code can still be running (the longest
 * timeout of the functions that create or move an incident, `BACKFILL_SETTLE_SECONDS`): an incident such code
 * wrote without the attribute after the scan had passed it would be missing from its category list.
 * Stops half a minute before its own timeout with an error: Lambda retries the event (twice), each retry resumes
 * where the scan stopped, and a last failure reaches the county's failure queue, which is alarmed.
 */
import type { Context } from 'aws-lambda';
import { logger } from '#commons/logger.js';
import { documentClient, tableName } from '#storage/dynamodb.js';
import { backfill, BACKFILL_SETTLE_ENV, isBackfilled, type BackfillReport } from '#storage/index-backfill.js';

/** Time kept in hand before the function's timeout to save the scan's position and end cleanly. */
const MARGIN_MS = 30_000;

export async function handler(_event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<BackfillReport> {
  const table = tableName();
  if (!(await isBackfilled(documentClient, table, 'gridCategory'))) {
    const settle = Number(process.env[BACKFILL_SETTLE_ENV] ?? 0);
    if (settle > 0) await new Promise((r) => setTimeout(r, settle * 1000));
  }
  const report = await backfill(documentClient, table, 'gridCategory', { continueWhile: () => context.getRemainingTimeInMillis() > MARGIN_MS });
  logger.info('index backfill', { ...report });
  if (!report.done) throw new Error(`Backfill of ${report.index} stopped before its timeout after ${report.scanned} items; the retry resumes it`);
  return report;
}
