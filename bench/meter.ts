/**
 * What a run really did, counted where the cloud would bill it:
 *  - DynamoDB: every command the handlers' client sends, with ReturnConsumedCapacity=INDEXES added so the
 *    engine reports the read/write units of the table and of each index; classified by what the command is
 *    for (create, save, the workflow's bookkeeping writes...);
 *  - Lambda: every workflow task invocation (the local invoke's handler table is wrapped) with its duration;
 *    API invocations are the HTTP requests the bench makes (one request, one Lambda invocation);
 *  - Step Functions: state transitions from the runner's event-log count; SNS: Publish calls.
 * Nothing in the product changes: middleware is added to the handlers' own SDK clients, which the runtime
 * created at module scope, and the handler table is the one the local runtime looks entries up in.
 */
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { LogCounts } from './output.js';

export interface CommandTally {
  ops: number;
  /** Capacity units as DynamoDB bills them (see addCapacity), by kind of command. */
  writeUnits: number;
  readUnits: number;
  tableUnits: number;
  indexUnits: number;
  /** Index entries written (one per index named in the write's ConsumedCapacity). */
  indexWrites: number;
  /** What DynamoDB Local reported, before the transaction correction (see addCapacity). */
  localUnits: number;
  /** ConditionalCheckFailed and other failures (a failed conditional write still costs write units). */
  failed: number;
}

export interface InvocationTally { count: number; ms: number }

export interface MeterCounts {
  dynamo: Record<string, CommandTally>;
  invocations: Record<string, InvocationTally>;
  http: Record<string, number>;
  sfnApi: Record<string, number>;
  snsPublishes: number;
  snsBytes: number;
  transitions: number;
  executionsStarted: number;
  logs: LogCounts;
}

/**
 * One incident's share of the work, while attribution is on: DynamoDB commands on its item (a transaction
 * with its counters counts whole), workflow tasks invoked for it, messages about it, API requests on it.
 */
export interface IncidentUsage {
  dynamoOps: number;
  writeUnits: number;
  readUnits: number;
  /** The workflow's bookkeeping writes, by purpose (taskToken, progress, progress+counters, executionName). */
  bookkeeping: Record<string, { ops: number; units: number }>;
  /** Writes of what a reader sees (create, save), alone or in a transaction with the stats counters. */
  visible: {
    ops: number;
    transactions: number;
    units: number;
    /** Units the engine charged to the table itself (incident and counter items), and of that inside transactions. */
    tableUnits: number;
    transactionTableUnits: number;
    /** Index entries written (one per index a write's ConsumedCapacity names) and their units. */
    indexWrites: number;
    indexUnits: number;
    /** Counter items updated with the incident. */
    counterWrites: number;
  };
  invocations: Record<string, InvocationTally>;
  /** Sync tasks that sent the workflow to another stage (each costs a second sync and route). */
  stageChanges: number;
  /**
   * State transitions the incident's tasks entered, from each task's outcome: a sync and its route Choice (2),
   * plus Done after a route to the end (1) or Continue as new and Done (2); an await (1); the closing task after
   * the last wait (1, and it ends the run itself; when it fails with StageGoesOn the stage's sync follows).
   */
  transitions: number;
  snsPublishes: number;
  /** Publishes by the level of the topic. */
  snsByLevel: Record<string, number>;
  api: Record<string, number>;
  apiMs: number;
}

const emptyUsage = (): IncidentUsage => ({
  dynamoOps: 0, writeUnits: 0, readUnits: 0, bookkeeping: {},
  visible: { ops: 0, transactions: 0, units: 0, tableUnits: 0, transactionTableUnits: 0, indexWrites: 0, indexUnits: 0, counterWrites: 0 },
  invocations: {}, stageChanges: 0, transitions: 0, snsPublishes: 0, snsByLevel: {}, api: {}, apiMs: 0,
});

/** Transitions one workflow task's invocation accounts for (see IncidentUsage.transitions). */
function transitionsOf(entry: string, closing: boolean, next: string | undefined): number {
  if (entry.endsWith('/await.ts')) return 1;
  if (!entry.endsWith('/sync.ts')) return 0;
  if (closing) return 1;
  return 2 + (next === 'end' ? 1 : next === 'continue' ? 2 : 0);
}

