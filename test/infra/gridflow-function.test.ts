import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { loadCountyFile } from '#config/county-loader.js';
import { ENTRY_METADATA, GridflowFunction, REPO_ROOT } from '#infra/constructs/gridflow-function.js';
import { actionsOf, statementsOfRole, type Json } from './support.js';

const noBundling = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

function oneFunction(props: StackProps = {}) {
  const stack = new Stack(noBundling(), 'FnTest', props);
  const fn = new GridflowFunction(stack, 'Sync', { entry: 'functions/workflow/sync.ts', countyFile: 'counties/shouyang.json' });
  return { stack, fn };
}

describe('GridflowFunction defaults', () => {
  const { stack, fn } = oneFunction();
  const template = Template.fromStack(stack);

  it('runs Node.js on arm64 (24, or 22 when deployed to China) with explicit memory and timeout, without --enable-source-maps', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: { 'Fn::If': ['GridflowIsChinaPartition', 'nodejs22.x', 'nodejs24.x'] },
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 10,
      Handler: 'index.handler',
    });
    // The bundle maps its stack traces itself, on the first one (functions/commons/stack-traces.ts).
    for (const f of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect((f as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment?.Variables?.NODE_OPTIONS).toBeUndefined();
    }
  });

  it('carries the gridflow:entry metadata the local runtime maps Lambda ARNs with', () => {
    template.hasResource('AWS::Lambda::Function', { Metadata: Match.objectLike({ [ENTRY_METADATA]: 'functions/workflow/sync.ts' }) });
    expect(fn.entryPath).toBe('functions/workflow/sync.ts');
  });

  it('logs to its own log group with retention, kept when the stack goes', () => {
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 365 }, DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^SyncLogs') } } });
  });

  it('has a role with no managed policy, writing only to its log group (plus X-Ray, which has no resource ARNs)', () => {
    const roles = template.findResources('AWS::IAM::Role');
    expect(Object.keys(roles)).toHaveLength(1);
    expect(Object.values(roles)[0]!.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = statementsOfRole(template.toJSON(), Object.keys(roles)[0]!);
    expect(actionsOf(statements)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('traces with X-Ray, decided at deploy time for an agnostic stack (Lambda has no X-Ray in China)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: { 'Fn::If': ['GridflowIsChinaPartition', 'PassThrough', 'Active'] } },
    });
    template.hasCondition('GridflowIsChinaPartition', { 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws-cn'] });
  });
});

describe('GridflowFunction by region', () => {
  it('traces Active in a commercial region', () => {
    const t = Template.fromStack(oneFunction({ env: { region: 'ap-east-1', account: '111111111111' } }).stack);
    t.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
  });

  it('runs nodejs24.x outside China and nodejs22.x in China (LAMBDA_RUNTIMES), decided at deploy time when agnostic', () => {
    const runtime = (env?: { region: string; account: string }) => Template.fromStack(oneFunction(env ? { env } : {}).stack).toJSON() as Json;
    const fnProps = (t: Json) => Object.values(t.Resources as Record<string, Json>).find((r) => r.Type === 'AWS::Lambda::Function')!.Properties;
    expect(fnProps(runtime({ region: 'eu-west-1', account: '111111111111' })).Runtime).toBe('nodejs24.x');
    expect(fnProps(runtime({ region: 'cn-north-1', account: '111111111111' })).Runtime).toBe('nodejs22.x');
    expect(fnProps(runtime()).Runtime).toEqual({ 'Fn::If': ['GridflowIsChinaPartition', 'nodejs22.x', 'nodejs24.x'] });
  });

  it('does not trace in a China region', () => {
    const t = Template.fromStack(oneFunction({ env: { region: 'cn-northwest-1', account: '111111111111' } }).stack);
    t.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: Match.absent() });
    expect(JSON.stringify(t.toJSON())).not.toContain('xray:');
  });
});

