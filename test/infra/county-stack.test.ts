import { readFileSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { redactCounty } from '#config/redact.js';
import { INDEXES } from '#storage/table-design.js';
import { createTableInput } from '#storage/create-table.js';
import { HANDLERS, type FunctionName } from '#infra/handlers.js';
import { actionsOf, allTemplates, build, definitionJson, resourcesOf, shouyang, statementsOfRole, testville, testville4, type Json } from './support.js';

const county = shouyang();
const built = build([county]);
const stack = built.counties.get('shouyang')!;
const templates = allTemplates(built);
const template = Template.fromJSON(templates['Gridflow-shouyang.template.json']!);
const json = template.toJSON() as Json;
// The Cognito path: a test county without deployment.identity (the demo counties are in China, where there is none).
const cognitoJson = allTemplates(build([testville()]))['Gridflow-testville.template.json']!;
const nested = Object.entries(templates).filter(([f]) => f.startsWith('GridflowshouyangNotificationsPeople')).map(([, t]) => t);

const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
const fnOf = (name: FunctionName) => { const f = stack.functions[name]; if (!f) throw new Error(`no ${name} function`); return f; };
const fnId = (name: FunctionName) => logicalId(fnOf(name));
const roleId = (name: FunctionName) => logicalId(fnOf(name).executionRole);
const statements = (name: FunctionName) => statementsOfRole(json, roleId(name));
const actions = (name: FunctionName, prefix: string) => actionsOf(statements(name)).filter((a) => a.startsWith(prefix));

describe('table', () => {
  const [, table] = resourcesOf(json, 'AWS::DynamoDB::Table')[0]!;
  const expected = createTableInput('ignored');

  it('has the key schema and indexes of createTableInput (the local runtime\'s table)', () => {
    const p = table.Properties;
    expect(p.KeySchema).toEqual(expected.KeySchema);
    const defs = (d: Json[]) => [...d].sort((a, b) => a.AttributeName.localeCompare(b.AttributeName));
    expect(defs(p.AttributeDefinitions)).toEqual(defs(expected.AttributeDefinitions as Json[]));
    const byName = (l: Json[]) => Object.fromEntries(l.map((i) => [i.IndexName, { KeySchema: i.KeySchema, Projection: i.Projection }]));
    expect(byName(p.GlobalSecondaryIndexes)).toEqual(byName(expected.GlobalSecondaryIndexes as Json[]));
    expect(p.GlobalSecondaryIndexes).toHaveLength(Object.keys(INDEXES).length);
    expect(p.BillingMode).toBe(expected.BillingMode);
  });

  it('has point-in-time recovery, deletion protection, encryption, TTL and is retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    });
  });
});

describe('HTTP API', () => {
  const routes = resourcesOf(json, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);

  it('has the six routes of the contract, each on its handler', () => {
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([
      'GET /health', 'GET /incidents', 'GET /incidents/{id}', 'GET /stats', 'POST /incidents', 'POST /incidents/{id}/actions',
    ]);
  });

  it('puts the JWT authorizer on every route but GET /health', () => {
    for (const r of routes) {
      if (r.RouteKey === 'GET /health') expect(r.AuthorizationType).toBe('NONE');
      else expect(r).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: expect.any(String) } });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      // The API's audience and the console's client (contract §9 sign-in), both issued by the county's provider.
      JwtConfiguration: { Audience: [county.deployment!.identity!.audience, county.deployment!.identity!.consoleClientId], Issuer: county.deployment!.identity!.issuer },
    });
    // A county without deployment.identity trusts its own user pool.
    Template.fromJSON(cognitoJson).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: {
        Audience: [{ Ref: Match.stringLikeRegexp('^IdentityUsersApiClient') }, { Ref: Match.stringLikeRegexp('^IdentityUsersConsoleClient') }],
        Issuer: { 'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('^IdentityUsers') }])] },
      },
    });
  });

  it('has a $default stage with throttling and JSON access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HttpAccessLogs'), 'Arn'] }, Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
    });
  });
});

