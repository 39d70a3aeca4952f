import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import {
  LAMBDA_INVOKE_WAIT, MAX_TIMER_SECONDS, localFunctionArn, renderDefinition, type CfnTemplate,
} from '#local/stepfunctions/definition.js';
import { IncidentWorkflow } from '#workflows/incident-workflow.js';
import { FAILED_STATE, stagesOf, stateNames } from '#workflows/stages.js';

type Json = Record<string, any>; // test-only: walking synthesized JSON

const LADDER = ['grid', 'town', 'city'] as const;

/** The county stack's shape in miniature: the real workflow construct and two functions with their entry. */
function synthesize() {
  const stack = new Stack(new App(), 'LocalDefinitionTest');
  const fn = (id: string, entry: string, timeout?: Duration) => {
    const f = new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      ...(timeout ? { timeout } : {}),
    });
    (f.node.defaultChild as lambda.CfnFunction).addMetadata('gridflow:entry', entry);
    return f;
  };
  const sync = fn('Sync', 'functions/workflow/sync.ts', Duration.seconds(30));
  const wait = fn('Await', 'functions/workflow/await.ts');
  new IncidentWorkflow(stack, 'Workflow', { ladder: [...LADDER], syncFunction: sync, awaitFunction: wait });
  return {
    template: Template.fromStack(stack).toJSON() as CfnTemplate,
    syncId: stack.getLogicalId(sync.node.defaultChild as lambda.CfnFunction),
    awaitId: stack.getLogicalId(wait.node.defaultChild as lambda.CfnFunction),
  };
}

const synthesized = synthesize();
const fresh = (): CfnTemplate => structuredClone(synthesized.template);

function machineOf(template: CfnTemplate): Json {
  return Object.values(template.Resources!).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!.Properties as Json;
}

/** Edits every literal piece of the synthesized DefinitionString (a Fn::Join of strings and intrinsics). */
function editDefinition(template: CfnTemplate, edit: (text: string) => string): CfnTemplate {
  const parts = machineOf(template).DefinitionString['Fn::Join'][1] as unknown[];
  parts.forEach((p, i) => { if (typeof p === 'string') parts[i] = edit(p); });
  return template;
}

/** The definition as CloudFormation would resolve it in region `local`, without any of the adapter's patches. */
function resolvedByHand(template: CfnTemplate): Json {
  const parts = machineOf(template).DefinitionString['Fn::Join'][1] as Json[];
  return JSON.parse(parts.map((p) => {
    if (typeof p === 'string') return p;
    if (p.Ref === 'AWS::Partition') return 'aws';
    return localFunctionArn(p['Fn::GetAtt'][0]);
  }).join(''));
}

describe('renderDefinition on the synthesized incident workflow', () => {
  const { definition, functions } = renderDefinition(fresh());
  const { syncId, awaitId } = synthesized;
  const states = definition.States as Record<string, Json>;

  it('maps every function with an entry to its local ARN, source file and timeout', () => {
    expect(functions).toEqual({
      [localFunctionArn(syncId)]: { logicalId: syncId, entry: 'functions/workflow/sync.ts', timeoutSeconds: 30 },
      // No Timeout in the template: the local default, not the library's 60 s by accident nor Lambda's 3 s.
      [localFunctionArn(awaitId)]: { logicalId: awaitId, entry: 'functions/workflow/await.ts', timeoutSeconds: 60 },
    });
  });

  it('points each await timeout at the Payload copy and gives each sync task its function timeout', () => {
    expect(definition.StartAt).toBe(stateNames('grid').sync);
    for (const stage of stagesOf(LADDER)) {
      const names = stateNames(stage);
      const wait = states[names.await]!;
      expect(wait.Resource).toBe(LAMBDA_INVOKE_WAIT);
      expect(wait.Parameters.FunctionName).toBe(localFunctionArn(awaitId));
      expect(wait.Parameters.Payload['waitSeconds.$']).toBe('$.step.waitSeconds');
      expect(wait.TimeoutSecondsPath).toBe('$.Payload.waitSeconds');
      // The token stays a context path: the runner supplies $$.Task.Token per task.
      expect(wait.Parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
      const back = stage === 'verification' ? names.close : names.sync;
      expect(wait.Catch).toEqual([
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: back },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: FAILED_STATE },
      ]);

      const sync = states[names.sync]!;
      expect(sync.Resource).toBe(localFunctionArn(syncId));
      expect(sync.TimeoutSeconds).toBe(30);
    }
  });

  it('changes nothing else than the documented patches', () => {
    const expected = resolvedByHand(fresh());
    for (const stage of stagesOf(LADDER)) {
      const names = stateNames(stage);
      expected.States[names.await].TimeoutSecondsPath = '$.Payload.waitSeconds';
      expected.States[names.sync].TimeoutSeconds = 30;
      expected.States[names.sync].Parameters.execution['startedAt.$'] = '$$.Execution.StartTimeOnClock';
    }
    const close = stateNames('verification').close;
    expected.States[close].TimeoutSeconds = 30;
    expected.States[close].Parameters.execution['startedAt.$'] = '$$.Execution.StartTimeOnClock';
    expect(definition).toEqual(expected);
    expect(JSON.stringify(definition)).not.toMatch(/Fn::|"Ref"/);
  });

  it('is accepted by aws-local-stepfunctions with its validation on', () => {
    expect(() => new StateMachine(definition)).not.toThrow();
  });
});

