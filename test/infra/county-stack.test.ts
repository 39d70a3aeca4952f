import { Match, Template } from 'aws-cdk-lib/assertions';
import { INDEXES } from '#storage/table-design.js';
import { createTableInput } from '#storage/create-table.js';
import { HANDLERS, type FunctionName } from '#infra/county-stack.js';
import { actionsOf, allTemplates, build, definitionJson, resourcesOf, shouyang, statementsOfRole, testville4, type Json } from './support.js';

const county = shouyang();
const built = build([county]);
const stack = built.counties.get('shouyang')!;
const templates = allTemplates(built);
const template = Template.fromJSON(templates['Gridflow-shouyang.template.json']!);
const json = template.toJSON() as Json;
const nested = Object.entries(templates).filter(([f]) => f.startsWith('GridflowshouyangNotificationsPeople')).map(([, t]) => t);

const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
const fnId = (name: FunctionName) => logicalId(stack.functions[name]);
const roleId = (name: FunctionName) => logicalId(stack.functions[name].executionRole);
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
      JwtConfiguration: {
        Audience: [{ Ref: Match.stringLikeRegexp('^IdentityUsersApiClient') }],
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
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'role', AttributeDataType: 'String', Mutable: true }),
        Match.objectLike({ Name: 'scope', AttributeDataType: 'String', Mutable: true }),
      ]),
      MfaConfiguration: 'ON',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      LambdaConfig: { PreTokenGeneration: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IdentityClaims'), 'Arn'] } },
      DeletionProtection: 'ACTIVE',
    });
    const [, client] = resourcesOf(json, 'AWS::Cognito::UserPoolClient')[0]!;
    expect(client.Properties.ReadAttributes).toEqual(expect.arrayContaining(['custom:role', 'custom:scope']));
    expect(client.Properties.WriteAttributes).toEqual(['name']);
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
      CONSOLE_URL: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^HttpApi/), 'ApiEndpoint'] }, '/console']] },
    });
    expect(env('sync').TOPIC_ARN_COUNTY).toBeUndefined();
    expect(env('listIncidents').CURSOR_SECRET).toEqual({ 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] });
  });

  it('grants each function exactly the table, state machine and topic actions it uses', () => {
    const reads = ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query'];
    const readWrite = [...reads, 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort();
    expect(actions('getIncident', 'dynamodb:')).toEqual(reads);
    expect(actions('listIncidents', 'dynamodb:')).toEqual(reads);
    expect(actions('stats', 'dynamodb:')).toEqual(reads);
    for (const rw of ['report', 'act', 'sync', 'await', 'reconcile'] as const) expect(actions(rw, 'dynamodb:')).toEqual(readWrite);
    expect(actions('health', 'dynamodb:')).toEqual([]);

    expect(actions('report', 'states:')).toEqual(['states:StartExecution']);
    expect(actions('act', 'states:')).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess']);
    expect(actions('await', 'states:')).toEqual(['states:SendTaskSuccess']);
    expect(actions('reconcile', 'states:')).toEqual(['states:DescribeExecution', 'states:ListExecutions', 'states:StartExecution']);
    for (const none of ['getIncident', 'listIncidents', 'stats', 'health', 'sync'] as const) expect(actions(none, 'states:')).toEqual([]);

    expect(actions('sync', 'sns:')).toEqual(['sns:Publish']);
    for (const other of ['report', 'act', 'await', 'reconcile', 'getIncident', 'listIncidents', 'stats', 'health'] as const) {
      expect(actions(other, 'sns:')).toEqual([]);
    }
  });

  it('reads indexes only where a handler queries them', () => {
    const indexResources = (name: FunctionName) => statements(name)
      .filter((s) => JSON.stringify(s.Action).includes('dynamodb:Query'))
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
      .map((r) => JSON.stringify(r)).filter((r) => r.includes('/index/'));
    expect(indexResources('getIncident')).toEqual([]);
    expect(indexResources('listIncidents')).toHaveLength(Object.keys(INDEXES).length);
    expect(indexResources('reconcile')).toEqual([expect.stringContaining('/index/active')]);
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
      ]);
      // Both outcomes of an await (answered or timed out) go back to that stage's sync.
      expect(states[`${stage}: await`].Next).toBe(`${stage}: sync`);
      expect(states[`${stage}: await`].Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.Timeout'], Next: `${stage}: sync` })]);
    }
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
    for (const [, t] of topics) expect(t.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^NotificationsKey/), 'Arn'] });
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

  it('subscribes every grid leader (SMS) and town supervisor (e-mail, SMS) filtered to their own grid or town', () => {
    const grids = county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids));
    const gridSubs = subscriptions.filter((s) => s.Properties.FilterPolicy?.gridId);
    const gridIds = gridSubs.flatMap((s) => s.Properties.FilterPolicy.gridId as string[]);
    expect(new Set(gridIds)).toEqual(new Set(grids.filter((g) => g.leader.email || g.leader.phone).map((g) => g.id)));
    const pingtou = county.towns.find((t) => t.id === 'pingtou')!;
    const sup = pingtou.supervisors[0]!;
    expect(subscriptions).toEqual(expect.arrayContaining([
      expect.objectContaining({ Properties: expect.objectContaining({ Protocol: 'email', Endpoint: sup.email, FilterPolicy: { townId: ['pingtou'] } }) }),
    ]));
  });

  it('writes SMS numbers in E.164 and creates SMS subscriptions only outside China (deploy-time condition)', () => {
    const sms = subscriptions.filter((s) => s.Properties.Protocol === 'sms');
    expect(sms.length).toBeGreaterThan(0);
    for (const s of sms) {
      expect(s.Properties.Endpoint).toMatch(/^\+86\d{11}$/);
      expect(s.Condition).toBe('GridflowIsNotChinaPartition');
    }
  });

  it('places each town\'s people in a nested stack of their own', () => {
    expect(nested).toHaveLength(county.towns.length);
    template.resourceCountIs('AWS::CloudFormation::Stack', county.towns.length);
  });

  it('subscribes the HTTPS webhooks with their filter plus the county, and a KMS-encrypted dead-letter queue', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://hooks.example.cn/gridflow/shouyang/pingtou',
      FilterPolicy: { countyId: ['shouyang'], townId: ['pingtou'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotificationsWebhookDeadLetters'), 'Arn'] } },
      TopicArn: { Ref: Match.stringLikeRegexp('^NotificationsTownTopic') },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotificationsKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('alarms', () => {
  const alarms = resourcesOf(json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const opsTopic = { Ref: expect.stringMatching(/^AlarmsOpsTopic/) };

  it('alarm on failed, timed-out and aborted executions, Lambda errors and throttles, API 5xx and dead letters', () => {
    const metric = (ns: string, name: string) => alarms.filter((a) => a.Namespace === ns && a.MetricName === name);
    expect(metric('AWS/States', 'ExecutionsFailed')).toHaveLength(1);
    expect(metric('AWS/States', 'ExecutionsTimedOut')).toHaveLength(1);
    expect(metric('AWS/States', 'ExecutionsAborted')).toHaveLength(1);
    const functions = resourcesOf(json, 'AWS::Lambda::Function').length; // the handlers and the pre-token trigger
    expect(functions).toBe(Object.keys(HANDLERS).length + 1);
    expect(metric('AWS/Lambda', 'Errors')).toHaveLength(functions);
    expect(metric('AWS/Lambda', 'Throttles')).toHaveLength(functions);
    expect(metric('AWS/ApiGateway', '5xx')).toHaveLength(1);
    expect(metric('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toHaveLength(1);
  });

  it('send every alarm to the ops topic', () => {
    for (const a of alarms) expect(a.AlarmActions).toEqual([opsTopic]);
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
