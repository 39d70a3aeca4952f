/** Direct table access for seeding, reading results back and cleaning up: batches, retried until done. */
import { randomUUID } from 'node:crypto';
import { BatchGetCommand, BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Incident } from '#domain/incident.js';
import { counted, counterWrites, type Counters } from '#domain/stats.js';
import { fromItem, incidentKey, toItem, workflowKey } from '#storage/incident-item.js';
import { cellKey, counterUpdates } from '#storage/stats-repository.js';
import { runPool } from './pool.js';
import type { Session } from './session.js';

type Item = Record<string, unknown>;

/** Incidents by id (missing ones are left out). */
export async function getIncidents(s: Session, ids: readonly string[]): Promise<Incident[]> {
  const out: Incident[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    let request: Record<string, { Keys: Item[]; ConsistentRead: boolean }> | undefined = {
      [s.tableName]: { Keys: ids.slice(i, i + 100).map(incidentKey), ConsistentRead: true },
    };
    while (request && Object.keys(request).length > 0) {
      const res = await s.doc.send(new BatchGetCommand({ RequestItems: request }));
      out.push(...(res.Responses?.[s.tableName] ?? []).map((item) => fromItem(item)));
      request = res.UnprocessedKeys as typeof request;
    }
  }
  return out;
}

async function batch(s: Session, requests: Item[], concurrency: number): Promise<void> {
  const chunks: Item[][] = [];
  for (let i = 0; i < requests.length; i += 25) chunks.push(requests.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    for (let c = next++; c < chunks.length; c = next++) {
      let pending: Record<string, Item[]> | undefined = { [s.tableName]: chunks[c]! };
      while (pending && Object.keys(pending).length > 0) {
        const res = await s.doc.send(new BatchWriteCommand({ RequestItems: pending as never }));
        pending = res.UnprocessedItems as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export const putItems = (s: Session, items: readonly Item[], concurrency = 4): Promise<void> =>
  batch(s, items.map((Item) => ({ PutRequest: { Item } })), concurrency);

export const deleteItems = (s: Session, items: readonly Item[], concurrency = 4): Promise<void> =>
  batch(s, items.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })), concurrency);

/**
 * Incidents as their workflows would have left them: the incident item, its bookkeeping item (the whole
 * timeline published and counted), and, with `counters`, the stats cells counting them (one ADD per cell for
 * all of them together).
 */
export async function seedIncidents(s: Session, incidents: readonly Incident[], opts: { counters: boolean; freshCells?: boolean }): Promise<void> {
  const timeZone = s.bench.county.timeZone;
  const items: Item[] = [];
  const cells = new Map<string, { write: ReturnType<typeof counterWrites>[number]; add: Counters }>();
  for (const incident of incidents) {
    items.push(toItem(incident));
    const now = counted(incident, timeZone);
    items.push({ ...workflowKey(incident.id), through: now.through, ...(opts.counters ? { counted: { place: now.place, counters: now.counters } } : {}) });
    if (!opts.counters) continue;
    for (const w of counterWrites(null, incident, timeZone)) {
      const key = JSON.stringify(w.cell);
      const cell = cells.get(key) ?? { write: w, add: {} };
      for (const [k, v] of Object.entries(w.add)) cell.add[k] = (cell.add[k] ?? 0) + v;
      cells.set(key, cell);
    }
  }
  if (opts.freshCells) {
    // No cell exists yet (the first measurement of a run): writing the sums is adding them to zero, and BatchWrite is quicker.
    await putItems(s, [...items, ...[...cells.values()].map((c) => ({ ...cellKey(c.write.cell), ...c.add }))]);
    return;
  }
  await putItems(s, items);
  const updates = counterUpdates(s.tableName, [...cells.values()].map((c) => ({ cell: c.write.cell, add: c.add })));
  await runPool(updates.length, 8, (i) => s.doc.send(new UpdateCommand(updates[i]!.Update!)).then(() => undefined));
}

/** An incident item under a fresh id: a floor writes items of the run's size without touching the run's own. */
export function withFreshId(item: Record<string, unknown>): Record<string, unknown> {
  const incident = fromItem(item);
  const id = randomUUID();
  return toItem({ ...incident, id, workflow: { ...incident.workflow, executionName: `${id}-1` } });
}
