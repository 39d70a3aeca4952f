/**
 * Step Functions on this machine: runs the county's rendered state machine (./definition.ts) with
 * aws-local-stepfunctions, every Task state overridden to call the handler in-process, and adds what the
 * library lacks: executions by name, `.waitForTaskToken` with SendTaskSuccess/Failure, AWS's error names,
 * and timers longer than Node's setTimeout allows.
 *
 * Executions live in memory only. After a restart the runtime resumes them from the incident records, so
 * nothing here is persisted.
 */
import '../polyfills.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { now } from '#commons/clock.js';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import {
  functionArnOf, LOCAL_ACCOUNT, LOCAL_PARTITION, LOCAL_REGION, MAX_TIMER_SECONDS, START_TIME_ON_CLOCK, taskKindOf,
  type LocalFunctions, type TaskKind,
} from './definition.js';

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JsonValue = Parameters<LocalHandlers[string]>[0];
type Json = Record<string, unknown>;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** AWS's exception names, so the HTTP endpoint (and through it the SDK) raises the same typed errors. */
export type SfnErrorName =
  | 'ExecutionAlreadyExists' | 'ExecutionDoesNotExist' | 'InvalidArn' | 'InvalidName' | 'InvalidExecutionInput'
  | 'InvalidOutput' | 'InvalidToken' | 'TaskTimedOut' | 'StateMachineDoesNotExist';

export class SfnServiceError extends Error {
  constructor(readonly code: SfnErrorName, message: string) {
    super(message);
    this.name = code;
  }
}

export type ExecutionEvent =
  | { type: 'ExecutionStarted'; executionArn: string; name: string }
  | { type: 'ExecutionSucceeded'; executionArn: string; name: string }
  | { type: 'ExecutionFailed'; executionArn: string; name: string; error: string; cause: string }
  | { type: 'ExecutionAborted'; executionArn: string; name: string }
  | { type: 'ExecutionTimedOut'; executionArn: string; name: string };

/** Structurally a powertools Logger. */
export interface RunnerLogger {
  info(message: string, ...extra: Json[]): void;
  warn(message: string, ...extra: Json[]): void;
  error(message: string, ...extra: Json[]): void;
}

export interface LocalStepFunctionsOptions {
  definition: StateMachineDefinition;
  functions: LocalFunctions;
  /** Calls the handler of a function entry in-process, as Lambda would with this event. */
  invoke: (entry: string, event: unknown) => Promise<unknown>;
  onEvent?: (event: ExecutionEvent) => void;
  /** Name in the state machine and execution ARNs (default gridflow-local). */
  stateMachineName?: string;
  logger?: RunnerLogger;
  /** Finished executions kept for describe and list (default 10 000). */
  historyLimit?: number;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  /** JSON text, as DescribeExecution returns it. */
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}
export type ExecutionSummary = Pick<ExecutionDescription, 'executionArn' | 'stateMachineArn' | 'name' | 'status' | 'startDate' | 'stopDate'>;

export interface WaitingToken { token: string; executionArn: string; stateName: string }

export interface LocalStepFunctionsStats {
  /** StateEntered events, the unit AWS bills a Standard workflow by. */
  stateTransitions: number;
  executionsStarted: number;
  executionsRunning: number;
  waitingTokens: number;
}

interface TaskPlan {
  kind: TaskKind;
  /** Static target: the Resource of a function task, or a literal Parameters.FunctionName. */
  functionArn?: string;
  /** Where the task's timeout comes from, read on the task input after Parameters (as the library does). */
  timeout: { seconds: number } | { path: string[] } | undefined;
}

interface Execution {
  executionArn: string;
  name: string;
  status: ExecutionStatus;
  input: JsonValue;
  output?: JsonValue;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  tokens: Set<string>;
  /** Names of the states entered, in order (GetExecutionHistory's StateEntered events). */
  entered: string[];
  abort: () => void;
  settled: Promise<unknown>;
  cancelTimeout?: () => void;
}

