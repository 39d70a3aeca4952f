/** Direct table access for seeding, reading results back and cleaning up: batches, retried until done. */
import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Incident } from '#domain/incident.js';
import { fromItem, incidentKey } from '#storage/incident-item.js';
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
