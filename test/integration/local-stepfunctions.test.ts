import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  LAMBDA_INVOKE, localFunctionArn, MAX_TIMER_SECONDS, renderDefinition, type CfnTemplate, type RenderedDefinition,
} from '#local/stepfunctions/definition.js';
import {
  LocalStepFunctions, SfnServiceError, type ExecutionEvent, type ExecutionStatus, type RunnerLogger,
} from '#local/stepfunctions/runner.js';
import { IncidentWorkflow } from '#workflows/incident-workflow.js';
import type { AwaitInput, SyncInput, SyncStep } from '#workflows/stages.js';

const SYNC = 'functions/workflow/sync.ts';
const AWAIT = 'functions/workflow/await.ts';

/** The real workflow construct, synthesized as the county stack does, then rendered for this machine. */
function renderWorkflow(): RenderedDefinition {
  const stack = new Stack(new App(), 'LocalStepFunctionsTest');
  const fn = (id: string, entry: string) => {
    const f = new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      timeout: Duration.seconds(10),
    });
    (f.node.defaultChild as lambda.CfnFunction).addMetadata('gridflow:entry', entry);
    return f;
  };
  new IncidentWorkflow(stack, 'Workflow', { ladder: ['grid', 'town', 'city'], syncFunction: fn('Sync', SYNC), awaitFunction: fn('Await', AWAIT) });
  return renderDefinition(Template.fromStack(stack).toJSON() as CfnTemplate);
}

const rendered = renderWorkflow();
/** Records log calls instead of printing them. */
function quiet(): RunnerLogger & { errors: [string, ...Record<string, unknown>[]][] } {
  const errors: [string, ...Record<string, unknown>[]][] = [];
  return { info: () => undefined, warn: () => undefined, error: (...args) => { errors.push(args); }, errors };
}

/** A runner whose sync handler follows a script (one decision per call) and whose await handler records. */
function harness(script: (call: number, input: SyncInput) => SyncStep | Error) {
  const syncCalls: SyncInput[] = [];
  const awaitCalls: AwaitInput[] = [];
  const events: ExecutionEvent[] = [];
  const logger = quiet();
  const sfn = new LocalStepFunctions({
    ...rendered,
    logger,
    onEvent: (e) => events.push(e),
    invoke: async (entry, event) => {
      if (entry === SYNC) {
        syncCalls.push(event as SyncInput);
        const step = script(syncCalls.length, event as SyncInput);
        if (step instanceof Error) throw step;
        return step;
      }
      if (entry === AWAIT) {
        awaitCalls.push(event as AwaitInput);
        return null;
      }
      throw new Error(`unexpected entry ${entry}`);
    },
  });
  runners.push(sfn);
  return { sfn, syncCalls, awaitCalls, events, logger };
}

const runners: LocalStepFunctions[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.shutdown()));
});

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The token of the single waiting task, once there is one. */
const onlyToken = (sfn: LocalStepFunctions) =>
  until(() => sfn.waitingTokens().length === 1 && sfn.waitingTokens()[0]?.token, 'a waiting token');

const statusIs = (sfn: LocalStepFunctions, arn: string, status: ExecutionStatus) =>
  until(() => sfn.describeExecution(arn).status === status, `status ${status}`);

function sfnError(fn: () => unknown): SfnServiceError {
  try { fn(); } catch (e) { if (e instanceof SfnServiceError) return e; throw e; }
  throw new Error('expected an SfnServiceError');
}

const step = (next: SyncStep['next'], waitSeconds = 1, version = 1): SyncStep => ({ next, waitSeconds, version });

