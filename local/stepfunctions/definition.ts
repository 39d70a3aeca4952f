/**
 * Turns the state machine CDK synthesizes for a county stack into a definition aws-local-stepfunctions runs
 * on this machine, plus the map from each Lambda function's local ARN to its source entry.
 *
 * Every change is mechanical and listed here, so the local run stays the synthesized workflow:
 *  1. CloudFormation intrinsics in DefinitionString are resolved: partition `aws`, region `local`, account
 *     `000000000000`, a function's `Fn::GetAtt [id, Arn]` -> `arn:aws:lambda:local:000000000000:function:<id>`.
 *  2. TimeoutSecondsPath: the library evaluates it against the task's input AFTER Parameters, AWS against the
 *     raw state input. It is re-pointed at the Parameters key that copies the same path: in `Payload` for
 *     lambda:invoke integrations (`$.step.waitSeconds` -> `$.Payload.waitSeconds`), else at the top level.
 *  3. A Lambda task without a timeout gets TimeoutSeconds = the function's Timeout (else 60): the library
 *     would apply its own 60 s default where AWS waits for the function.
 *  4. `$$.Execution.StartTime` is read from `$$.Execution.StartTimeOnClock`: the library stamps StartTime with
 *     the machine's clock, and the local county may run on another (`npm start -- --clock`); the runner puts
 *     the execution's start on the product clock there (in the cloud both are the real clock).
 * Besides Lambda tasks, `arn:aws:states:::states:startExecution` (request-response) runs locally: it starts an
 * execution of the local state machine (the workflow's continue-as-new).
 * Everything the runner cannot honour (JSONata, heartbeats, other service integrations, timeouts beyond a
 * Node timer) throws here, at start-up, instead of behaving differently at run time.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';

export type { StateMachineDefinition };

export const LOCAL_PARTITION = 'aws';
export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT = '000000000000';
/** Lambda's default when the template sets no Timeout would be 3 s; locally a first call also compiles. */
export const DEFAULT_FUNCTION_TIMEOUT_SECONDS = 60;
/** setTimeout holds at most 2^31-1 ms (~24.8 days); a longer delay fires after 1 ms instead. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export const LAMBDA_INVOKE = `arn:${LOCAL_PARTITION}:states:::lambda:invoke`;
export const LAMBDA_INVOKE_WAIT = `${LAMBDA_INVOKE}.waitForTaskToken`;
export const START_EXECUTION = `arn:${LOCAL_PARTITION}:states:::states:startExecution`;
/** Where patch 4 points `$$.Execution.StartTime`. */
export const START_TIME_ON_CLOCK = 'StartTimeOnClock';

