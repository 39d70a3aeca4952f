import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { loadAllCounties } from '#config/county-loader.js';
import { renderDefinition, type CfnTemplate } from '#local/stepfunctions/definition.js';
import { buildApp, cityEnv } from '#infra/app.js';
import { stateMachineDefinitionOf, synthCountyTemplate } from '#infra/synth-county.js';
import { allTemplates, build, CONSOLE_FIXTURE, resourcesOf, shouyang, testville, testville4, yuci, type Json } from './support.js';

const appOf = (context: Record<string, unknown> = {}) => {
  const outdir = mkdtempSync(join(tmpdir(), 'gridflow-app-test-'));
  return { outdir, app: buildApp(new App({ outdir, analyticsReporting: false, context: { 'aws:cdk:bundling-stacks': [], consoleDist: CONSOLE_FIXTURE, ...context } })) };
};

describe('the CDK app', () => {
  const { app } = appOf({ opsEmails: 'ops@example.cn, oncall@example.cn', account: '210987654321' });
  const assembly = app.synth();
  const stacks = assembly.stacks;

  it('has one Gridflow-<countyId> stack per county file and one Gridflow-City-<cityId> per city', () => {
    const counties = loadAllCounties();
    const cities = [...new Set(counties.map((c) => c.city.id))];
    expect(stacks.map((s) => s.stackName).sort()).toEqual([
      ...counties.map((c) => `Gridflow-${c.id}`), ...cities.map((c) => `Gridflow-City-${c}`),
    ].sort());
  });

  it('deploys the demo counties and their city to cn-north-1, the account from the context or the CLI environment', () => {
    const env = (name: string) => assembly.getStackByName(name).environment;
    for (const name of ['Gridflow-yuci', 'Gridflow-shouyang', 'Gridflow-City-jinzhong']) expect(env(name)).toMatchObject({ account: '210987654321', region: 'cn-north-1' });
  });

  it('holds no placeholder account in any county file', () => {
    for (const c of loadAllCounties()) expect({ id: c.id, account: c.deployment?.account }).toEqual({ id: c.id, account: undefined });
    const text = loadAllCounties().map((c) => JSON.stringify(c)).join('');
    expect(text).not.toMatch(/123456789012|111111111111/);
  });

  it('subscribes the county\'s ops contacts and the addresses of the opsEmails context to every ops topic', () => {
    for (const name of ['Gridflow-shouyang', 'Gridflow-yuci']) {
      const subs = resourcesOf(assembly.getStackByName(name).template as Json, 'AWS::SNS::Subscription')
        .map(([, s]) => s.Properties).filter((p) => JSON.stringify(p.TopicArn).includes('AlarmsOpsTopic'));
      expect(subs.map((p) => p.Endpoint).sort()).toEqual(['oncall@example.cn', 'ops@example.cn', `ops@${name.slice('Gridflow-'.length)}.example.cn`].sort());
    }
  });

  it('refuses to synthesize an unpinned county for a China region where someone who must be told has no channel there', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'gridflow-app-test-'));
    const app = new App({ outdir, analyticsReporting: false, context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => build([testville()], { defaultEnv: { region: 'cn-northwest-1' } })).toThrow(/cannot deploy to cn-northwest-1:\n.*grid leader north-leader-1 has no channel that works in cn-northwest-1/);
    expect(app).toBeDefined();
  });
});

describe('every partition', () => {
  it.each([
    ['the counties/ files', () => loadAllCounties()],
    ['the test fixtures', () => [testville(), testville4()]],
  ])('no template of %s hard-codes arn:aws: (nested stacks included)', (_name, counties) => {
    const templates = allTemplates(build(counties()));
    expect(Object.keys(templates).length).toBeGreaterThan(2);
    for (const [file, t] of Object.entries(templates)) {
      expect({ file, hardCoded: JSON.stringify(t).includes('arn:aws:') }).toEqual({ file, hardCoded: false });
    }
  });
});

describe('environments', () => {
  it('cityEnv: the one environment of the city\'s counties', () => {
    expect(cityEnv([testville(), testville()])).toBeUndefined();
    expect(cityEnv([shouyang(), yuci()])).toEqual({ region: 'cn-north-1' });
    expect(() => cityEnv([yuci(), testville()])).toThrow(/one environment/);
  });
});

describe('synthCountyTemplate (what the local runtime runs)', () => {
  const county = testville();
  const started = Date.now();
  const synthesized = synthCountyTemplate(county);
  const elapsed = Date.now() - started;

  it('returns the county stack\'s template and name, without bundling', () => {
    expect(synthesized.stackName).toBe('Gridflow-testville');
    expect(resourcesOf(synthesized.template, 'AWS::StepFunctions::StateMachine')).toHaveLength(1);
    expect(elapsed).toBeLessThan(30_000);
  });

  it('yields the same state machine definition as the app\'s county stack', () => {
    const fromApp = allTemplates(build([county]))['Gridflow-testville.template.json']!;
    expect(stateMachineDefinitionOf(synthesized.template)).toEqual(stateMachineDefinitionOf(fromApp));
    expect(stateMachineDefinitionOf(synthesized.template)).toMatchObject({ 'Fn::Join': ['', expect.any(Array)] });
  });

  it('is what the local runtime executes: every task resolves to a handler file through gridflow:entry', () => {
    const { definition, functions } = renderDefinition(synthesized.template as CfnTemplate);
    const entries = Object.values(functions).map((f) => f.entry);
    expect(entries).toEqual(expect.arrayContaining(['functions/workflow/sync.ts', 'functions/workflow/await.ts']));
    const states = (definition as unknown as Json).States as Json;
    for (const level of county.ladder) expect(states[`${level}: await`]).toBeDefined();
  });

  it('stateMachineDefinitionOf wants exactly one state machine', () => {
    expect(() => stateMachineDefinitionOf({ Resources: {} })).toThrow(/found 0/);
    const m = { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: '{}' } };
    expect(() => stateMachineDefinitionOf({ Resources: { A: m, B: m } })).toThrow(/found 2/);
  });
});

describe('stack wiring', () => {
  it('makes the county stack depend on its city stack', () => {
    const b = build([testville()]);
    expect(b.counties.get('testville')!.dependencies).toContain(b.cities.get('testcity') as Stack);
  });
});