describe('identity (own user pool)', () => {
  it('holds role and scope as admin-only custom attributes, requires MFA, no self sign-up, and a pre-token trigger', () => {
    Template.fromJSON(cognitoJson).hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'role', AttributeDataType: 'String', Mutable: true }),
        Match.objectLike({ Name: 'scope', AttributeDataType: 'String', Mutable: true }),
      ]),
      MfaConfiguration: 'ON',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      LambdaConfig: { PreTokenGeneration: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IdentityClaims'), 'Arn'] } },
      DeletionProtection: 'ACTIVE',
    });
    // Every app client (the API's and the console's): reads role and scope, never writes them, short-lived tokens.
    const clients = resourcesOf(cognitoJson, 'AWS::Cognito::UserPoolClient').map(([, client]) => client.Properties);
    expect(clients).toHaveLength(2);
    for (const client of clients) {
      expect(client).toMatchObject({ WriteAttributes: ['name'], EnableTokenRevocation: true, IdTokenValidity: 60, AccessTokenValidity: 60 });
      expect(client.ReadAttributes).toEqual(expect.arrayContaining(['custom:role', 'custom:scope']));
    }
  });
});

describe('functions', () => {
  it('every handler is a function with its entry metadata and the common environment', () => {
    for (const [name, entry] of Object.entries(HANDLERS) as [FunctionName, string][]) {
      const fn = json.Resources[fnId(name)];
      expect(fn.Metadata['gridflow:entry']).toBe(entry);
      expect(fn.Properties.Environment.Variables).toMatchObject({
        TABLE_NAME: { Ref: logicalId({ node: { defaultChild: stack.table.node.defaultChild } }) },
        COUNTY_ID: 'shouyang',
        POWERTOOLS_SERVICE_NAME: 'gridflow',
      });
    }
  });

  it('gives each function the environment it uses', () => {
    const env = (name: FunctionName) => json.Resources[fnId(name)].Properties.Environment.Variables as Json;
    const machine = { Ref: logicalId(stack.workflow.stateMachine) };
    expect(env('report').STATE_MACHINE_ARN).toEqual(machine);
    expect(env('reconcile').STATE_MACHINE_ARN).toEqual(machine);
    expect(env('sync')).toMatchObject({
      TOPIC_ARN_GRID: { Ref: expect.stringMatching(/^NotificationsGridTopic/) },
      TOPIC_ARN_TOWN: { Ref: expect.stringMatching(/^NotificationsTownTopic/) },
      TOPIC_ARN_CITY: { 'Fn::ImportValue': expect.stringMatching(/^Gridflow-City-jinzhong:ExportsOutputRefCityTopic/) },
      CONSOLE_URL: `https://${county.deployment!.console!.domain}/console`,
    });
    expect(env('sync').TOPIC_ARN_COUNTY).toBeUndefined();
    // The cursor key is an SSM SecureString named here, never derived from anything in the template.
    expect(env('listIncidents').CURSOR_KEY_PARAMETER).toBe('/gridflow/shouyang/cursor-key');
    expect(env('listIncidents').CURSOR_SECRET).toBeUndefined();
    const ssm = statements('listIncidents').find((st) => JSON.stringify(st.Action).includes('ssm:'))!;
    expect(JSON.stringify(ssm.Resource)).toContain(':parameter/gridflow/shouyang/cursor-key"');
  });

  it('grants each function exactly the actions its handler sends, and nothing else', () => {
    const exactly: Record<FunctionName, string[]> = {
      // Idempotency records (Get/Put/Update/Delete), the incident and its counters (Put/Update in a transaction).
      report: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'states:StartExecution'],
      getIncident: ['dynamodb:GetItem'],
      // The cursor key: read, or generated on first use (commons/cursor-key.ts). A page's items: BatchGetItem.
      // GetItem: the backfill marker (index-backfill.ts) and an item the batch's eventually consistent read missed.
      listIncidents: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'ssm:GetParameter', 'ssm:PutParameter'],
      act: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'states:SendTaskSuccess'],
      stats: ['dynamodb:GetItem', 'dynamodb:Query'],
      health: ['dynamodb:GetItem'],
      sync: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'kms:Decrypt', 'kms:GenerateDataKey*', 'sns:Publish'],
      await: ['dynamodb:UpdateItem', 'states:SendTaskSuccess'],
      // Its failed invocations go to the failure queue (Lambda's DLQ is sent with the function's role).
      // GetItem: a stuck incident retried by id; SendTaskSuccess: an execution that missed a wake-up.
      reconcile: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'kms:Decrypt', 'kms:GenerateDataKey*', 'sqs:SendMessage',
        'states:DescribeExecution', 'states:SendTaskSuccess', 'states:StartExecution'],
      // Scan the incident items, set the index attribute; its marker; its failed invocations to the failure queue.
      backfill: ['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:UpdateItem', 'kms:Decrypt', 'kms:GenerateDataKey*', 'sqs:SendMessage'],
      relay: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'kms:Decrypt', 'kms:GenerateDataKey*',
        'secretsmanager:GetSecretValue', 'sqs:SendMessage'],
    };
    for (const [name, expected] of Object.entries(exactly) as [FunctionName, string[]][]) {
      const granted = actionsOf(statements(name)).filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'));
      expect({ name, granted }).toEqual({ name, granted: [...expected].sort() });
    }
    // Dropped by issue 10: nothing asks for these any more; a Scan only for the backfill, on the table alone.
    const all = Object.keys(exactly).filter((n) => n !== 'backfill').flatMap((n) => actionsOf(statements(n as FunctionName)));
    for (const gone of ['states:SendTaskFailure', 'states:ListExecutions', 'dynamodb:BatchWriteItem', 'dynamodb:Scan']) {
      expect(all).not.toContain(gone);
    }
    const scan = statements('backfill').filter((st) => JSON.stringify(st.Action).includes('dynamodb:Scan'));
    expect(scan.flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource])).map((r: Json) => JSON.stringify(r))).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [stack.getLogicalId(stack.table.node.defaultChild as never), 'Arn'] }),
    ]);
  });

  it('invokes the index backfill on deploy, asynchronously, after the table and every function that writes incidents', () => {
    const [, trigger] = resourcesOf(json, 'Custom::Trigger')[0]!;
    expect(trigger.Properties.InvocationType).toBe('Event');
    // The function's current version: the trigger runs again whenever the backfill's code or settings change.
    const version = json.Resources[trigger.Properties.HandlerArn.Ref] as Json;
    expect(version).toMatchObject({ Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: fnId('backfill') } } });
    const after = JSON.stringify(trigger.DependsOn ?? []);
    for (const name of ['report', 'act', 'sync'] as FunctionName[]) expect({ name, after: after.includes(fnId(name)) }).toEqual({ name, after: true });
    expect(after).toContain(stack.getLogicalId(stack.table.node.defaultChild as never));
    // It waits out the longest timeout of those writers before a first scan (functions/ops/backfill.ts).
    const writers = Math.max(...(['report', 'act', 'sync'] as FunctionName[]).map((n) => fnOf(n).timeout!.toSeconds()));
    expect((json.Resources[fnId('backfill')].Properties.Environment.Variables as Json).BACKFILL_SETTLE_SECONDS).toBe(String(writers + 5));
    // Retried by Lambda, then the alarmed failure queue.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fnId('backfill') }, MaximumRetryAttempts: 2 });
    // Ops run it again by hand with this name (README, deploy step 8).
    template.hasOutput('BackfillFunctionName', { Value: { Ref: fnId('backfill') } });
  });

  it('lets the relay read exactly the secrets the county file names', () => {
    const secretStatements = statements('relay').filter((s) => s.Action === 'secretsmanager:GetSecretValue');
    const names = secretStatements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
      .map((r: Json) => JSON.stringify(r).match(/secret:([^"]+)-\?{6}/)?.[1]).sort();
    const expected = new Set<string>([county.deployment!.sms!.secret]);
    for (const p of [...county.city.supervisors, ...county.towns.flatMap((t) => t.supervisors)]) {
      for (const c of p.channels ?? []) if ('secret' in c) expected.add(c.secret);
    }
    expect(names).toEqual([...expected].sort());
  });

  it('bundles the full county file (names, phones, channels) with the relay only, a redacted one with every other function', () => {
    const full = JSON.parse(readFileSync(stack.countyFiles.full, 'utf8')) as Json;
    const redacted = readFileSync(stack.countyFiles.redacted, 'utf8');
    expect(JSON.stringify(full)).toContain(county.towns[0]!.communities[0]!.grids[0]!.leader.phone);
    expect(redacted).not.toContain(county.towns[0]!.communities[0]!.grids[0]!.leader.phone);
    expect(JSON.parse(redacted)).toEqual(JSON.parse(JSON.stringify(redactCounty(county))));
    for (const name of Object.keys(HANDLERS) as FunctionName[]) {
      expect({ name, file: fnOf(name).countyFile }).toEqual({ name, file: name === 'relay' ? stack.countyFiles.full : stack.countyFiles.redacted });
    }
  });

  it('reads indexes only where a handler queries them', () => {
    const indexResources = (name: FunctionName) => statements(name)
      .filter((s) => JSON.stringify(s.Action).includes('dynamodb:Query'))
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
      .map((r) => JSON.stringify(r)).filter((r) => r.includes('/index/'));
    expect(indexResources('getIncident')).toEqual([]);
    expect(indexResources('listIncidents')).toHaveLength(Object.keys(INDEXES).length);
    // The list reads indexes only, never the base table.
    const listQuery = statements('listIncidents').filter((s) => JSON.stringify(s.Action).includes('dynamodb:Query'));
    expect(listQuery.flatMap((s) => s.Resource).map((r: Json) => JSON.stringify(r)).every((r: string) => r.includes('/index/'))).toBe(true);
    expect(indexResources('reconcile')).toEqual([expect.stringContaining('/index/active')]);
    // The page's items come from the table, by key (BatchGetItem on the table, nothing on an index).
    for (const name of ['listIncidents', 'reconcile'] as FunctionName[]) {
      const batch = statements(name).filter((s) => JSON.stringify(s.Action).includes('dynamodb:BatchGetItem'));
      expect({ name, resources: batch.flatMap((s) => s.Resource).map((r: Json) => JSON.stringify(r)).filter((r: string) => r.includes('/index/')) }).toEqual({ name, resources: [] });
      expect({ name, batch: batch.length }).toEqual({ name, batch: 1 });
    }
  });

  it('lets sync publish to its own level topics and the city topic', () => {
    const publish = statements('sync').filter((s) => s.Action === 'sns:Publish');
    const targets = publish.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource])).map((r) => JSON.stringify(r));
    expect(targets).toEqual(expect.arrayContaining([
      expect.stringContaining('NotificationsGridTopic'), expect.stringContaining('NotificationsTownTopic'), expect.stringContaining('ExportsOutputRefCityTopic'),
    ]));
  });
});

