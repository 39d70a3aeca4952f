/**
 * The incident workflow: one Step Functions Standard state machine per county, built from the county's
 * ladder. Every stage (each ladder level, then verification) has the same three states:
 *
 *   <stage>: sync   Lambda: decide from the incident record and the clock (escalate, remind, close...)
 *   <stage>: route  Choice on the decision: wait at the stage the record is at, or end
 *   <stage>: await  Lambda .waitForTaskToken: store the token on the incident, then wait until a supervisor
 *                   action answers it (SendTaskSuccess) or the stage's timer runs out (States.Timeout)
 *
 * Both outcomes of an await go back to sync: the record, not the signal, says what happened. That makes a
 * retried task, a lost execution resumed from the record, or a duplicate wake-up harmless.
 *
 * Verification is the last stage and usually ends the run, so its await goes to `verification: close`, the same
 * sync function with `closing`, which ends the execution itself when the incident is closed: no sync, route
 * and Done after the last wait (an incident resolved on the spot takes four transitions in all: grid: sync,
 * grid: route, verification: await, verification: close). When the record says the workflow goes on (reopened,
 * not yet due, continuing as new) the close task fails with `StageGoesOn`, caught into `verification: sync`.
 *
 * Failures surface instead of looping: both tasks retry throttling, Lambda's transient errors and the
 * handlers' own passing failures (`TransientError`: a dependency timed out or was throttled) with backoff
 * and jitter; anything else is caught and ends the execution in `Failed` with the original error and cause.
 * The reconciler counts failed executions per incident and stops restarting one after a few (reconcile.ts).
 *
 * Long-lived incidents: when sync decides `continue` (the execution nears Step Functions' one-year limit, or
 * runs a definition older than the county's ladder), `Continue as new` starts the next execution of this
 * state machine, whose name sync has already recorded on the incident, and this one ends.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { Level } from '#domain/incident.js';
import {
  CONTINUE, CONTINUE_STATE, DONE_STATE, END, FAILED_STATE, STAGE_GOES_ON, TRANSIENT_ERROR, UNKNOWN_STAGE_STATE, stagesOf, stateNames, type Stage,
} from './stages.js';

/** Lambda's own passing failures (Step Functions best practice), throttling and a function that timed out. */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException',
  'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'Lambda.Unknown', 'Sandbox.Timedout',
];

/** Retries of every task: Lambda's passing errors for about two minutes, a dependency's for about twenty. */
function addRetries(task: { addRetry(props: sfn.RetryProps): unknown }): void {
  task.addRetry({
    errors: LAMBDA_TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6,
    maxDelay: Duration.seconds(60), jitterStrategy: sfn.JitterType.FULL,
  });
  task.addRetry({
    errors: [TRANSIENT_ERROR], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 8,
    maxDelay: Duration.minutes(5), jitterStrategy: sfn.JitterType.FULL,
  });
}

export interface IncidentWorkflowProps {
  /** The county's ladder, bottom to top (contract §2). */
  readonly ladder: readonly Level[];
  /** Decides the next step from the incident record (functions/workflow/sync.ts). */
  readonly syncFunction: IFunction;
  /** Stores the task token on the incident (functions/workflow/await.ts). */
  readonly awaitFunction: IFunction;
  /**
   * Log group for execution history (all events, with execution data).
   * @default - a new log group with one year's retention
   */
  readonly logGroup?: logs.ILogGroup;
  /**
   * X-Ray tracing of executions.
   * @default true
   */
  readonly tracingEnabled?: boolean;
  /**
   * Removal policy of the default log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Name of the state machine. Fixed, so that `Continue as new` can be allowed to start executions of its own
   * state machine without the role's policy referring to the state machine (a circular dependency).
   * @default `<stack name>-incidents` (cut to 80 characters)
   */
  readonly stateMachineName?: string;
}

