/**
 * cdk-nag 3 is a CDK policy-validation plugin: it reports violations to the synthesis (which then fails)
 * instead of writing error annotations, so `Annotations.fromStack(...).findError(...)` would always be empty.
 * These tests run the AwsSolutions pack on the construct tree directly (validateScope) and through a synth.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { loadAllCounties } from '#config/county-loader.js';
import { buildApp } from '#infra/app.js';
import { build, CONSOLE_FIXTURE, testville, testville4 } from './support.js';

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['the counties/ files', () => loadAllCounties()],
    ['the test fixtures', () => [testville(), testville4()]],
  ])('finds no unacknowledged error in %s', (_name, counties) => {
    const { app } = build(counties());
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const errors = report.violations.filter((v) => v.severity === 'error').map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(errors).toEqual([]);
  });

  it('gives every acknowledgement a reason', () => {
    const { app } = build(loadAllCounties());
    const acks: [string, string, unknown][] = [];
    const walk = (c: IConstruct) => {
      for (const m of c.node.metadata) {
        if (m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          for (const [id, reason] of Object.entries(m.data as Record<string, unknown>)) acks.push([c.node.path, id, reason]);
        }
      }
      c.node.children.forEach(walk);
    };
    walk(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const [path, id, reason] of acks) expect({ path, id, reasonLength: typeof reason === 'string' ? reason.length > 40 : reason }).toEqual({ path, id, reasonLength: true });
  });

  it('runs on every synth of the app: an unacknowledged finding stops it', () => {
    const app = buildApp(new App({ outdir: mkdtempSync(join(tmpdir(), 'gridflow-nag-test-')), context: { 'aws:cdk:bundling-stacks': [], consoleDist: CONSOLE_FIXTURE } }));
    const stack = app.node.findChild('Gridflow-yuci');
    new sqs.Queue(stack, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
  });
});
