/** Storage objects of this process, created on first use (the table name comes from the environment). */
import { IdempotencyStore } from '#storage/idempotency.js';
import { IncidentRepository } from '#storage/incident-repository.js';
import { documentClient, tableName } from '#storage/dynamodb.js';
import { currentCounty } from './county.js';

let repository: IncidentRepository | undefined;
let idempotencyStore: IdempotencyStore | undefined;

export const incidents = (): IncidentRepository => (repository ??= new IncidentRepository(documentClient, tableName(), currentCounty().county.timeZone));
export const idempotency = (): IdempotencyStore => (idempotencyStore ??= new IdempotencyStore(documentClient, tableName()));