export class IncidentWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: IncidentWorkflowProps) {
    super(scope, id);
    const stages = stagesOf(props.ladder);
    const stateMachineName = props.stateMachineName ?? `${Stack.of(this).stackName}-incidents`.slice(0, 80);
    const done = new sfn.Succeed(this, DONE_STATE);
    const unknown = new sfn.Fail(this, UNKNOWN_STAGE_STATE, {
      error: 'UnknownStage',
      cause: 'The sync task named a stage this county ladder does not have.',
    });
    // The original error and cause, so that DescribeExecution (the reconciler, ops) says what went wrong.
    const failed = new sfn.Fail(this, FAILED_STATE, { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const catchAll = { errors: [sfn.Errors.ALL], resultPath: '$.failure' };

    // Same input as every other start of an incident's execution (report, reconciler): starting a name that is
    // already running then answers that execution instead of failing.
    const continueAsNew = new sfn.CustomState(this, CONTINUE_STATE, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::states:startExecution`,
        Parameters: {
          'StateMachineArn.$': '$$.StateMachine.Id',
          'Name.$': '$.step.executionName',
          Input: { 'incidentId.$': '$.incidentId' },
        },
        ResultPath: null,
      },
    });
    continueAsNew.addRetry({
      errors: ['StepFunctions.ThrottlingException', 'StepFunctions.ExecutionLimitExceededException', 'StepFunctions.SdkClientException', 'StepFunctions.AWSStepFunctionsException'],
      interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 8, maxDelay: Duration.minutes(1), jitterStrategy: sfn.JitterType.FULL,
    });
    continueAsNew.addCatch(failed, catchAll);
    continueAsNew.next(done);

    const sync = new Map<Stage, tasks.LambdaInvoke>();
    for (const stage of stages) {
      const names = stateNames(stage);
      const task = new tasks.LambdaInvoke(this, names.sync, {
        lambdaFunction: props.syncFunction,
        payload: sfn.TaskInput.fromObject({
          incidentId: sfn.JsonPath.stringAt('$.incidentId'),
          stage,
          execution: { name: sfn.JsonPath.stringAt('$$.Execution.Name'), startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime') },
          ladder: props.ladder.join(','),
        }),
        payloadResponseOnly: true,
        resultPath: '$.step',
        retryOnServiceExceptions: false,
      });
      addRetries(task);
      task.addCatch(failed, catchAll);
      sync.set(stage, task);
    }

    // The last stage's wait ends in a task that ends the run when the incident is over.
    const lastStage = stages[stages.length - 1]!;
    const close = new tasks.LambdaInvoke(this, stateNames(lastStage).close, {
      lambdaFunction: props.syncFunction,
      payload: sfn.TaskInput.fromObject({
        incidentId: sfn.JsonPath.stringAt('$.incidentId'),
        stage: lastStage,
        execution: { name: sfn.JsonPath.stringAt('$$.Execution.Name'), startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime') },
        ladder: props.ladder.join(','),
        closing: true,
      }),
      payloadResponseOnly: true,
      resultPath: '$.step',
      retryOnServiceExceptions: false,
    });
    addRetries(close);
    close.addCatch(sync.get(lastStage)!, { errors: [STAGE_GOES_ON], resultPath: '$.goesOn' });
    close.addCatch(failed, catchAll);

    const awaits = new Map<Stage, tasks.LambdaInvoke>();
    for (const stage of stages) {
      const syncState = stage === lastStage ? close : sync.get(stage)!;
      const awaitState = new tasks.LambdaInvoke(this, stateNames(stage).await, {
        lambdaFunction: props.awaitFunction,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject({
          incidentId: sfn.JsonPath.stringAt('$.incidentId'),
          stage,
          taskToken: sfn.JsonPath.taskToken,
          version: sfn.JsonPath.numberAt('$.step.version'),
          waitSeconds: sfn.JsonPath.numberAt('$.step.waitSeconds'),
          executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        }),
        taskTimeout: sfn.Timeout.at('$.step.waitSeconds'),
        resultPath: '$.signal',
        retryOnServiceExceptions: false,
      });
      addRetries(awaitState);
      // The stage timer ran out: sync (close, for the last stage) decides from the record.
      awaitState.addCatch(syncState, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' });
      awaitState.addCatch(failed, catchAll);
      awaitState.next(syncState);
      awaits.set(stage, awaitState);
    }

    // Sync decides for the stage the record is at, so a stage change goes straight to the new stage's
    // await: no second sync and route (two transitions and a Lambda call fewer per change).
    for (const stage of stages) {
      const route = new sfn.Choice(this, stateNames(stage).route);
      for (const target of stages) route.when(sfn.Condition.stringEquals('$.step.next', target), awaits.get(target)!);
      route.when(sfn.Condition.stringEquals('$.step.next', END), done);
      route.when(sfn.Condition.stringEquals('$.step.next', CONTINUE), continueAsNew);
      route.otherwise(unknown);
      sync.get(stage)!.next(route);
    }

    this.logGroup = props.logGroup ?? new logs.LogGroup(this, 'Executions', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(sync.get(stages[0]!)!),
      tracingEnabled: props.tracingEnabled ?? true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      stateMachineName,
      // The Standard maximum; executions continue as new well before it (functions/workflow/sync.ts).
      timeout: Duration.days(365),
      comment: `gridflow incident workflow, ladder ${props.ladder.join(' -> ')}`,
    });
    // Continue as new: start executions of itself, named by ARN pattern (a reference would be circular).
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({
      actions: ['states:StartExecution'],
      resources: [Stack.of(this).formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    }));
  }
}
