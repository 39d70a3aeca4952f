/**
 * Shared by the infra tests: build the app's stacks for given counties without esbuild (CDK context
 * `aws:cdk:bundling-stacks` = []), read every synthesized template (nested ones included), and small
 * readers over CloudFormation JSON.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { parseCounty } from '#config/county-loader.js';
import type { County } from '#config/county-schema.js';
import { REPO_ROOT } from '#infra/constructs/gridflow-function.js';
import { addGridflowStacks, type AddStacksOptions, type GridflowStacks } from '#infra/app.js';

export type Json = Record<string, any>; // test-only: walking synthesized JSON

export function countyFile(path: string): County {
  return parseCounty(readFileSync(join(REPO_ROOT, path), 'utf8'), path);
}

export const shouyang = (): County => countyFile('counties/shouyang.json');
export const yuci = (): County => countyFile('counties/yuci.json');
export const testville = (): County => countyFile('test/fixtures/counties/testville.json');
export const testville4 = (): County => countyFile('test/fixtures/counties/testville4.json');

export interface Built extends GridflowStacks { app: App; outdir: string }

/** A console build of three files (index.html, a hashed chunk, a favicon): what the stacks upload in tests. */
export const CONSOLE_FIXTURE = 'test/fixtures/console-dist';

/** The app's stacks for `counties`, unsynthesized, with bundling skipped. */
export function build(counties: readonly County[], opts: AddStacksOptions = {}): Built {
  const outdir = mkdtempSync(join(tmpdir(), 'gridflow-infra-test-'));
  // CDK's built-in CloudFormation lint pass runs in app.test.ts (through buildApp); here it would only cost time.
  const app = new App({ outdir, analyticsReporting: false, builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
  return { app, outdir, ...addGridflowStacks(app, counties, { consoleDist: CONSOLE_FIXTURE, ...opts }) };
}

/** Synthesizes and returns every template of the assembly by file name, nested stacks included. */
export function allTemplates(built: Built): Record<string, Json> {
  built.app.synth();
  const out: Record<string, Json> = {};
  for (const f of readdirSync(built.outdir)) {
    if (f.endsWith('.template.json')) out[f] = JSON.parse(readFileSync(join(built.outdir, f), 'utf8')) as Json;
  }
  return out;
}

export const resourcesOf = (template: Json, type: string): [string, Json][] =>
  Object.entries(template.Resources ?? {}).filter(([, r]) => (r as Json).Type === type) as [string, Json][];

/** IAM statements of every AWS::IAM::Policy attached to the role with this logical id. */
export function statementsOfRole(template: Json, roleLogicalId: string): Json[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === roleLogicalId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
}

export const actionsOf = (statements: readonly Json[]): string[] =>
  [...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[]))].sort();

/** The DefinitionString with every intrinsic replaced by a placeholder, parsed. */
export function definitionJson(definition: unknown): Json {
  if (typeof definition === 'string') return JSON.parse(definition) as Json;
  const [sep, parts] = (definition as Json)['Fn::Join'] as [string, unknown[]];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : `<${JSON.stringify(p).replace(/"/g, "'")}>`)).join(sep)) as Json;
}