describe('LocalStepFunctions on the synthesized incident workflow', () => {
  it('(a) a waiting stage wakes up on SendTaskSuccess and goes back to sync', async () => {
    const { sfn, syncCalls, awaitCalls } = harness((call) => (call === 1 ? step('grid', 600, 1) : step('end', 1, 2)));
    const { executionArn, startDate } = sfn.startExecution('inc-a-1', { incidentId: 'inc-a' });

    const [waiting] = await until(() => sfn.waitingTokens().length === 1 && sfn.waitingTokens(), 'a waiting token');
    expect(waiting).toEqual({ token: expect.any(String), executionArn, stateName: 'grid: await' });
    await until(() => awaitCalls.length === 1, 'the await handler');
    // The handler gets the Payload as Lambda would, with the token in place of $$.Task.Token.
    expect(awaitCalls[0]).toEqual({ incidentId: 'inc-a', stage: 'grid', taskToken: waiting!.token, version: 1, waitSeconds: 600, executionName: 'inc-a-1' });

    sfn.sendTaskSuccess(waiting!.token, JSON.stringify({ woken: 'acknowledged' }));
    await statusIs(sfn, executionArn, 'SUCCEEDED');
    // The execution it runs in ($$.Execution.StartTime on the product clock) and the ladder it was built for.
    const syncInput = { incidentId: 'inc-a', stage: 'grid', execution: { name: 'inc-a-1', startedAt: startDate.toISOString() }, ladder: 'grid,town,city' };
    expect(syncCalls).toEqual([syncInput, syncInput]);
    const output = JSON.parse(sfn.describeExecution(executionArn).output!);
    expect(output).toEqual({ incidentId: 'inc-a', step: step('end', 1, 2), signal: { woken: 'acknowledged' } });
    expect(sfn.waitingTokens()).toEqual([]);
  });

  it('(b) a stage whose timer runs out leaves by the States.Timeout catch back to its sync', async () => {
    const { sfn, syncCalls } = harness((call) => [step('town'), step('town', 1), step('end')][call - 1]!);
    const started = Date.now();
    const { executionArn } = sfn.startExecution('inc-b-1', { incidentId: 'inc-b' });
    const [waiting] = await until(() => sfn.waitingTokens().length === 1 && sfn.waitingTokens(), 'a waiting token');
    expect(waiting!.stateName).toBe('town: await');

    await statusIs(sfn, executionArn, 'SUCCEEDED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(syncCalls.map((c) => c.stage)).toEqual(['grid', 'town', 'town']);
    const output = JSON.parse(sfn.describeExecution(executionArn).output!);
    expect(output.timeout).toEqual({ Error: 'States.Timeout', Cause: expect.any(String) });
    expect(output.signal).toBeUndefined();
    // The task is over: answering its token now is what AWS calls TaskTimedOut.
    expect(sfnError(() => sfn.sendTaskSuccess(waiting!.token, '{}')).name).toBe('TaskTimedOut');
  });

  it('(c) next: end finishes the execution SUCCEEDED, with its history and transitions', async () => {
    const { sfn, events } = harness(() => step('end'));
    const { executionArn, startDate } = sfn.startExecution('inc-c-1', { incidentId: 'inc-c' });
    await statusIs(sfn, executionArn, 'SUCCEEDED');

    const d = sfn.describeExecution(executionArn);
    expect(d).toMatchObject({ name: 'inc-c-1', status: 'SUCCEEDED', input: '{"incidentId":"inc-c"}', stateMachineArn: sfn.stateMachineArn });
    expect(d.startDate).toEqual(startDate);
    expect(d.stopDate!.getTime()).toBeGreaterThanOrEqual(startDate.getTime());
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'ExecutionSucceeded']);
    // grid: sync, grid: route, Done.
    await until(() => sfn.stats().stateTransitions === 3, 'three transitions');
    expect(sfn.stats()).toEqual({ stateTransitions: 3, executionsStarted: 1, executionsRunning: 0, waitingTokens: 0 });
    expect(sfn.listExecutions({ status: 'SUCCEEDED' }).map((e) => e.executionArn)).toEqual([executionArn]);
    expect(sfn.listExecutions({ status: 'RUNNING' })).toEqual([]);
  });

  it('an incident resolved on the spot takes four transitions: grid: sync and route, verification: await and close', async () => {
    const goesOn = () => Object.assign(new Error('the workflow goes on: grid'), { name: 'StageGoesOn' });
    // First run: the closing task finds the incident closed. Second: reopened, so the stage's sync takes over.
    const { sfn, syncCalls } = harness((call) => [step('verification', 1, 2), step('end', 1, 3), step('verification', 1, 2), goesOn(), step('end', 1, 4)][call - 1]!);
    const { executionArn } = sfn.startExecution('inc-spot-1', { incidentId: 'inc-spot' });
    await statusIs(sfn, executionArn, 'SUCCEEDED');
    const onSpot = ['grid: sync', 'grid: route', 'verification: await', 'verification: close'];
    expect(await until(() => sfn.statesEntered(executionArn).length === 4 && sfn.statesEntered(executionArn), 'four states')).toEqual(onSpot);
    expect(syncCalls.map((c) => [c.stage, c.closing ?? false])).toEqual([['grid', false], ['verification', true]]);
    expect(JSON.parse(sfn.describeExecution(executionArn).output!).step).toEqual(step('end', 1, 3));

    const reopened = sfn.startExecution('inc-spot-2', { incidentId: 'inc-spot' }).executionArn;
    await statusIs(sfn, reopened, 'SUCCEEDED');
    const entered = await until(() => sfn.statesEntered(reopened).at(-1) === 'Done' && sfn.statesEntered(reopened), 'Done');
    expect(entered).toEqual([...onSpot, 'verification: sync', 'verification: route', 'Done']);
    expect(JSON.parse(sfn.describeExecution(reopened).output!).goesOn).toMatchObject({ Error: 'StageGoesOn' });
  });

  it('(d) a token is answered once: a second answer is TaskTimedOut, a made-up one InvalidToken', async () => {
    const { sfn } = harness((call) => (call === 1 ? step('grid', 600) : step('end')));
    const { executionArn } = sfn.startExecution('inc-d-1', { incidentId: 'inc-d' });
    const token = await onlyToken(sfn);

    expect(() => sfn.sendTaskHeartbeat(token)).not.toThrow();
    expect(sfnError(() => sfn.sendTaskSuccess(token, 'not json')).name).toBe('InvalidOutput');
    sfn.sendTaskSuccess(token, '{"woken":"first"}');
    expect(sfnError(() => sfn.sendTaskSuccess(token, '{"woken":"second"}')).name).toBe('TaskTimedOut');
    expect(sfnError(() => sfn.sendTaskFailure(token, 'Late', 'too late')).name).toBe('TaskTimedOut');
    expect(sfnError(() => sfn.sendTaskHeartbeat(token)).name).toBe('TaskTimedOut');
    expect(sfnError(() => sfn.sendTaskSuccess('made-up', '{}')).name).toBe('InvalidToken');

    await statusIs(sfn, executionArn, 'SUCCEEDED');
    expect(JSON.parse(sfn.describeExecution(executionArn).output!).signal).toEqual({ woken: 'first' });
  });

  it('answers the running execution for the same name and input, refuses another input, aborts on stop and keeps the closed name', async () => {
    const { sfn, events } = harness(() => step('grid', 600));
    const { executionArn, startDate } = sfn.startExecution('inc-e-1', { incidentId: 'inc-e' });
    const token = await onlyToken(sfn);

    // AWS: StartExecution is idempotent for the same name and input while the execution runs.
    expect(sfn.startExecution('inc-e-1', { incidentId: 'inc-e' })).toEqual({ executionArn, startDate });
    expect(sfn.stats().executionsRunning).toBe(1);
    expect(sfnError(() => sfn.startExecution('inc-e-1', { incidentId: 'other' })).name).toBe('ExecutionAlreadyExists');
    expect(sfnError(() => sfn.startExecution('bad name', {})).name).toBe('InvalidName');

    const { stopDate } = sfn.stopExecution(executionArn, { error: 'Replaced' });
    expect(sfn.describeExecution(executionArn)).toMatchObject({ status: 'ABORTED', stopDate, error: 'Replaced' });
    expect(sfn.waitingTokens()).toEqual([]);
    expect(sfnError(() => sfn.sendTaskSuccess(token, '{}')).name).toBe('TaskTimedOut');
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'ExecutionAborted']);

    // AWS: a closed execution's name is refused (for 90 days), whatever the input.
    expect(sfnError(() => sfn.startExecution('inc-e-1', { incidentId: 'inc-e' })).name).toBe('ExecutionAlreadyExists');
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'ExecutionAborted']);
    expect(sfnError(() => sfn.describeExecution(`${executionArn}-nope`)).name).toBe('ExecutionDoesNotExist');
  });

  it('SendTaskFailure fails the stage with that error; the execution fails and is logged and reported', async () => {
    const { sfn, events, logger } = harness(() => step('grid', 600));
    const { executionArn } = sfn.startExecution('inc-f-1', { incidentId: 'inc-f' });
    const token = await onlyToken(sfn);

    sfn.sendTaskFailure(token, 'SupervisorGaveUp', 'no reason');
    await statusIs(sfn, executionArn, 'FAILED');
    expect(sfn.describeExecution(executionArn)).toMatchObject({ error: 'SupervisorGaveUp', cause: 'no reason' });
    expect(events.at(-1)).toEqual({ type: 'ExecutionFailed', executionArn, name: 'inc-f-1', error: 'SupervisorGaveUp', cause: 'no reason' });
    expect(logger.errors).toEqual([['execution failed', expect.objectContaining({ executionArn, error: 'SupervisorGaveUp' })]]);
    // The log line names the execution, never its input.
    expect(JSON.stringify(logger.errors)).not.toContain('"inc-f"');
  });

  it('fails the execution on an unknown stage and on a handler error', async () => {
    const unknown = harness(() => ({ next: 'nowhere', waitSeconds: 1, version: 1 }) as unknown as SyncStep);
    const a = unknown.sfn.startExecution('inc-g-1', { incidentId: 'inc-g' }).executionArn;
    await statusIs(unknown.sfn, a, 'FAILED');
    expect(unknown.sfn.describeExecution(a).error).toBe('UnknownStage');

    const broken = harness(() => Object.assign(new Error('table missing'), { name: 'ResourceNotFoundException' }));
    const b = broken.sfn.startExecution('inc-g-2', { incidentId: 'inc-g' }).executionArn;
    await statusIs(broken.sfn, b, 'FAILED');
    expect(broken.sfn.describeExecution(b)).toMatchObject({ error: 'ResourceNotFoundException', cause: 'table missing' });
  });

  it('waits longer than a Node timer allows without firing at once, and the handler sees the real wait', async () => {
    const days40 = 40 * 86_400;
    expect(days40).toBeGreaterThan(MAX_TIMER_SECONDS);
    const { sfn, awaitCalls } = harness(() => step('city', days40));
    const { executionArn } = sfn.startExecution('inc-h-1', { incidentId: 'inc-h' });
    await until(() => awaitCalls.length === 1, 'the await handler');
    await new Promise((r) => setTimeout(r, 300));
    expect(sfn.describeExecution(executionArn).status).toBe('RUNNING');
    expect(sfn.waitingTokens()).toHaveLength(1);
    expect(awaitCalls[0]!.waitSeconds).toBe(days40);
  });

  it('shutdown aborts every running execution', async () => {
    const { sfn } = harness(() => step('grid', 600));
    const arns = ['inc-s-1', 'inc-s-2'].map((n) => sfn.startExecution(n, { incidentId: n }).executionArn);
    await until(() => sfn.waitingTokens().length === 2, 'two waiting tokens');
    await sfn.shutdown();
    expect(arns.map((arn) => sfn.describeExecution(arn).status)).toEqual(['ABORTED', 'ABORTED']);
    expect(sfn.stats()).toMatchObject({ executionsRunning: 0, waitingTokens: 0, executionsStarted: 2 });
    expect(() => sfn.startExecution('inc-s-3', {})).toThrow(/shut down/);
  });
});