describe('workflow', () => {
  it('is a Standard state machine logging ALL events with execution data, traced', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: Match.anyValue() },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('has one "<level>: await" waitForTaskToken state per ladder level, each invoking the await function', () => {
    const machine = resourcesOf(json, 'AWS::StepFunctions::StateMachine')[0]![1];
    const states = definitionJson(machine.Properties.DefinitionString).States as Json;
    const awaits = Object.entries(states).filter(([, s]) => String(s.Resource).endsWith(':states:::lambda:invoke.waitForTaskToken'));
    expect(awaits.map(([n]) => n).sort()).toEqual([...county.ladder, 'verification'].map((l) => `${l}: await`).sort());
    for (const [, s] of awaits) expect(s.Parameters.FunctionName).toContain(fnId('await'));
  });

  it('routes every decision straight to the await of the stage it names, or to Done: no second sync per stage change', () => {
    const machine = resourcesOf(json, 'AWS::StepFunctions::StateMachine')[0]![1];
    const states = definitionJson(machine.Properties.DefinitionString).States as Json;
    const stages = [...county.ladder, 'verification'];
    for (const stage of stages) {
      const route = states[`${stage}: route`];
      expect(route.Type).toBe('Choice');
      expect(route.Choices.map((c: Json) => [c.StringEquals, c.Next])).toEqual([
        ...stages.map((target) => [target, `${target}: await`]),
        ['end', 'Done'],
        ['continue', 'Continue as new'],
      ]);
      // Both outcomes of an await (answered or timed out) go back to that stage's sync (the last stage's close);
      // anything else fails.
      const back = stage === 'verification' ? 'verification: close' : `${stage}: sync`;
      expect(states[`${stage}: await`].Next).toBe(back);
      expect(states[`${stage}: await`].Catch).toEqual([
        expect.objectContaining({ ErrorEquals: ['States.Timeout'], Next: back }),
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Failed' },
      ]);
    }
  });

  it('ends the run in the task after the last wait when the incident is over; when it goes on, the stage\'s sync takes it', () => {
    const machine = resourcesOf(json, 'AWS::StepFunctions::StateMachine')[0]![1];
    const states = definitionJson(machine.Properties.DefinitionString).States as Json;
    const close = states['verification: close'];
    expect(close).toMatchObject({ Type: 'Task', End: true, ResultPath: '$.step' });
    expect(close.Next).toBeUndefined();
    expect(close.Parameters).toMatchObject({ stage: 'verification', closing: true });
    expect(close.Catch).toEqual([
      { ErrorEquals: ['StageGoesOn'], ResultPath: '$.goesOn', Next: 'verification: sync' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Failed' },
    ]);
  });

  it('retries throttling and passing errors of every task with backoff and jitter, and catches the rest into Failed', () => {
    const machine = resourcesOf(json, 'AWS::StepFunctions::StateMachine')[0]![1];
    const states = definitionJson(machine.Properties.DefinitionString).States as Json;
    for (const stage of [...county.ladder, 'verification']) {
      for (const task of [`${stage}: sync`, `${stage}: await`, ...(stage === 'verification' ? ['verification: close'] : [])]) {
        const retry = states[task].Retry as Json[];
        const lambda = retry.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'))!;
        expect(lambda.ErrorEquals).toEqual(expect.arrayContaining(['Lambda.ServiceException', 'Lambda.SdkClientException', 'Lambda.Unknown']));
        expect(lambda).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL', MaxAttempts: 6 });
        expect(retry.find((r) => r.ErrorEquals.includes('TransientError'))).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL', MaxDelaySeconds: 300 });
        expect(retry.flatMap((r) => r.ErrorEquals)).not.toContain('States.ALL');
      }
      expect(states[`${stage}: sync`].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Failed' }]);
    }
    expect(states.Failed).toEqual({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
  });

  it('continues as new by starting its own state machine (named, so the role needs no reference to it)', () => {
    const [machineId, machine] = resourcesOf(json, 'AWS::StepFunctions::StateMachine')[0]!;
    const states = definitionJson(machine.Properties.DefinitionString).States as Json;
    expect(states['Continue as new']).toMatchObject({
      Type: 'Task', ResultPath: null, Next: 'Done',
      Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id', 'Name.$': '$.step.executionName', Input: { 'incidentId.$': '$.incidentId' } },
    });
    expect(String(states['Continue as new'].Resource)).toMatch(/:states:::states:startExecution$/);
    expect(machine.Properties.StateMachineName).toBe('Gridflow-shouyang-incidents');
    const roleRef = machine.Properties.RoleArn['Fn::GetAtt'][0] as string;
    const starts = statementsOfRole(json, roleRef).filter((st) => st.Action === 'states:StartExecution');
    expect(JSON.stringify(starts)).toContain(':stateMachine:Gridflow-shouyang-incidents');
    expect(JSON.stringify(starts)).not.toContain(machineId);
  });

  it('runs the reconciler every 5 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId('reconcile'), 'Arn'] } })],
    });
  });
});

describe('topics and subscriptions', () => {
  it('has KMS-encrypted, TLS-only topics for grid, town and ops', () => {
    const topics = resourcesOf(json, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(3);
    for (const [, t] of topics) expect(t.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^NotificationKey/), 'Arn'] });
    const policies = resourcesOf(json, 'AWS::SNS::TopicPolicy');
    expect(policies).toHaveLength(3);
    for (const [, p] of policies) {
      expect(p.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]));
    }
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  const subscriptions = nested.flatMap((t) => resourcesOf(t, 'AWS::SNS::Subscription').map(([, s]) => s));

  it('subscribes every town supervisor by e-mail filtered to their town (no SNS SMS in China)', () => {
    const pingtou = county.towns.find((t) => t.id === 'pingtou')!;
    const sup = pingtou.supervisors[0]!;
    expect(subscriptions).toEqual(expect.arrayContaining([
      expect.objectContaining({ Properties: expect.objectContaining({ Protocol: 'email', Endpoint: sup.email, FilterPolicy: { townId: ['pingtou'] } }) }),
    ]));
    expect(subscriptions.filter((s) => s.Properties.Protocol === 'sms')).toEqual([]);
  });

  it('subscribes the channel relay to each level topic with the jurisdictions of the people it serves', () => {
    const relaySubs = resourcesOf(json, 'AWS::SNS::Subscription').map(([, s]) => s.Properties).filter((p) => p.Protocol === 'lambda');
    const byTopic = (fragment: string) => relaySubs.find((p) => JSON.stringify(p.TopicArn).includes(fragment))!;
    const grids = county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids)).map((g) => g.id);
    expect(byTopic('NotificationsGridTopic').FilterPolicy).toEqual({ gridId: expect.arrayContaining(grids) });
    expect(byTopic('NotificationsGridTopic').FilterPolicy.gridId).toHaveLength(grids.length);
    expect(byTopic('NotificationsTownTopic').FilterPolicy).toEqual({ townId: county.towns.map((t) => t.id) });
    // The city topic is shared with the city's other counties: only this county's messages.
    expect(byTopic('CityTopic').FilterPolicy).toEqual({ countyId: ['shouyang'] });
    for (const p of relaySubs) {
      expect(p.Endpoint).toEqual({ 'Fn::GetAtt': [fnId('relay'), 'Arn'] });
      expect(p.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^FailuresQueue/), 'Arn'] } });
    }
    expect(relaySubs).toHaveLength(3);
  });

  it('outside China (an agnostic county): every grid leader by SMS in E.164, created only if not deployed to China', () => {
    const tv = testville();
    const b = build([tv]);
    const nestedTv = Object.entries(allTemplates(b)).filter(([f]) => f.startsWith('GridflowtestvilleNotificationsPeople')).map(([, t]) => t);
    const subs = nestedTv.flatMap((t) => resourcesOf(t, 'AWS::SNS::Subscription').map(([, s]) => s));
    const grids = tv.towns.flatMap((t) => t.communities.flatMap((c) => c.grids));
    const gridIds = subs.filter((s) => s.Properties.FilterPolicy?.gridId).flatMap((s) => s.Properties.FilterPolicy.gridId as string[]);
    expect(new Set(gridIds)).toEqual(new Set(grids.map((g) => g.id)));
    const sms = subs.filter((s) => s.Properties.Protocol === 'sms');
    expect(sms.length).toBeGreaterThan(0);
    for (const s of sms) {
      expect(s.Properties.Endpoint).toMatch(/^\+1\d{10,11}$|^\+86\d{11}$/);
      expect(s.Condition).toBe('GridflowIsNotChinaPartition');
    }
  });

  it('places each town\'s people in a nested stack of their own', () => {
    expect(nested).toHaveLength(county.towns.length);
    template.resourceCountIs('AWS::CloudFormation::Stack', county.towns.length);
    for (const t of nested) expect(resourcesOf(t, 'AWS::SNS::Subscription').length).toBeGreaterThan(0);
  });

  it('subscribes the HTTPS webhooks with their filter plus the county, dead-lettered to the KMS-encrypted failure queue', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://hooks.example.cn/gridflow/shouyang/pingtou',
      FilterPolicy: { countyId: ['shouyang'], townId: ['pingtou'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FailuresQueue'), 'Arn'] } },
      TopicArn: { Ref: Match.stringLikeRegexp('^NotificationsTownTopic') },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotificationKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('alarms and the failure queue', () => {
  const alarms = resourcesOf(json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const opsTopic = { Ref: expect.stringMatching(/^AlarmsOpsTopic/) };

  it('alarm on the failure queue, API 5xx and stuck incidents: three metrics (a China county has no user pool and no trigger to watch)', () => {
    expect(alarms.map((a) => `${a.Namespace}/${a.MetricName}`).sort()).toEqual(['AWS/ApiGateway/5xx', 'AWS/SQS/ApproximateNumberOfMessagesVisible', 'gridflow/IncidentsStuck-shouyang']);
    expect(JSON.stringify(alarms.find((a) => a.Namespace === 'AWS/SQS')!.Dimensions)).toContain('FailuresQueue');
  });

  it('raise one alarm when the reconciler marks an incident stuck (its log line names it)', () => {
    const [, filter] = resourcesOf(json, 'AWS::Logs::MetricFilter')[0]!;
    expect(filter.Properties.FilterPattern).toBe('{ $.message = "incident workflow stuck" }');
    expect(filter.Properties.LogGroupName).toEqual({ Ref: expect.stringMatching(/^ReconcileFunctionLogs/) });
    const { MetricName, MetricNamespace } = filter.Properties.MetricTransformations[0];
    expect(alarms.filter((a) => a.Namespace === MetricNamespace && a.MetricName === MetricName)).toEqual([
      expect.objectContaining({ Threshold: 1, AlarmDescription: expect.stringContaining('"stuck":"retry"') }),
    ]);
    template.hasOutput('ReconcileFunctionName', { Value: { Ref: fnId('reconcile') } });
  });

  it('send every alarm, and its end, to the ops topic', () => {
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual([opsTopic]);
      expect(a.OKActions).toEqual([opsTopic]);
    }
  });

  it('copy failed, timed-out and aborted executions of the state machine into the failure queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: logicalId(stack.workflow.stateMachine) }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FailuresQueue'), 'Arn'] } })],
    });
  });

  it('dead-letter the reconciler schedule, the reconciler and the relay into the failure queue', () => {
    const queue = { 'Fn::GetAtt': [expect.stringMatching(/^FailuresQueue/), 'Arn'] };
    const schedule = resourcesOf(json, 'AWS::Events::Rule').map(([, r]) => r.Properties).find((p) => p.ScheduleExpression)!;
    expect(schedule.Targets[0].DeadLetterConfig).toEqual({ Arn: queue });
    for (const name of ['reconcile', 'relay'] as const) {
      expect(json.Resources[fnId(name)].Properties.DeadLetterConfig).toEqual({ TargetArn: queue });
    }
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
  });

  it('let CloudWatch publish to the ops topic (its policy replaces the default) and use the key, for this account only', () => {
    const opsPolicy = resourcesOf(json, 'AWS::SNS::TopicPolicy').map(([, p]) => p.Properties)
      .find((p) => JSON.stringify(p.Topics).includes('AlarmsOpsTopic'))!;
    expect(opsPolicy.PolicyDocument.Statement).toEqual(expect.arrayContaining([expect.objectContaining({
      Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': expect.anything() } },
    })]));
    const [, key] = resourcesOf(json, 'AWS::KMS::Key')[0]!;
    expect(key.Properties.KeyPolicy.Statement).toEqual(expect.arrayContaining([expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: expect.arrayContaining(['cloudwatch.amazonaws.com', 'sns.amazonaws.com']) },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    }), expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]));
  });

  it('subscribe the county\'s ops contacts (deployment.ops.emails) to the ops topic', () => {
    const subs = resourcesOf(json, 'AWS::SNS::Subscription').map(([, s]) => s.Properties).filter((p) => JSON.stringify(p.TopicArn).includes('AlarmsOpsTopic'));
    expect(subs.map((p) => p.Endpoint)).toEqual(county.deployment!.ops!.emails);
  });

  it('hold one customer-managed KMS key for the county\'s topics and queue', () => {
    expect(resourcesOf(json, 'AWS::KMS::Key')).toHaveLength(1);
  });
});

describe('a four-level ladder', () => {
  const four = testville4();
  const b = build([four]);
  const t = allTemplates(b)[`Gridflow-${four.id}.template.json`]!;
  const s = b.counties.get(four.id)!;

  it('has a county topic and TOPIC_ARN_COUNTY, and an await state for every level', () => {
    const vars = t.Resources[s.getLogicalId(s.functions.sync.node.defaultChild as never)].Properties.Environment.Variables as Json;
    expect(Object.keys(vars).filter((k) => k.startsWith('TOPIC_ARN_')).sort()).toEqual(['TOPIC_ARN_CITY', 'TOPIC_ARN_COUNTY', 'TOPIC_ARN_GRID', 'TOPIC_ARN_TOWN']);
    const machine = resourcesOf(t, 'AWS::StepFunctions::StateMachine')[0]![1];
    const states = definitionJson(machine.Properties.DefinitionString).States as Json;
    for (const level of ['grid', 'town', 'county', 'city']) expect(states[`${level}: await`].Resource).toMatch(/waitForTaskToken$/);
  });
});