describe('grant helpers', () => {
  const stack = new Stack(noBundling(), 'Grants');
  const table = new dynamodb.Table(stack, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  const reader = new GridflowFunction(stack, 'Reader', { entry: 'functions/api/list-incidents.ts' });
  const writer = new GridflowFunction(stack, 'Writer', { entry: 'functions/api/act.ts' });
  const machine = new sfn.StateMachine(stack, 'M', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'P')) });
  reader.grantIndexQuery(table, ['gridOpen', 'active']);
  writer.grantTable(table, ['PutItem', 'UpdateItem']);
  writer.grantSecrets(['gridflow/x/wecom-a', 'gridflow/x/wecom-a', 'gridflow/x/sms']);
  writer.allowStates(['states:SendTaskSuccess', 'states:DescribeExecution'], machine);
  const template = Template.fromStack(stack).toJSON() as Json;
  const roleId = (fn: GridflowFunction) => stack.getLogicalId(fn.executionRole.node.defaultChild as never);
  const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(table.node.defaultChild as never), 'Arn'] };

  it('grantIndexQuery: Query on exactly the named indexes, not on the table', () => {
    const dynamo = statementsOfRole(template, roleId(reader)).filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(actionsOf(dynamo)).toEqual(['dynamodb:Query']);
    expect(dynamo[0]!.Resource).toEqual([
      { 'Fn::Join': ['', [tableArn, '/index/gridOpen']] },
      { 'Fn::Join': ['', [tableArn, '/index/active']] },
    ]);
  });

  it('grantTable: exactly the named item actions on the base table only', () => {
    const dynamo = statementsOfRole(template, roleId(writer)).filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(actionsOf(dynamo)).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(dynamo[0]!.Resource).toEqual(tableArn);
  });

  it('grantSecrets: GetSecretValue on each named secret once, with Secrets Manager\'s six-character suffix', () => {
    const secrets = statementsOfRole(template, roleId(writer)).filter((s) => s.Action === 'secretsmanager:GetSecretValue');
    expect(secrets).toHaveLength(1);
    const resources = (secrets[0]!.Resource as Json[]).map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(2);
    expect(resources[0]).toContain(':secret:gridflow/x/sms-??????');
    expect(resources[1]).toContain(':secret:gridflow/x/wecom-a-??????');
  });

  it('allowStates: task answers on the state machine, DescribeExecution on its executions only', () => {
    const states = statementsOfRole(template, roleId(writer)).filter((s) => JSON.stringify(s.Action).includes('states:'));
    const machineId = stack.getLogicalId(machine.node.defaultChild as never);
    expect(states).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'states:SendTaskSuccess', Resource: { Ref: machineId } }),
      expect.objectContaining({
        Action: 'states:DescribeExecution',
        Resource: { 'Fn::Join': ['', expect.arrayContaining([':execution:', { 'Fn::GetAtt': [machineId, 'Name'] }, ':*'])] },
      }),
    ]));
  });
});