export const localFunctionArn = (logicalId: string): string =>
  `arn:${LOCAL_PARTITION}:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;

export interface LocalFunction { logicalId: string; entry: string; timeoutSeconds: number }
/** Keyed by local function ARN. */
export type LocalFunctions = Record<string, LocalFunction>;

export interface RenderedDefinition { definition: StateMachineDefinition; functions: LocalFunctions }

export interface CfnResource { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
export interface CfnTemplate { Resources?: Record<string, CfnResource> }

export interface RenderOptions {
  /** Needed only when the template holds more than one state machine. */
  stateMachineLogicalId?: string;
}

/** The CloudFormation Metadata key naming a function's source file (set by the county stack). */
export const ENTRY_METADATA = 'gridflow:entry';

export function renderDefinition(template: CfnTemplate, options: RenderOptions = {}): RenderedDefinition {
  const resources = template.Resources ?? {};
  const functions = functionsOf(resources);
  const [logicalId, machine] = stateMachineOf(resources, options.stateMachineLogicalId);
  const props = machine.Properties ?? {};
  if (props.Definition !== undefined || props.DefinitionS3Location !== undefined) {
    throw new Error(`state machine ${logicalId}: only DefinitionString is supported locally (found Definition or DefinitionS3Location)`);
  }
  if (props.DefinitionString === undefined) throw new Error(`state machine ${logicalId} has no DefinitionString`);
  const where = `${logicalId}.DefinitionString`;
  let text = resolveString(props.DefinitionString, resources, where);
  const substitutions = props.DefinitionSubstitutions;
  if (substitutions !== undefined) {
    if (!isRecord(substitutions)) throw new Error(`${logicalId}.DefinitionSubstitutions must be an object`);
    for (const [key, value] of Object.entries(substitutions)) {
      text = text.split(`\${${key}}`).join(resolveString(value, resources, `${logicalId}.DefinitionSubstitutions.${key}`));
    }
  }
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch (e) {
    throw new Error(`${where} is not JSON once resolved: ${(e as Error).message}`);
  }
  if (!isRecord(parsed)) throw new Error(`${where} is not a JSON object`);
  return { definition: patchMachine(parsed, functions, '') as unknown as StateMachineDefinition, functions };
}

// ---------------------------------------------------------------------------------------------------------
// Template: functions and the state machine

function functionsOf(resources: Record<string, CfnResource>): LocalFunctions {
  const functions: LocalFunctions = {};
  for (const [logicalId, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const entry = r.Metadata?.[ENTRY_METADATA];
    // CDK's own helper functions (custom resource providers) carry no entry; a task naming one fails below.
    if (entry === undefined) continue;
    if (typeof entry !== 'string' || entry === '') throw new Error(`function ${logicalId}: Metadata "${ENTRY_METADATA}" must be a path such as functions/workflow/sync.ts`);
    const timeout = r.Properties?.Timeout;
    functions[localFunctionArn(logicalId)] = {
      logicalId,
      entry,
      timeoutSeconds: typeof timeout === 'number' && timeout > 0 ? timeout : DEFAULT_FUNCTION_TIMEOUT_SECONDS,
    };
  }
  return functions;
}

function stateMachineOf(resources: Record<string, CfnResource>, wanted: string | undefined): [string, CfnResource] {
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (wanted !== undefined) {
    const found = machines.find(([id]) => id === wanted);
    if (!found) throw new Error(`the template has no state machine ${wanted} (it has: ${machines.map(([id]) => id).join(', ') || 'none'})`);
    return found;
  }
  if (machines.length !== 1) {
    throw new Error(`the template must hold exactly one state machine, or name one with stateMachineLogicalId (found ${machines.length}: ${machines.map(([id]) => id).join(', ')})`);
  }
  return machines[0]!;
}

// ---------------------------------------------------------------------------------------------------------
// Intrinsics

const PSEUDO: Record<string, string> = {
  'AWS::Partition': LOCAL_PARTITION,
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

function resolveString(value: unknown, resources: Record<string, CfnResource>, where: string): string {
  if (typeof value === 'string') return value;
  if (!isRecord(value)) throw new Error(`${where}: expected a string or an intrinsic function, got ${JSON.stringify(value)}`);
  const keys = Object.keys(value);
  const fn = keys[0];
  if (keys.length !== 1 || fn === undefined) throw new Error(`${where}: ${JSON.stringify(value)} is not an intrinsic function`);
  const arg = value[fn];
  switch (fn) {
    case 'Fn::Join': {
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string' || !Array.isArray(arg[1])) {
        throw new Error(`${where}: Fn::Join takes [separator, [values]]`);
      }
      const separator = arg[0];
      return (arg[1] as unknown[]).map((part, i) => resolveString(part, resources, `${where}/Fn::Join[${i}]`)).join(separator);
    }
    case 'Ref': {
      if (typeof arg !== 'string') throw new Error(`${where}: Ref takes a name`);
      const pseudo = PSEUDO[arg];
      if (pseudo !== undefined) return pseudo;
      // A function's Ref is its name; locally the name is the logical id (see localFunctionArn).
      if (resources[arg]?.Type === 'AWS::Lambda::Function') return arg;
      throw new Error(`${where}: unsupported Ref ${JSON.stringify(arg)} (only AWS::Partition, AWS::Region, AWS::AccountId, AWS::URLSuffix and Lambda functions resolve locally)`);
    }
    case 'Fn::GetAtt': {
      const [id, attribute] = typeof arg === 'string' ? splitOnce(arg, '.') : Array.isArray(arg) ? arg : [];
      if (typeof id !== 'string' || typeof attribute !== 'string') throw new Error(`${where}: Fn::GetAtt takes [logicalId, attribute]`);
      const target = resources[id];
      if (target?.Type === 'AWS::Lambda::Function' && attribute === 'Arn') return localFunctionArn(id);
      throw new Error(`${where}: unsupported Fn::GetAtt ${id}.${attribute} (${target ? target.Type : 'no such resource'}); only a Lambda function's Arn resolves locally`);
    }
    default:
      throw new Error(`${where}: unsupported intrinsic function ${fn} in the state machine definition`);
  }
}

