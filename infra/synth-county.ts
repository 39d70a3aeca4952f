/**
 * One county's CloudFormation template, synthesized in-process: the local runtime calls this at start-up to
 * run the very state machine the cloud runs, and tests use it. Without bundling (the default) no esbuild runs
 * (CDK context `aws:cdk:bundling-stacks` = []), so it takes seconds.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { County } from '#config/county-schema.js';
import { addGridflowStacks } from './app.js';

export interface SynthCountyOptions {
  /** Run esbuild for the functions (slow; proves the bundles). @default false */
  readonly bundle?: boolean;
  /**
   * The console build the stack uploads. The local runtime serves the console itself and reads only the state
   * machine from this template, so it needs no build.
   * @default - an empty page
   */
  readonly consoleDist?: string;
}

export interface SynthesizedCounty {
  readonly template: Record<string, unknown>;
  readonly stackName: string;
  /** The county stack's nested stacks' templates (one per town's subscriptions...), by file name. */
  readonly nestedTemplates: Record<string, Record<string, unknown>>;
}

/** The county stack's template, built with its city stack exactly as the app builds it. */
export function synthCountyTemplate(county: County, opts: SynthCountyOptions = {}): SynthesizedCounty {
  const outdir = mkdtempSync(join(tmpdir(), 'gridflow-synth-'));
  try {
    // The bundle carries the county it was given, which need not be a file under counties/.
    const countyFile = join(outdir, `${county.id}.county.json`);
    writeFileSync(countyFile, JSON.stringify(county, null, 2));
    const app = new App({
      outdir,
      analyticsReporting: false,
      // The CloudFormation schema/lint pass costs seconds at every start of the local runtime; `cdk synth`
      // (infra/app.ts) keeps it.
      builtinCloudFormationValidation: false,
      context: opts.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
    });
    const consoleDist = opts.consoleDist ?? join(outdir, 'console-placeholder');
    if (!opts.consoleDist) {
      mkdirSync(consoleDist);
      writeFileSync(join(consoleDist, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"><title>gridflow</title></head><body></body></html>\n');
    }
    const stack = addGridflowStacks(app, [county], { countyFile: () => countyFile, consoleDist }).counties.get(county.id)!;
    const template = app.synth().getStackByName(stack.stackName).template as Record<string, unknown>;
    const nestedTemplates = Object.fromEntries(readdirSync(outdir).filter((f) => f.endsWith('.nested.template.json'))
      .map((f) => [f, JSON.parse(readFileSync(join(outdir, f), 'utf8')) as Record<string, unknown>]));
    return { template, stackName: stack.stackName, nestedTemplates };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A CloudFormation string: literal, or an `Fn::Join` of literals and references (ARNs of the functions...). */
export type DefinitionString = string | { 'Fn::Join': [string, unknown[]] };

/** The DefinitionString of the template's single AWS::StepFunctions::StateMachine. */
export function stateMachineDefinitionOf(template: Record<string, unknown>): DefinitionString {
  const resources = (template.Resources ?? {}) as Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one AWS::StepFunctions::StateMachine, found ${machines.length}`);
  const definition = machines[0]![1].Properties?.DefinitionString;
  if (definition === undefined) throw new Error(`state machine ${machines[0]![0]} has no DefinitionString`);
  return definition as DefinitionString;
}