/** A snapshot's counters plus where the per-call duration lists stood. */
export interface MeterMark { counts: MeterCounts; at: number; marks: Record<string, number> }

/** What happened between two marks. */
export interface MeterDelta extends MeterCounts {
  seconds: number;
  /** Per-call durations (ms) by Lambda entry and by DynamoDB command kind. */
  durations: Record<string, number[]>;
}

const WRITE_COMMANDS = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand', 'BatchWriteItemCommand']);
const CAPACITY_COMMANDS = new Set([...WRITE_COMMANDS, 'GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand']);

type Json = Record<string, unknown>;
type Middleware = (next: (args: { input: Json }) => Promise<{ output: Json }>, context: { commandName?: string }) => (args: { input: Json }) => Promise<{ output: Json }>;
interface StackOwner { middlewareStack: { add: (mw: Middleware, opts: { step: 'initialize'; name: string; override?: boolean }) => void } }

const emptyTally = (): CommandTally => ({ ops: 0, writeUnits: 0, readUnits: 0, tableUnits: 0, indexUnits: 0, indexWrites: 0, localUnits: 0, failed: 0 });
const DURATIONS_KEPT = 200_000;

export class Meter {
  private readonly counts: MeterCounts = {
    dynamo: {}, invocations: {}, http: {}, sfnApi: {}, snsPublishes: 0, snsBytes: 0, transitions: 0, executionsStarted: 0,
    logs: { bytes: 0, lines: 0, warn: 0, error: 0 },
  };
  private readonly durations: Record<string, number[]> = {};
  private usage: Map<string, IncidentUsage> | undefined;
  /** While set, workflow tasks wait for it before they run (see holdWorkflows). */
  private gate: Promise<void> | undefined;

  constructor(
    private readonly sources: {
      transitions: () => { stateTransitions: number; executionsStarted: number };
      logs: () => LogCounts;
    },
  ) {}

  /** From now on, work is also attributed to the incidents it concerns (see IncidentUsage). */
  attribute(): Map<string, IncidentUsage> {
    this.usage = new Map();
    return this.usage;
  }

  private usageOf(incidentId: string | undefined): IncidentUsage | undefined {
    if (!this.usage || !incidentId) return undefined;
    let u = this.usage.get(incidentId);
    if (!u) { u = emptyUsage(); this.usage.set(incidentId, u); }
    return u;
  }

  /** Adds the capacity/counting middleware to the handlers' DynamoDB client. */
  instrumentDynamo(client: DynamoDBClient): void {
    (client as unknown as StackOwner).middlewareStack.add((next, context) => async (args) => {
      const command = context.commandName ?? 'UnknownCommand';
      if (CAPACITY_COMMANDS.has(command)) args.input.ReturnConsumedCapacity = 'INDEXES';
      const kind = classify(command, args.input);
      const tally = (this.counts.dynamo[kind] ??= emptyTally());
      tally.ops++;
      const t0 = performance.now();
      try {
        const result = await next(args);
        const write = WRITE_COMMANDS.has(command);
        const added = addCapacity(tally, result.output.ConsumedCapacity, write, args.input, command);
        const u = this.usageOf(incidentOf(args.input));
        if (u) {
          u.dynamoOps++;
          if (write) u.writeUnits += added.units; else u.readUnits += added.units;
          if (write && kind.includes('bookkeeping')) {
            const b = (u.bookkeeping[kind.slice('incident.bookkeeping.'.length)] ??= { ops: 0, units: 0 });
            b.ops++;
            b.units += added.units;
          } else if (write) {
            const v = u.visible;
            v.ops++;
            if (kind.startsWith('transact')) { v.transactions++; v.transactionTableUnits += added.tableUnits; }
            v.units += added.units;
            v.tableUnits += added.tableUnits;
            v.indexWrites += added.indexWrites;
            v.indexUnits += added.indexUnits;
            v.counterWrites += counterItems(args.input);
          }
        }
        return result;
      } catch (error) {
        tally.failed++;
        throw error;
      } finally {
        this.record(`dynamo:${kind}`, performance.now() - t0);
      }
    }, { step: 'initialize', name: 'benchMeterDynamo', override: true });
  }