interface Waiter extends WaitingToken {
  resolve: (value: JsonValue) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Settles a waiting task when its execution stops; neither Retry nor Catch may act on it. */
class ExecutionStopped extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor() {
    super('the execution was stopped');
    this.name = 'ExecutionStopped';
  }
}

/** The library's own error for a bad path value, with its retry/catch flags (States.Runtime ends the execution). */
class StatesRuntime extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(message: string) {
    super(message);
    this.name = 'States.Runtime';
  }
}

const SPENT_TOKENS_KEPT = 50_000;
const CAUSE_LOGGED_CHARS = 500;
// AWS: 1-80 characters, no whitespace, brackets, wildcards, punctuation from this list or control characters.
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export class LocalStepFunctions {
  readonly stateMachineArn: string;
  private readonly machine: StateMachine;
  private readonly plans = new Map<string, TaskPlan>();
  private readonly executions = new Map<string, Execution>();
  private readonly waiting = new Map<string, Waiter>();
  /** Tokens whose task has ended, so a late answer is TaskTimedOut (AWS) rather than InvalidToken. */
  private readonly spent = new Map<string, string>();
  private readonly executionTimeoutMs: number | undefined;
  /** Stands for $$.Task.Token while Parameters are evaluated; each task swaps in its own token. */
  private readonly tokenPlaceholder = `local-task-token-${randomUUID()}`;
  private readonly logger: RunnerLogger;
  private readonly historyLimit: number;
  private transitions = 0;
  private started = 0;
  private finished = 0;
  private closed = false;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    const { TimeoutSeconds, ...definition } = options.definition;
    // The library arms setTimeout with the execution timeout; a year overflows it and fires at once.
    this.executionTimeoutMs = TimeoutSeconds ? TimeoutSeconds * 1000 : undefined;
    collectTasks(definition, (name, state) => this.plans.set(name, this.planOf(name, state)));
    this.machine = new StateMachine(definition as StateMachineDefinition);
    const smName = options.stateMachineName ?? 'gridflow-local';
    this.stateMachineArn = `arn:${LOCAL_PARTITION}:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${smName}`;
    this.logger = options.logger ?? new Logger({ serviceName: 'gridflow-local-stepfunctions' });
    this.historyLimit = options.historyLimit ?? 10_000;
  }

  startExecution(name: string, input: unknown): { executionArn: string; startDate: Date } {
    if (this.closed) throw new Error('LocalStepFunctions is shut down');
    if (!EXECUTION_NAME.test(name)) throw new SfnServiceError('InvalidName', `Invalid Name: '${name}'`);
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    let json: JsonValue;
    try { json = toJson(input); } catch (e) {
      throw new SfnServiceError('InvalidExecutionInput', `Invalid execution input: ${(e as Error).message}`);
    }
    // As AWS: the same name and input while it runs answers that execution (StartExecution is idempotent);
    // another input, or a name whose execution has closed (AWS keeps closed names 90 days; here, as long as
    // the history keeps it), is refused.
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(json)) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new SfnServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution: Execution = {
      executionArn, name, status: 'RUNNING', input: json, startDate: now(), tokens: new Set(), entered: [],
      abort: () => undefined, settled: Promise.resolve(),
    };
    const run = this.machine.run(json, {
      overrides: { taskResourceLocalHandlers: this.handlersFor(execution) },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: executionArn, Name: name, [START_TIME_ON_CLOCK]: execution.startDate.toISOString() },
        StateMachine: { Id: this.stateMachineArn, Name: this.stateMachineArn.split(':').pop() },
        Task: { Token: this.tokenPlaceholder },
      },
    });
    execution.abort = run.abort;
    execution.settled = run.result.then(
      (output) => this.finish(execution, 'SUCCEEDED', { output }),
      (error: unknown) => this.finish(execution, 'FAILED', failureOf(error)),
    );
    // Draining the log is required anyway: the library queues every event until someone reads it.
    void (async () => {
      for await (const event of run.eventLogs) {
        if (event.type !== 'StateEntered') continue;
        this.transitions++;
        execution.entered.push(event.state.name);
      }
    })().catch((error: unknown) => this.logger.warn('execution event log failed', { executionArn, error: String(error) }));
    if (this.executionTimeoutMs !== undefined) {
      execution.cancelTimeout = longTimer(this.executionTimeoutMs, () => {
        if (this.finish(execution, 'TIMED_OUT', { error: 'States.Timeout', cause: 'the execution ran longer than its TimeoutSeconds' })) execution.abort();
      });
    }
    this.executions.set(executionArn, execution);
    this.started++;
    this.emit({ type: 'ExecutionStarted', executionArn, name });
    return { executionArn, startDate: execution.startDate };
  }

  sendTaskSuccess(token: string, output: string): void {
    let value: JsonValue;
    try { value = JSON.parse(output) as JsonValue; } catch {
      throw new SfnServiceError('InvalidOutput', 'Invalid output: the output is not valid JSON');
    }
    this.take(token).resolve(value);
  }

  sendTaskFailure(token: string, error?: string, cause?: string): void {
    const failure = new Error(cause ?? '');
    failure.name = error ?? '';
    this.take(token).reject(failure);
  }

  /** Heartbeats are not timed locally (no HeartbeatSeconds); this only checks the token like AWS. */
  sendTaskHeartbeat(token: string): void {
    if (!this.waiting.has(token)) this.refuse(token);
  }

  describeExecution(executionArn: string): ExecutionDescription {
    const e = this.find(executionArn);
    return {
      ...this.summary(e),
      input: JSON.stringify(e.input),
      ...(e.output !== undefined ? { output: JSON.stringify(e.output) } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
    };
  }

  stopExecution(executionArn: string, reason: { error?: string; cause?: string } = {}): { stopDate: Date } {
    const e = this.find(executionArn);
    if (this.finish(e, 'ABORTED', reason)) e.abort();
    return { stopDate: e.stopDate ?? now() };
  }

  listExecutions(filter: { status?: ExecutionStatus } = {}): ExecutionSummary[] {
    return [...this.executions.values()]
      .filter((e) => filter.status === undefined || e.status === filter.status)
      .reverse()
      .map((e) => this.summary(e));
  }

  /**
   * The states an execution entered so far, in order: its billed transitions (AWS: the StateEntered events of
   * GetExecutionHistory). The event log is read as it runs, so the last one may follow the execution's end.
   */
  statesEntered(executionArn: string): string[] {
    return [...this.find(executionArn).entered];
  }

  waitingTokens(): WaitingToken[] {
    return [...this.waiting.values()].map(({ token, executionArn, stateName }) => ({ token, executionArn, stateName }));
  }

  stats(): LocalStepFunctionsStats {
    return {
      stateTransitions: this.transitions,
      executionsStarted: this.started,
      executionsRunning: [...this.executions.values()].filter((e) => e.status === 'RUNNING').length,
      waitingTokens: this.waiting.size,
    };
  }

  /** Aborts every running execution (they are resumed from the records after a restart). */
  async shutdown(): Promise<void> {
    this.closed = true;
    const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    for (const e of running) {
      if (this.finish(e, 'ABORTED', { error: 'Shutdown', cause: 'the local runtime stopped' })) e.abort();
    }
    await Promise.allSettled(running.map((e) => e.settled));
  }

  // -------------------------------------------------------------------------------------------------------
  // Tasks

  private planOf(name: string, state: Json): TaskPlan {
    const resource = String(state.Resource);
    const kind = taskKindOf(resource);
    if (kind === undefined) throw new Error(`Task "${name}": resource ${resource} cannot run locally (render the definition with renderDefinition)`);
    if (kind === 'startExecution') return { kind, timeout: undefined };
    const params = isRecord(state.Parameters) ? state.Parameters : {};
    const target = kind === 'function' ? resource : typeof params.FunctionName === 'string' ? params.FunctionName : undefined;
    const functionArn = target === undefined ? undefined : functionArnOf(target);
    if (functionArn !== undefined && !this.options.functions[functionArn]) {
      throw new Error(`Task "${name}": no local function ${functionArn}`);
    }
    let timeout: TaskPlan['timeout'];
    if (typeof state.TimeoutSeconds === 'number') {
      if (state.TimeoutSeconds > MAX_TIMER_SECONDS) throw new Error(`Task "${name}": TimeoutSeconds ${state.TimeoutSeconds} exceeds a local timer (${MAX_TIMER_SECONDS} s)`);
      timeout = { seconds: state.TimeoutSeconds };
    } else if (typeof state.TimeoutSecondsPath === 'string') {
      const path = simplePath(state.TimeoutSecondsPath);
      if (!path) throw new Error(`Task "${name}": TimeoutSecondsPath ${state.TimeoutSecondsPath} must be a plain $.a.b path locally`);
      timeout = { path };
    }
    if (kind === 'waitForTaskToken' && timeout === undefined) {
      throw new Error(`Task "${name}": a waitForTaskToken task needs a timeout locally (render the definition with renderDefinition)`);
    }
    return { kind, ...(functionArn !== undefined ? { functionArn } : {}), timeout };
  }

  private handlersFor(execution: Execution): LocalHandlers {
    const handlers: LocalHandlers = {};
    for (const [stateName, plan] of this.plans) {
      handlers[stateName] = (input: JsonValue) => {
        // Whatever the library stops waiting for (a timed-out task) must not become an unhandled rejection.
        const result = this.runTask(execution, stateName, plan, input);
        result.catch(() => undefined);
        return result;
      };
    }
    return handlers;
  }

  private runTask(execution: Execution, stateName: string, plan: TaskPlan, input: JsonValue): Promise<JsonValue> {
    if (execution.status !== 'RUNNING') return Promise.reject(new ExecutionStopped());
    try {
      if (plan.kind === 'function') return this.call(plan.functionArn!, input);
      const params = isRecord(input) ? input : {};
      if (plan.kind === 'startExecution') return Promise.resolve(this.startFromTask(params));
      const functionArn = plan.functionArn ?? functionArnOf(String(params.FunctionName));
      if (plan.kind === 'invoke') {
        return this.call(functionArn, params.Payload ?? {}).then((payload) => ({ ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 }));
      }
      return this.waitForToken(execution, stateName, plan, params, functionArn);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * `arn:aws:states:::states:startExecution` (request-response): starts an execution of this state machine and
   * answers as the integration does; failures carry the integration's error names (`StepFunctions.<Name>Exception`).
   */
  private startFromTask(params: Json): JsonValue {
    const fail = (code: string, message: string) => Object.assign(new Error(message), { name: `StepFunctions.${code}Exception` });
    if (params.StateMachineArn !== this.stateMachineArn) throw fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(params.StateMachineArn)}'`);
    const input = typeof params.Input === 'string' ? JSON.parse(params.Input) as unknown : params.Input ?? {};
    try {
      const { executionArn, startDate } = this.startExecution(typeof params.Name === 'string' ? params.Name : randomUUID(), input);
      return { ExecutionArn: executionArn, StartDate: startDate.toISOString() };
    } catch (error) {
      if (error instanceof SfnServiceError) throw fail(error.code, error.message);
      throw error;
    }
  }

  /**
   * `.waitForTaskToken`: a fresh token replaces $$.Task.Token in the Payload, the function gets the Payload,
   * and the task ends when the token is answered, when the function fails, or at the library's timeout
   * (States.Timeout). Runs synchronously up to the invoke: the library reads the timeout right after calling
   * this, from the same input object.
   */
  private waitForToken(execution: Execution, stateName: string, plan: TaskPlan, params: Json, functionArn: string): Promise<JsonValue> {
    const token = randomBytes(48).toString('base64url');
    const payload = replaceText(toJson(params.Payload ?? {}), this.tokenPlaceholder, token);
    const seconds = this.timeoutSeconds(stateName, plan, params);
    return new Promise<JsonValue>((resolve, reject) => {
      const waiter: Waiter = {
        token, executionArn: execution.executionArn, stateName, resolve, reject,
        // Armed before the library's timer of the same length, so the token is spent when States.Timeout fires.
        timer: setTimeout(() => this.retire(token), seconds * 1000),
      };
      waiter.timer.unref();
      this.waiting.set(token, waiter);
      execution.tokens.add(token);
      this.call(functionArn, payload).catch((error: unknown) => {
        // A function that fails before the token is answered fails the task, as with Lambda.
        if (this.retire(token)) reject(asError(error));
        else this.logger.warn('a waitForTaskToken function failed after its task had ended', { executionArn: execution.executionArn, stateName, error: asError(error).name });
      });
    });
  }

  /** The task's timeout in seconds; a wait longer than a Node timer is shortened in the library's input. */
  private timeoutSeconds(stateName: string, plan: TaskPlan, input: Json): number {
    if (plan.timeout === undefined) throw new StatesRuntime(`Task "${stateName}" has no timeout`);
    if ('seconds' in plan.timeout) return plan.timeout.seconds;
    const path = plan.timeout.path;
    const holder = path.slice(0, -1).reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), input);
    const last = path[path.length - 1]!;
    const seconds = isRecord(holder) ? holder[last] : undefined;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) {
      throw new StatesRuntime(`Task "${stateName}": TimeoutSecondsPath $.${path.join('.')} is ${JSON.stringify(seconds)}, not a whole number of seconds >= 1`);
    }
    if (seconds <= MAX_TIMER_SECONDS || !isRecord(holder)) return seconds;
    // The stage times out early and its sync task re-decides from the record, which the workflow allows
    // for any wake-up; the function still received the real value.
    holder[last] = MAX_TIMER_SECONDS;
    this.logger.info('a wait longer than a local timer was shortened; the stage re-syncs then', { stateName, seconds, localSeconds: MAX_TIMER_SECONDS });
    return MAX_TIMER_SECONDS;
  }

  private async call(functionArn: string, event: unknown): Promise<JsonValue> {
    const fn = this.options.functions[functionArn];
    if (!fn) {
      const error = new Error(`Function not found: ${functionArn}`);
      error.name = 'Lambda.ResourceNotFoundException';
      throw error;
    }
    // Through JSON both ways, as Lambda serializes events and results.
    try {
      return toJson(await this.options.invoke(fn.entry, toJson(event)));
    } catch (error) {
      throw asError(error);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Tokens and executions

  /** The waiting task of a token, now spent; AWS's errors for a token that is not waiting. */
  private take(token: string): Waiter {
    return this.retire(token) ?? this.refuse(token);
  }

  private retire(token: string): Waiter | undefined {
    const waiter = this.waiting.get(token);
    if (!waiter) return undefined;
    clearTimeout(waiter.timer);
    this.waiting.delete(token);
    this.executions.get(waiter.executionArn)?.tokens.delete(token);
    this.spent.set(token, waiter.executionArn);
    if (this.spent.size > SPENT_TOKENS_KEPT) this.spent.delete(this.spent.keys().next().value!);
    return waiter;
  }

  private refuse(token: string): never {
    if (this.spent.has(token)) throw new SfnServiceError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    throw new SfnServiceError('InvalidToken', 'Invalid token');
  }

  private find(executionArn: string): Execution {
    if (!executionArn.startsWith('arn:')) throw new SfnServiceError('InvalidArn', `Invalid Arn: '${executionArn}'`);
    const e = this.executions.get(executionArn);
    if (!e) throw new SfnServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return e;
  }

  private summary(e: Execution): ExecutionSummary {
    return {
      executionArn: e.executionArn,
      stateMachineArn: this.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate,
      ...(e.stopDate ? { stopDate: e.stopDate } : {}),
    };
  }

  /** Records the end of a running execution once; false when it had already ended. */
  private finish(e: Execution, status: Exclude<ExecutionStatus, 'RUNNING'>, details: { output?: JsonValue; error?: string; cause?: string }): boolean {
    if (e.status !== 'RUNNING') return false;
    e.status = status;
    e.stopDate = now();
    if (status === 'SUCCEEDED') e.output = details.output ?? null;
    if (details.error !== undefined) e.error = details.error;
    if (details.cause !== undefined) e.cause = details.cause;
    e.cancelTimeout?.();
    // Settling the waiting tasks clears the library's timers, which would otherwise keep the process alive.
    for (const token of [...e.tokens]) this.retire(token)?.reject(new ExecutionStopped());

    const ids = { executionArn: e.executionArn, name: e.name };
    if (status === 'FAILED') {
      this.logger.error('execution failed', { ...ids, error: e.error, cause: e.cause?.slice(0, CAUSE_LOGGED_CHARS) });
      this.emit({ type: 'ExecutionFailed', ...ids, error: e.error ?? '', cause: e.cause ?? '' });
    } else if (status === 'TIMED_OUT') {
      this.logger.warn('execution timed out', ids);
      this.emit({ type: 'ExecutionTimedOut', ...ids });
    } else if (status === 'ABORTED') {
      this.logger.info('execution aborted', { ...ids, error: e.error });
      this.emit({ type: 'ExecutionAborted', ...ids });
    } else {
      this.emit({ type: 'ExecutionSucceeded', ...ids });
    }
    this.finished++;
    this.trimHistory();
    return true;
  }

  private trimHistory(): void {
    for (const [arn, e] of this.executions) {
      if (this.finished <= this.historyLimit) return;
      if (e.status === 'RUNNING') continue;
      this.executions.delete(arn);
      this.finished--;
    }
  }

  private emit(event: ExecutionEvent): void {
    if (!this.options.onEvent) return;
    try { this.options.onEvent(event); } catch (error) {
      this.logger.warn('onEvent listener failed', { event: event.type, error: asError(error).message });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------

function collectTasks(machine: { States?: unknown }, add: (name: string, state: Json) => void): void {
  if (!isRecord(machine.States)) return;
  for (const [name, state] of Object.entries(machine.States)) {
    if (!isRecord(state)) continue;
    if (state.Type === 'Task') add(name, state);
    if (Array.isArray(state.Branches)) for (const b of state.Branches) if (isRecord(b)) collectTasks(b, add);
    for (const key of ['ItemProcessor', 'Iterator']) if (isRecord(state[key])) collectTasks(state[key] as Json, add);
  }
}

/** `$.a.b` or `$.a['b']` -> ['a', 'b']; undefined for anything fancier. */
function simplePath(path: string): string[] | undefined {
  if (!path.startsWith('$') || path.startsWith('$$')) return undefined;
  const segments: string[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_]*)|\['((?:[^'\\]|\\.)*)'\]/y;
  let at = 1;
  while (at < path.length) {
    re.lastIndex = at;
    const m = re.exec(path);
    if (!m) return undefined;
    segments.push(m[1] ?? m[2]!.replace(/\\(.)/g, '$1'));
    at = re.lastIndex;
  }
  return segments.length > 0 ? segments : undefined;
}

function failureOf(error: unknown): { error: string; cause: string } {
  // The library wraps the state's error in an ExecutionError whose cause is the error itself.
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : asError(error);
  return { error: inner.name, cause: inner.message };
}

function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

function replaceText(value: JsonValue, from: string, to: string): JsonValue {
  if (typeof value === 'string') return value.split(from).join(to);
  if (Array.isArray(value)) return value.map((v) => replaceText(v, from, to));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceText(v, from, to)]));
  }
  return value;
}

/** setTimeout beyond ~24.8 days, in chunks; does not keep the process alive. Returns the cancel function. */
function longTimer(ms: number, fire: () => void): () => void {
  const due = Date.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = due - Date.now();
    timer = setTimeout(left <= MAX_TIMER_SECONDS * 1000 ? fire : arm, Math.min(Math.max(left, 0), MAX_TIMER_SECONDS * 1000));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