describe('renderDefinition refuses what it cannot run faithfully', () => {
  it('names an unsupported intrinsic function', () => {
    const t = fresh();
    const parts = machineOf(t).DefinitionString['Fn::Join'][1] as unknown[];
    parts[parts.findIndex((p) => typeof p === 'object')] = { 'Fn::ImportValue': 'Elsewhere' };
    expect(() => renderDefinition(t)).toThrow(/unsupported intrinsic function Fn::ImportValue/);
  });

  it('refuses a GetAtt of something that is not a Lambda function', () => {
    const t = fresh();
    const parts = machineOf(t).DefinitionString['Fn::Join'][1] as Json[];
    const roleId = Object.entries(t.Resources!).find(([, r]) => r.Type === 'AWS::IAM::Role')![0];
    parts[parts.findIndex((p) => typeof p === 'object' && p['Fn::GetAtt'])] = { 'Fn::GetAtt': [roleId, 'Arn'] };
    expect(() => renderDefinition(t)).toThrow(new RegExp(`unsupported Fn::GetAtt ${roleId}\\.Arn \\(AWS::IAM::Role\\)`));
  });

  it('refuses a task whose function has no gridflow:entry', () => {
    const t = fresh();
    delete t.Resources![synthesized.awaitId]!.Metadata;
    expect(() => renderDefinition(t)).toThrow(/FunctionName .* is not a function of this template with Metadata "gridflow:entry"/);
  });

  it('fails loudly when the TimeoutSecondsPath has no copy in Parameters.Payload', () => {
    const t = editDefinition(fresh(), (s) => s.split('"waitSeconds.$":"$.step.waitSeconds"').join('"wait.$":"$.step.other"'));
    expect(() => renderDefinition(t)).toThrow(/TimeoutSecondsPath \$\.step\.waitSeconds must also be copied into Parameters\.Payload/);
  });

  it('refuses a waitForTaskToken task without any timeout', () => {
    const t = editDefinition(fresh(), (s) => s.split('"TimeoutSecondsPath":"$.step.waitSeconds",').join(''));
    expect(() => renderDefinition(t)).toThrow(/needs TimeoutSeconds or TimeoutSecondsPath/);
  });

  it('refuses a fixed timeout longer than a Node timer', () => {
    const t = editDefinition(fresh(), (s) => s.split('"TimeoutSecondsPath":"$.step.waitSeconds"').join(`"TimeoutSeconds":${MAX_TIMER_SECONDS + 1}`));
    expect(() => renderDefinition(t)).toThrow(/longer than a local timer can wait/);
  });

  it('refuses JSONata', () => {
    const t = editDefinition(fresh(), (s) => s.replace('{"StartAt"', '{"QueryLanguage":"JSONata","StartAt"'));
    expect(() => renderDefinition(t)).toThrow(/QueryLanguage JSONata is not supported locally/);
  });

  it('asks which state machine when the template holds two', () => {
    const t = fresh();
    const [id, machine] = Object.entries(t.Resources!).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')!;
    t.Resources!.Second = structuredClone(machine);
    expect(() => renderDefinition(t)).toThrow(/exactly one state machine/);
    expect(renderDefinition(t, { stateMachineLogicalId: id }).definition.StartAt).toBe('grid: sync');
  });
});

describe('renderDefinition on hand-written templates', () => {
  const fnResource = (entry: string, timeout?: number) => ({
    Type: 'AWS::Lambda::Function',
    Properties: timeout ? { Timeout: timeout } : {},
    Metadata: { 'gridflow:entry': entry },
  });

  it('resolves pseudo parameters, function Refs and DefinitionSubstitutions', () => {
    const { definition } = renderDefinition({
      Resources: {
        Fn: fnResource('functions/x.ts'),
        Machine: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString: {
              'Fn::Join': ['', [
                '{"Comment":"', { Ref: 'AWS::Region' }, '/', { Ref: 'AWS::AccountId' },
                '","StartAt":"A","States":{"A":{"Type":"Task","Resource":"${FnArn}","Parameters":{"name":"', { Ref: 'Fn' }, '"},"End":true}}}',
              ]],
            },
            DefinitionSubstitutions: { FnArn: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
          },
        },
      },
    });
    expect(definition.Comment).toBe('local/000000000000');
    expect(definition.States.A).toEqual({
      Type: 'Task', Resource: localFunctionArn('Fn'), Parameters: { name: 'Fn' }, End: true, TimeoutSeconds: 60,
    });
  });

  it('points a top-level TimeoutSecondsPath copy of a plain function task at the Parameters key', () => {
    const { definition } = renderDefinition({
      Resources: {
        Fn: fnResource('functions/x.ts', 10),
        Machine: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString: JSON.stringify({
              StartAt: 'A',
              States: { A: { Type: 'Task', Resource: localFunctionArn('Fn'), TimeoutSecondsPath: '$.limit', Parameters: { 'max.$': '$.limit' }, End: true } },
            }),
          },
        },
      },
    });
    expect((definition.States.A as Json).TimeoutSecondsPath).toBe('$.max');
  });

  it('refuses an unsupported Ref', () => {
    expect(() => renderDefinition({
      Resources: {
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Join': ['', ['{', { Ref: 'SomeParameter' }, '}']] } } },
      },
    })).toThrow(/unsupported Ref "SomeParameter"/);
  });
});