  instrumentSfn(client: SFNClient): void {
    (client as unknown as StackOwner).middlewareStack.add((next, context) => async (args) => {
      const command = context.commandName ?? 'UnknownCommand';
      this.counts.sfnApi[command] = (this.counts.sfnApi[command] ?? 0) + 1;
      return next(args);
    }, { step: 'initialize', name: 'benchMeterSfn', override: true });
  }

  instrumentSns(client: SNSClient): void {
    (client as unknown as StackOwner).middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'PublishCommand') {
        this.counts.snsPublishes++;
        const attributes = args.input.MessageAttributes as Record<string, { StringValue?: string }> | undefined;
        const u = this.usageOf(attributes?.incidentId?.StringValue);
        if (u) {
          u.snsPublishes++;
          const level = String(args.input.TopicArn ?? '').split('-').pop() ?? '?';
          u.snsByLevel[level] = (u.snsByLevel[level] ?? 0) + 1;
        }
        this.counts.snsBytes += Buffer.byteLength(String(args.input.Message ?? ''), 'utf8');
      }
      return next(args);
    }, { step: 'initialize', name: 'benchMeterSns', override: true });
  }

  /**
   * Holds every workflow task until the returned release is called: the executions the API starts meanwhile
   * wait at their first task. Measures a request path alone on the one local database the workflows share (in
   * the cloud they never slow the API's writes).
   */
  holdWorkflows(): () => void {
    let release: () => void = () => undefined;
    this.gate = new Promise<void>((r) => { release = r; });
    return () => { this.gate = undefined; release(); };
  }

  /** Wraps every entry of the local runtime's handler table (what the state machine's tasks invoke). */
  instrumentHandlers(handlers: Record<string, (event: unknown, context: never) => Promise<unknown>>): void {
    for (const [entry, handler] of Object.entries(handlers)) {
      handlers[entry] = async (event, context) => {
        if (this.gate && entry.startsWith('functions/workflow/')) await this.gate;
        const input = (event ?? {}) as { incidentId?: string; stage?: string; closing?: boolean };
        // The closing task runs the sync function: counted apart (one transition, no route after it).
        const key = input.closing ? `${entry}#close` : entry;
        const tally = (this.counts.invocations[key] ??= { count: 0, ms: 0 });
        tally.count++;
        const u = this.usageOf(input.incidentId);
        const t0 = performance.now();
        let result: unknown;
        try {
          result = await handler(event, context);
          return result;
        } finally {
          const ms = performance.now() - t0;
          tally.ms += ms;
          this.record(`lambda:${entry}`, ms);
          if (u) {
            const mine = (u.invocations[key] ??= { count: 0, ms: 0 });
            mine.count++;
            mine.ms += ms;
            const next = (result as { next?: string } | undefined)?.next;
            u.transitions += transitionsOf(entry, input.closing === true, next);
            if (input.stage !== undefined && next !== undefined && next !== input.stage && next !== 'end') u.stageChanges++;
          }
        }
      };
    }
  }

  /** One API request: one Lambda invocation of the route's function. */
  countHttp(routeKey: string, status: number, ms: number, incidentId?: string): void {
    const key = `${routeKey} ${status}`;
    this.counts.http[key] = (this.counts.http[key] ?? 0) + 1;
    const u = this.usageOf(incidentId);
    if (u) {
      u.api[routeKey] = (u.api[routeKey] ?? 0) + 1;
      u.apiMs += ms;
    }
    this.record(`http:${routeKey}`, ms);
  }

  private record(key: string, ms: number): void {
    const list = (this.durations[key] ??= []);
    if (list.length < DURATIONS_KEPT) list.push(ms);
  }

  mark(): MeterMark {
    const sfn = this.sources.transitions();
    this.counts.transitions = sfn.stateTransitions;
    this.counts.executionsStarted = sfn.executionsStarted;
    this.counts.logs = this.sources.logs();
    return {
      counts: structuredClone(this.counts),
      at: performance.now(),
      marks: Object.fromEntries(Object.entries(this.durations).map(([k, v]) => [k, v.length])),
    };
  }

  since(from: MeterMark): MeterDelta {
    const to = this.mark();
    const d = subtract(to.counts, from.counts) as MeterCounts;
    return {
      ...d,
      dynamo: prune(d.dynamo),
      invocations: prune(d.invocations),
      http: prune(d.http),
      sfnApi: prune(d.sfnApi),
      seconds: (to.at - from.at) / 1000,
      durations: Object.fromEntries(Object.entries(this.durations).map(([k, v]) => [k, v.slice(from.marks[k] ?? 0)])),
    };
  }
}