const splitOnce = (s: string, sep: string): string[] => {
  const i = s.indexOf(sep);
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
};

// ---------------------------------------------------------------------------------------------------------
// Definition patches

type Json = Record<string, unknown>;

/** Fields whose behaviour the local runner does not reproduce: refusing them beats silently ignoring them. */
const UNSUPPORTED_TASK_FIELDS = ['HeartbeatSeconds', 'HeartbeatSecondsPath', 'Credentials', 'Arguments', 'Output', 'Assign'];

function patchMachine(machine: Json, functions: LocalFunctions, scope: string): Json {
  if (machine.QueryLanguage !== undefined && machine.QueryLanguage !== 'JSONPath') {
    throw new Error(`${scope || 'state machine'}: QueryLanguage ${String(machine.QueryLanguage)} is not supported locally (JSONPath only)`);
  }
  if (typeof machine.TimeoutSeconds === 'number' && !Number.isInteger(machine.TimeoutSeconds)) {
    throw new Error(`${scope || 'state machine'}: TimeoutSeconds must be a whole number`);
  }
  const states = machine.States;
  if (!isRecord(states)) throw new Error(`${scope || 'state machine'}: States is missing`);
  const patched: Json = {};
  for (const [name, state] of Object.entries(states)) {
    if (!isRecord(state)) throw new Error(`state "${name}" is not an object`);
    patched[name] = patchState(name, state, functions);
  }
  return { ...machine, States: patched };
}

function patchState(name: string, state: Json, functions: LocalFunctions): Json {
  if (state.QueryLanguage !== undefined && state.QueryLanguage !== 'JSONPath') {
    throw new Error(`state "${name}": QueryLanguage ${String(state.QueryLanguage)} is not supported locally (JSONPath only)`);
  }
  switch (state.Type) {
    case 'Task': return patchTask(name, state, functions);
    case 'Parallel': {
      if (!Array.isArray(state.Branches)) throw new Error(`state "${name}": Branches is missing`);
      return { ...state, Branches: state.Branches.map((b: unknown, i) => patchMachine(asRecord(b, `state "${name}" branch ${i}`), functions, `state "${name}" branch ${i}`)) };
    }
    case 'Map': {
      if (state.ItemReader !== undefined || state.ResultWriter !== undefined) throw new Error(`state "${name}": distributed Map (ItemReader/ResultWriter) is not supported locally`);
      const key = state.ItemProcessor !== undefined ? 'ItemProcessor' : 'Iterator';
      const inner = asRecord(state[key], `state "${name}" ${key}`);
      return { ...state, [key]: patchMachine(inner, functions, `state "${name}" ${key}`) };
    }
    default:
      return state;
  }
}

function patchTask(name: string, state: Json, functions: LocalFunctions): Json {
  for (const field of UNSUPPORTED_TASK_FIELDS) {
    if (state[field] !== undefined) throw new Error(`Task "${name}": ${field} is not supported locally`);
  }
  const resource = state.Resource;
  if (typeof resource !== 'string') throw new Error(`Task "${name}": Resource must be a string`);
  const kind = taskKindOf(resource);
  if (kind === undefined) {
    throw new Error(`Task "${name}": resource ${resource} is not supported locally (a Lambda function ARN, ${LAMBDA_INVOKE} or ${LAMBDA_INVOKE_WAIT})`);
  }
  const out: Json = { ...state };
  if (isRecord(state.Parameters)) out.Parameters = startTimeOnClock(state.Parameters);
  if (kind === 'startExecution') {
    const params = isRecord(state.Parameters) ? state.Parameters : {};
    if (params.StateMachineArn === undefined && params['StateMachineArn.$'] === undefined) throw new Error(`Task "${name}": Parameters.StateMachineArn is missing`);
    return out;
  }
  let functionArn: string | undefined;
  if (kind === 'function') {
    functionArn = functionArnOf(resource);
    if (!functions[functionArn]) throw new Error(`Task "${name}": ${resource} is not a function of this template with Metadata "${ENTRY_METADATA}"`);
  } else {
    const params = isRecord(state.Parameters) ? state.Parameters : {};
    const fn = params.FunctionName;
    if (typeof fn === 'string') {
      functionArn = functionArnOf(fn);
      if (!functions[functionArn]) throw new Error(`Task "${name}": FunctionName ${fn} is not a function of this template with Metadata "${ENTRY_METADATA}"`);
    } else if (typeof params['FunctionName.$'] !== 'string') {
      throw new Error(`Task "${name}": Parameters.FunctionName is missing`);
    }
    if (!('Payload' in params) && !('Payload.$' in params) && kind === 'waitForTaskToken') {
      throw new Error(`Task "${name}": a waitForTaskToken task needs Parameters.Payload carrying $$.Task.Token`);
    }
  }

  if (typeof state.TimeoutSecondsPath === 'string') {
    out.TimeoutSecondsPath = timeoutPathAfterParameters(name, state.TimeoutSecondsPath, state.Parameters);
  } else if (typeof state.TimeoutSeconds === 'number') {
    if (state.TimeoutSeconds > MAX_TIMER_SECONDS) throw new Error(`Task "${name}": TimeoutSeconds ${state.TimeoutSeconds} is longer than a local timer can wait (${MAX_TIMER_SECONDS} s)`);
  } else if (kind === 'waitForTaskToken') {
    // AWS would wait up to the execution's year; the library would give up after 60 s. Neither is a design.
    throw new Error(`Task "${name}": a waitForTaskToken task needs TimeoutSeconds or TimeoutSecondsPath to run locally`);
  } else {
    out.TimeoutSeconds = (functionArn && functions[functionArn]?.timeoutSeconds) || DEFAULT_FUNCTION_TIMEOUT_SECONDS;
  }
  return out;
}