describe('bundling (esbuild, one function)', () => {
  // The one test that runs esbuild: the entry imports through package.json "imports" (#domain/...), and the
  // county file must land next to the bundle as county.json.
  const outdir = mkdtempSync(join(tmpdir(), 'gridflow-bundle-test-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Bundled');
  new GridflowFunction(stack, 'Claims', { entry: 'infra/constructs/pre-token-claims.ts', countyFile: 'test/fixtures/counties/testville.json' });
  app.synth();
  const assetDir = readdirSync(outdir).map((d) => join(outdir, d)).find((d) => existsSync(join(d, 'index.mjs')))!;

  it('writes an ESM bundle with a source map and the validated county file as county.json', () => {
    expect(assetDir).toBeDefined();
    const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(bundle.startsWith("import { createRequire as __gridflowCreateRequire } from 'node:module';")).toBe(true);
    expect(bundle).not.toMatch(/from\s*["']#domain\//);
    expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
    expect(JSON.parse(readFileSync(join(assetDir, 'county.json'), 'utf8'))).toEqual(loadCountyFile(join(REPO_ROOT, 'test/fixtures/counties/testville.json')));
  });

  it('runs: the bundled handler maps custom attributes to claims and refuses a user without a role', async () => {
    const mod = (await import(pathToFileURL(join(assetDir, 'index.mjs')).href)) as { handler: (e: Json) => Promise<Json> };
    const saved = { COUNTY_ID: process.env.COUNTY_ID, CITY_ID: process.env.CITY_ID };
    process.env.COUNTY_ID = 'testville';
    process.env.CITY_ID = 'testcity';
    try {
      const event = (attrs: Record<string, string>) => ({ request: { userAttributes: attrs }, response: {} });
      const out = await mod.handler(event({ 'custom:role': 'town', 'custom:scope': 'north' }));
      expect(out.response.claimsOverrideDetails.claimsToAddOrOverride).toEqual({ role: 'town', scope: 'north' });
      await expect(mod.handler(event({ 'custom:scope': 'north' }))).rejects.toThrow(/no valid role/);
      await expect(mod.handler(event({ 'custom:role': 'county', 'custom:scope': 'elsewhere' }))).rejects.toThrow(/must be testville/);
    } finally {
      for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
    }
  });
});

describe('bundling: the county a function reads', () => {
  // Validated at synth; the bundle reads it as is, so the county schema (zod) is neither bundled nor run.
  const outdir = mkdtempSync(join(tmpdir(), 'gridflow-bundle-county-'));
  const app = new App({ outdir });
  new GridflowFunction(new Stack(app, 'County'), 'County', { entry: 'test/fixtures/county-handler.ts', countyFile: 'test/fixtures/counties/calendarville.json' });
  app.synth();
  const assetDir = readdirSync(outdir).map((d) => join(outdir, d)).find((d) => existsSync(join(d, 'index.mjs')))!;

  it('answers the county the loader validates, defaults filled in, without the county schema in the bundle', async () => {
    const saved = process.env.LAMBDA_TASK_ROOT;
    process.env.LAMBDA_TASK_ROOT = assetDir;
    try {
      const mod = (await import(pathToFileURL(join(assetDir, 'index.mjs')).href)) as { handler: () => Promise<Json> };
      expect(await mod.handler()).toEqual(loadCountyFile(join(REPO_ROOT, 'test/fixtures/counties/calendarville.json')));
    } finally {
      if (saved === undefined) delete process.env.LAMBDA_TASK_ROOT; else process.env.LAMBDA_TASK_ROOT = saved;
    }
    const sources = (JSON.parse(readFileSync(join(assetDir, 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources;
    for (const gone of ['county-schema.ts', 'county-loader.ts', 'calendar-schema.ts', 'deployment-schema.ts']) {
      expect({ gone, found: sources.filter((f) => f.endsWith(`functions/config/${gone}`)) }).toEqual({ gone, found: [] });
    }
  });

  it('maps a stack trace to the source without --enable-source-maps, as the function runs (no NODE_OPTIONS)', () => {
    const loader = `const m = await import(${JSON.stringify(pathToFileURL(join(assetDir, 'index.mjs')).href)}); try { m.fail(); } catch (e) { process.stdout.write(e.stack); }`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', loader], { cwd: assetDir, env: { PATH: process.env.PATH ?? '', LAMBDA_TASK_ROOT: assetDir }, encoding: 'utf8' });
    expect(run.stdout).toMatch(/^Error: fixture failure\n {4}at \S+ \(\S*test\/fixtures\/county-handler\.ts:11:9\)/);
  });
});

describe('bundling: the SDK\'s credentials in a Lambda bundle', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'gridflow-bundle-sdk-'));
  const app = new App({ outdir });
  new GridflowFunction(new Stack(app, 'Sdk'), 'Sdk', { entry: 'test/fixtures/sdk-credentials-handler.ts' });
  app.synth();
  const assetDir = readdirSync(outdir).map((d) => join(outdir, d)).find((d) => existsSync(join(d, 'index.mjs')))!;

  it('carries only the environment link of the default chain (no SSO, ini, process, web identity, metadata providers)', () => {
    const sources = (JSON.parse(readFileSync(join(assetDir, 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources;
    expect(sources.some((f) => f.endsWith('functions/commons/lambda-credentials.ts'))).toBe(true);
    expect(sources.some((f) => f.includes('@aws-sdk/client-dynamodb/'))).toBe(true);
    for (const gone of ['credential-provider-node', 'credential-provider-sso', 'credential-provider-ini', 'credential-provider-web-identity', 'credential-provider-imds', 'nested-clients']) {
      expect({ gone, found: sources.filter((f) => f.includes(`/${gone}/`)) }).toEqual({ gone, found: [] });
    }
  });

  it('resolves the role credentials Lambda puts in the environment', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'ASIAROLE', AWS_SECRET_ACCESS_KEY: 'role-secret', AWS_SESSION_TOKEN: 'role-session' });
    try {
      const mod = (await import(pathToFileURL(join(assetDir, 'index.mjs')).href)) as { handler: () => Promise<Json> };
      expect(await mod.handler()).toEqual({ accessKeyId: 'ASIAROLE', sessionToken: 'role-session' });
    } finally {
      for (const [k, v] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret], ['AWS_SESSION_TOKEN', saved.token]] as const) {
        if (v === undefined) delete process.env[k]; else process.env[k] = v;
      }
    }
  });
});