/** b - a for every number in b (missing in a counts as 0). */
function subtract(b: unknown, a: unknown): unknown {
  if (typeof b === 'number') return b - (typeof a === 'number' ? a : 0);
  if (b === null || typeof b !== 'object') return b;
  return Object.fromEntries(Object.entries(b as Json).map(([k, v]) => [k, subtract(v, (a as Json | undefined)?.[k])]));
}

const isZero = (v: unknown): boolean => (typeof v === 'number' ? v === 0 : v !== null && typeof v === 'object' && Object.values(v as Json).every(isZero));

/** Drops the entries of a map in which nothing happened. */
const prune = <T>(map: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(map).filter(([, v]) => !isZero(v)));

interface Capacity { CapacityUnits?: number; Table?: { CapacityUnits?: number }; GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>; LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }> }
interface Added { units: number; tableUnits: number; indexWrites: number; indexUnits: number }

/**
 * The units of one command as DynamoDB bills them. Plain commands: what DynamoDB Local reports (its figures
 * match the documented rules: one unit per KB written to the table and to each index entry, two for an index
 * entry whose key changed). Transactions: DynamoDB Local charges an item four times a plain write and adds a
 * constant for any number of counter items, so they are recomputed with the documented rule, twice a plain
 * write: 2 x KB for the incident item, 2 per counter item, and every index entry at the transactional rate too
 * (index sizes taken from Local's per-index figures halved) - an upper bound if AWS bills index propagation
 * at the plain rate. `tally.localUnits` keeps what Local said.
 */
function addCapacity(tally: CommandTally, consumed: unknown, write: boolean, input: Json, command: string): Added {
  const added: Added = { units: 0, tableUnits: 0, indexWrites: 0, indexUnits: 0 };
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    const cap = c as Capacity;
    tally.localUnits += cap.CapacityUnits ?? 0;
    const indexes = [cap.GlobalSecondaryIndexes, cap.LocalSecondaryIndexes].flatMap((i) => Object.values(i ?? {}).map((e) => e.CapacityUnits ?? 0));
    if (command === 'TransactWriteItemsCommand') {
      const aws = transactionUnits(input, indexes);
      added.tableUnits += aws.table;
      added.indexUnits += aws.index;
    } else {
      added.tableUnits += cap.Table?.CapacityUnits ?? 0;
      added.indexUnits += indexes.reduce((a, b) => a + b, 0);
    }
    if (write) added.indexWrites += indexes.length;
  }
  added.units = added.tableUnits + added.indexUnits;
  if (write) tally.writeUnits += added.units; else tally.readUnits += added.units;
  tally.tableUnits += added.tableUnits;
  tally.indexUnits += added.indexUnits;
  tally.indexWrites += added.indexWrites;
  return added;
}

/** A transaction by the documented rule (see addCapacity). */
function transactionUnits(input: Json, localIndexUnits: number[]): { table: number; index: number } {
  const items = Array.isArray(input.TransactItems) ? (input.TransactItems as Json[]) : [];
  // Local's index figure for an unchanged-key entry is 4 x KB: the most common value among the indexes.
  const counts = new Map<number, number>();
  for (const u of localIndexUnits) counts.set(u, (counts.get(u) ?? 0) + 1);
  const mode = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
  let table = 0;
  for (const t of items) {
    const body = (Object.values(t)[0] ?? {}) as Json;
    const pk = pkOf(body.Item ?? body.Key);
    if (!pk.startsWith('INC#') || skOf(body.Item ?? body.Key) === 'WORKFLOW') { table += 2; continue; }
    const kb = mode !== undefined ? mode / 4 : Math.ceil(approximateSize(body.Item ?? body.ExpressionAttributeValues) / 1024);
    table += 2 * Math.max(1, kb);
  }
  return { table, index: localIndexUnits.reduce((a, b) => a + b, 0) / 2 };
}

/** DynamoDB's item size, roughly: attribute names and values as JSON text. */
const approximateSize = (value: unknown): number => Buffer.byteLength(JSON.stringify(value ?? {}), 'utf8');