describe('LocalStepFunctions with a lambda:invoke request-response task', () => {
  it('wraps the function result as Lambda Invoke does', async () => {
    const arn = localFunctionArn('Echo');
    const sfn = new LocalStepFunctions({
      definition: {
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task', Resource: LAMBDA_INVOKE, TimeoutSeconds: 5, ResultPath: '$.r', End: true,
            Parameters: { FunctionName: arn, Payload: { 'x.$': '$.x' } },
          },
        },
      },
      functions: { [arn]: { logicalId: 'Echo', entry: 'functions/echo.ts', timeoutSeconds: 5 } },
      invoke: async (entry, event) => ({ entry, event }),
      logger: quiet(),
    });
    runners.push(sfn);
    const { executionArn } = sfn.startExecution('echo', { x: 7 });
    await statusIs(sfn, executionArn, 'SUCCEEDED');
    expect(JSON.parse(sfn.describeExecution(executionArn).output!).r).toEqual({
      ExecutedVersion: '$LATEST', StatusCode: 200, Payload: { entry: 'functions/echo.ts', event: { x: 7 } },
    });
  });
});

describe('LocalStepFunctions never leaves an unhandled rejection behind', () => {
  // Jest's sandbox hides unhandled rejections from the test, so a child Node with --unhandled-rejections=strict
  // runs the risky paths: a timed-out token, a failing await function, a stopped execution, an invalid timeout.
  const script = `
    const { LocalStepFunctions } = await import('./local/stepfunctions/runner.ts');
    const { localFunctionArn, LAMBDA_INVOKE_WAIT } = await import('./local/stepfunctions/definition.ts');
    const fn = localFunctionArn('Await');
    const wait = (next) => ({ Type: 'Task', Resource: LAMBDA_INVOKE_WAIT, TimeoutSecondsPath: '$.Payload.waitSeconds',
      Parameters: { FunctionName: fn, Payload: { 'taskToken.$': '$$.Task.Token', 'waitSeconds.$': '$.waitSeconds', 'mode.$': '$.mode' } }, ...next });
    const sfn = new LocalStepFunctions({
      definition: { StartAt: 'Wait', States: { Wait: wait({ End: true }) } },
      functions: { [fn]: { logicalId: 'Await', entry: 'await', timeoutSeconds: 5 } },
      invoke: async (_e, ev) => { if (ev.mode === 'fail') throw new Error('await failed'); return null; },
      logger: { info() {}, warn() {}, error() {} },
    });
    const start = (name, waitSeconds, mode) => sfn.startExecution(name, { waitSeconds, mode }).executionArn;
    const arns = [start('timeout', 1, 'ok'), start('fails', 60, 'fail'), start('stopped', 60, 'ok'), start('invalid', 0.5, 'ok'), start('answered', 60, 'ok')];
    // Events, not sleeps: act once 'answered' waits, shut down once every execution has ended on its own.
    const until = async (probe) => { for (let n = 0; !probe(); n++) { if (n > 2000) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 10)); } };
    await until(() => sfn.waitingTokens().some((t) => t.executionArn === arns[4]));
    sfn.stopExecution(arns[2]);
    const answered = sfn.waitingTokens().find((t) => t.executionArn === arns[4]);
    sfn.sendTaskFailure(answered.token, 'Nope', 'refused');
    await until(() => arns.every((a) => sfn.describeExecution(a).status !== 'RUNNING'));
    await sfn.shutdown();
    await new Promise((r) => setTimeout(r, 50));
    console.log(JSON.stringify(arns.map((a) => sfn.describeExecution(a)).map((d) => [d.status, d.error ?? null])));
  `;

  it('runs timeouts, failures, stops and bad inputs in a strict child process', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--unhandled-rejections=strict', '--no-warnings', '--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: root, timeout: 100_000 }, (error, stdout, stderr) => resolve({ code: error ? (error.code as number) ?? 1 : 0, stdout, stderr }));
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual([
      ['FAILED', 'States.Timeout'],
      ['FAILED', 'Error'],
      ['ABORTED', null],
      ['FAILED', 'States.Runtime'],
      ['FAILED', 'Nope'],
    ]);
  }, 120_000);
});
