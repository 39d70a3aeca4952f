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
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { Level } from '#domain/incident.js';
import { DONE_STATE, END, UNKNOWN_STAGE_STATE, stagesOf, stateNames, type Stage } from './stages.js';

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
}

export class IncidentWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: IncidentWorkflowProps) {
    super(scope, id);
    const stages = stagesOf(props.ladder);
    const done = new sfn.Succeed(this, DONE_STATE);
    const unknown = new sfn.Fail(this, UNKNOWN_STAGE_STATE, {
      error: 'UnknownStage',
      cause: 'The sync task named a stage this county ladder does not have.',
    });

    const sync = new Map<Stage, tasks.LambdaInvoke>();
    for (const stage of stages) {
      const names = stateNames(stage);
      sync.set(stage, new tasks.LambdaInvoke(this, names.sync, {
        lambdaFunction: props.syncFunction,
        payload: sfn.TaskInput.fromObject({ incidentId: sfn.JsonPath.stringAt('$.incidentId'), stage }),
        payloadResponseOnly: true,
        resultPath: '$.step',
        retryOnServiceExceptions: true,
      }));
    }

    const awaits = new Map<Stage, tasks.LambdaInvoke>();
    for (const stage of stages) {
      const syncState = sync.get(stage)!;
      const awaitState = new tasks.LambdaInvoke(this, stateNames(stage).await, {
        lambdaFunction: props.awaitFunction,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject({
          incidentId: sfn.JsonPath.stringAt('$.incidentId'),
          stage,
          taskToken: sfn.JsonPath.taskToken,
          version: sfn.JsonPath.numberAt('$.step.version'),
          waitSeconds: sfn.JsonPath.numberAt('$.step.waitSeconds'),
        }),
        taskTimeout: sfn.Timeout.at('$.step.waitSeconds'),
        resultPath: '$.signal',
        retryOnServiceExceptions: true,
      });
      // The stage timer ran out: sync decides (remind, escalate, overdue, close) from the record.
      awaitState.addCatch(syncState, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' });
      awaitState.next(syncState);
      awaits.set(stage, awaitState);
    }

    // Sync decides for the stage the record is at, so a stage change goes straight to the new stage's
    // await: no second sync and route (two transitions and a Lambda call fewer per change).
    for (const stage of stages) {
      const route = new sfn.Choice(this, stateNames(stage).route);
      for (const target of stages) route.when(sfn.Condition.stringEquals('$.step.next', target), awaits.get(target)!);
      route.when(sfn.Condition.stringEquals('$.step.next', END), done);
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
      // Executions are cheap to resume from the record; a year is the Standard maximum anyway.
      timeout: Duration.days(365),
      comment: `gridflow incident workflow, ladder ${props.ladder.join(' -> ')}`,
    });
  }
}