/** The partition key of a command's item, marshalled ({S: ...}) or not. */
function pkOf(item: unknown): string {
  const pk = (item as Json | undefined)?.pk;
  if (typeof pk === 'string') return pk;
  const s = (pk as { S?: unknown } | undefined)?.S;
  return typeof s === 'string' ? s : '';
}

/** Stats counter cells a transaction updates. */
const counterItems = (input: Json): number => (Array.isArray(input.TransactItems)
  ? (input.TransactItems as Json[]).filter((t) => /^(STATS|SERIES)#/.test(pkOf((Object.values(t)[0] as Json | undefined)?.Key))).length
  : 0);

/** The incident a command works on: its key, or the first incident item of a transaction. */
function incidentOf(input: Json): string | undefined {
  const items = Array.isArray(input.TransactItems)
    ? (input.TransactItems as Json[]).map((t) => { const b = Object.values(t)[0] as Json | undefined; return b?.Item ?? b?.Key; })
    : [input.Key ?? input.Item];
  for (const item of items) {
    const pk = pkOf(item);
    if (pk.startsWith('INC#')) return pk.slice('INC#'.length);
  }
  return undefined;
}

/** What an item is, from its key: an incident, its workflow bookkeeping, a stats cell, an idempotency record. */
function targetOf(key: unknown): string {
  const pk = pkOf(key);
  if (pk.startsWith('INC#')) return skOf(key) === 'WORKFLOW' ? 'workflow' : 'incident';
  if (pk.startsWith('STATS#')) return 'stats';
  if (pk.startsWith('SERIES#')) return 'series';
  if (pk.startsWith('IDEM#')) return 'idempotency';
  return pk.split('#')[0]!.toLowerCase() || 'item';
}

/** The sort key of a command's item, marshalled or not. */
function skOf(item: unknown): string {
  const sk = (item as Json | undefined)?.sk;
  if (typeof sk === 'string') return sk;
  const s = (sk as { S?: unknown } | undefined)?.S;
  return typeof s === 'string' ? s : '';
}

/** What a command is for, from its input: the unit the cost model reasons about. */
export function classify(command: string, input: Json): string {
  switch (command) {
    case 'GetItemCommand':
      return `${targetOf(input.Key)}.get`;
    case 'PutItemCommand':
      return `${targetOf(input.Item)}.put`;
    case 'DeleteItemCommand':
      return `${targetOf(input.Key)}.delete`;
    case 'UpdateItemCommand': {
      const target = targetOf(input.Key);
      const names = Object.values((input.ExpressionAttributeNames ?? {}) as Json);
      // The workflow's bookkeeping: the task token and the outbox mark on the workflow item, the run's name on
      // the incident (never with the visible fields, which every save() sets: its names include the title).
      if (target === 'workflow') return names.includes('taskToken') ? 'incident.bookkeeping.taskToken' : 'incident.bookkeeping.progress';
      if (target === 'incident' && !names.includes('title') && names.includes('executionName')) return 'incident.bookkeeping.executionName';
      return `${target}.update`;
    }
    case 'QueryCommand':
      return `query.${typeof input.IndexName === 'string' ? input.IndexName : targetOf({ pk: (input.ExpressionAttributeValues as Json | undefined)?.[':pk'] })}`;
    case 'TransactWriteItemsCommand': {
      const items = Array.isArray(input.TransactItems) ? (input.TransactItems as Json[]) : [];
      const parts = items.map((t) => {
        const [op, body] = Object.entries(t)[0] ?? ['?', {}];
        const b = body as Json;
        return `${targetOf(b.Item ?? b.Key)}.${op.toLowerCase()}`;
      });
      // The outbox's progress with the stats cells it adds: bookkeeping (the workflow's, not a reader's change).
      if (parts.includes('workflow.update')) return 'incident.bookkeeping.progress+counters';
      return `transact[${[...new Set(parts)].sort().join('+')}]`;
    }
    default:
      return command.replace(/Command$/, '');
  }
}

/** Sums of a delta's DynamoDB work. */
export function dynamoTotals(dynamo: Record<string, CommandTally>): CommandTally {
  const total = emptyTally();
  for (const t of Object.values(dynamo)) for (const k of Object.keys(total) as (keyof CommandTally)[]) total[k] += t[k];
  return total;
}
