/**
 * The county-file check that needs the incidents (functions/config/removed-in-use.ts), against a table: used by
 * the local runtime at start-up and by `npm run -s check-config`.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { County } from '#config/county-schema.js';
import { assertNothingInUseRemoved, type ActiveIncidentRef } from '#config/removed-in-use.js';
import { translateConfig } from '#storage/dynamodb.js';
import { IncidentRepository } from '#storage/incident-repository.js';

/** Every incident of the county a workflow still holds (open, or resolved awaiting verification). */
export async function activeIncidents(client: DynamoDBClient, tableName: string, countyId: string): Promise<ActiveIncidentRef[]> {
  const repository = new IncidentRepository(DynamoDBDocumentClient.from(client, translateConfig), tableName);
  const found: ActiveIncidentRef[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await repository.listActive(countyId, startKey, 500);
    for (const i of page.items) found.push({ id: i.id, gridId: i.gridId, category: i.category, status: i.status });
    startKey = page.lastKey;
  } while (startKey);
  return found;
}

/** Throws the county file's error (every removed grid and category with its incidents) when there is one. */
export async function checkAgainstTable(county: County, client: DynamoDBClient, tableName: string, source: string): Promise<number> {
  const active = await activeIncidents(client, tableName, county.id);
  assertNothingInUseRemoved(county, active, source);
  return active.length;
}
