/** Storage objects of this process, created on first use (the table name comes from the environment). */
import { IdempotencyStore } from '#storage/idempotency.js';
import { IncidentRepository } from '#storage/incident-repository.js';
import { StatsRepository } from '#storage/stats-repository.js';
import { documentClient, tableName } from '#storage/dynamodb.js';

let repository: IncidentRepository | undefined;
let idempotencyStore: IdempotencyStore | undefined;
let statsRepository: StatsRepository | undefined;

export const incidents = (): IncidentRepository => (repository ??= new IncidentRepository(documentClient, tableName()));
export const idempotency = (): IdempotencyStore => (idempotencyStore ??= new IdempotencyStore(documentClient, tableName()));
export const stats = (): StatsRepository => (statsRepository ??= new StatsRepository(documentClient, tableName()));