/**
 * `$.step.waitSeconds` -> `$.Payload.waitSeconds` when Parameters.Payload holds `"waitSeconds.$": "$.step.waitSeconds"`
 * (or `$.waitSeconds` when the key is at the top of Parameters). Context paths (`$$.`) read the same object
 * either way and are kept.
 */
function timeoutPathAfterParameters(name: string, path: string, parameters: unknown): string {
  if (path.startsWith('$$')) return path;
  const copies = (template: unknown): string | undefined => {
    if (!isRecord(template)) return undefined;
    const entry = Object.entries(template).find(([k, v]) => k.endsWith('.$') && v === path);
    return entry?.[0].slice(0, -2);
  };
  if (parameters === undefined) return path; // no Parameters: the task's input is the raw state input
  const params = isRecord(parameters) ? parameters : {};
  const inPayload = copies(params.Payload);
  if (inPayload !== undefined) return `$.Payload${pathSegment(inPayload)}`;
  const atTop = copies(params);
  if (atTop !== undefined) return `$${pathSegment(atTop)}`;
  throw new Error(`Task "${name}": TimeoutSecondsPath ${path} must also be copied into Parameters.Payload (e.g. "waitSeconds.$": "${path}"), because locally the timeout is read after Parameters`);
}

const pathSegment = (key: string): string => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `['${key.replace(/'/g, "\\'")}']`);

// ---------------------------------------------------------------------------------------------------------
// Shared with the runner

export type TaskKind = 'function' | 'invoke' | 'waitForTaskToken' | 'startExecution';

/** Patch 4: every `"<key>.$": "$$.Execution.StartTime"` of a Parameters template, at any depth. */
function startTimeOnClock(template: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(template)) {
    out[key] = key.endsWith('.$') && value === '$$.Execution.StartTime' ? `$$.Execution.${START_TIME_ON_CLOCK}`
      : isRecord(value) ? startTimeOnClock(value) : value;
  }
  return out;
}

/** How a Task's Resource runs locally; undefined when it cannot. */
export function taskKindOf(resource: string): TaskKind | undefined {
  if (resource === LAMBDA_INVOKE) return 'invoke';
  if (resource === LAMBDA_INVOKE_WAIT) return 'waitForTaskToken';
  if (resource === START_EXECUTION) return 'startExecution';
  if (/^arn:[^:]+:lambda:[^:]*:\d*:function:[^:]+(:[^:]+)?$/.test(resource)) return 'function';
  return undefined;
}

/** A FunctionName (name, ARN, or qualified ARN) -> the local ARN it names. */
export function functionArnOf(nameOrArn: string): string {
  if (!nameOrArn.startsWith('arn:')) return localFunctionArn(splitOnce(nameOrArn, ':')[0]!);
  return nameOrArn.split(':').slice(0, 7).join(':');
}

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function asRecord(v: unknown, what: string): Json {
  if (!isRecord(v)) throw new Error(`${what} is not an object`);
  return v;
}
