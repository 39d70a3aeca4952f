/**
 * `cdk deploy --all` as far as this machine goes without an AWS account: every stack of every county file
 * synthesizes (nested stacks included), every state machine definition passes asl-validator (AWS States
 * Language schema, transitions, terminal states, ARNs), and every template stays within CloudFormation's
 * quotas. What only a real deploy shows is listed in the README ("Deploying a county").
 */
import { createRequire } from 'node:module';
import { loadAllCounties } from '#config/county-loader.js';
import { allTemplates, build, testville, testville4, type Json } from './support.js';

/** CloudFormation quotas per template (AWS CloudFormation User Guide, "Quotas"). */
export const CFN_LIMITS = { resources: 500, outputs: 200, parameters: 200, mappings: 200, bytes: 1_000_000 } as const;

type Validate = (definition: unknown) => { isValid: boolean; errorsText: (sep?: string) => string };
// asl-validator 4.0.0 ships CommonJS without types.
const validate = createRequire(import.meta.url)('asl-validator') as Validate;

/** A DefinitionString with its intrinsics resolved to plausible values of one deployment. */
function concreteDefinition(definition: unknown): Json {
  const value = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const p = part as Json;
    if (p.Ref === 'AWS::Partition') return 'aws-cn';
    if (p.Ref === 'AWS::Region') return 'cn-north-1';
    if (p.Ref === 'AWS::AccountId') return '210987654321';
    if (p.Ref === 'AWS::URLSuffix') return 'amazonaws.com.cn';
    if (Array.isArray(p['Fn::GetAtt'])) return `arn:aws-cn:lambda:cn-north-1:210987654321:function:${String(p['Fn::GetAtt'][0])}`;
    if (p.Ref) return `arn:aws-cn:lambda:cn-north-1:210987654321:function:${String(p.Ref)}`;
    throw new Error(`unexpected intrinsic in a definition: ${JSON.stringify(p)}`);
  };
  if (typeof definition === 'string') return JSON.parse(definition) as Json;
  const [sep, parts] = (definition as Json)['Fn::Join'] as [string, unknown[]];
  return JSON.parse(parts.map(value).join(sep)) as Json;
}

describe.each([
  ['the counties/ files', () => loadAllCounties(), { account: '210987654321' }],
  ['the test fixtures (environment-agnostic, Cognito)', () => [testville(), testville4()], {}],
])('a dry run of cdk deploy --all for %s', (_name, counties, defaultEnv) => {
  const templates = allTemplates(build(counties(), { defaultEnv }));
  const machines = Object.entries(templates).flatMap(([file, t]) => Object.entries((t.Resources ?? {}) as Record<string, Json>)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine').map(([id, r]) => [`${file} ${id}`, r.Properties.DefinitionString] as const));

  it('synthesizes a template for every stack, county and city, nested ones included', () => {
    const files = Object.keys(templates);
    for (const c of counties()) {
      expect(files).toContain(`Gridflow-${c.id}.template.json`);
      expect(files).toContain(`Gridflow-City-${c.city.id}.template.json`);
    }
    expect(files.some((f) => f.includes('NotificationsPeople') && f.endsWith('.nested.template.json'))).toBe(true);
  });

  it('every state machine definition passes asl-validator', () => {
    expect(machines.length).toBe(counties().length);
    for (const [where, definition] of machines) {
      const result = validate(concreteDefinition(definition));
      expect({ where, errors: result.errorsText() }).toEqual({ where, errors: '' });
      expect(result.isValid).toBe(true);
    }
  });

  it('every template is within CloudFormation\'s quotas: resources, outputs, parameters, mappings, size', () => {
    for (const [file, t] of Object.entries(templates)) {
      const figures = {
        resources: Object.keys(t.Resources ?? {}).length,
        outputs: Object.keys(t.Outputs ?? {}).length,
        parameters: Object.keys(t.Parameters ?? {}).length,
        mappings: Object.keys(t.Mappings ?? {}).length,
        bytes: Buffer.byteLength(JSON.stringify(t)),
      };
      for (const [k, limit] of Object.entries(CFN_LIMITS)) {
        expect({ file, [k]: figures[k as keyof typeof figures] <= limit }).toEqual({ file, [k]: true });
      }
    }
  });
});

describe('the validator is not a rubber stamp', () => {
  it('refuses a definition whose transition leads nowhere', () => {
    const [, definition] = Object.entries(allTemplates(build([testville()]))['Gridflow-testville.template.json']!.Resources as Record<string, Json>)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine').map(([id, r]) => [id, r.Properties.DefinitionString] as const)[0]!;
    const broken = concreteDefinition(definition);
    const [first] = Object.keys(broken.States as Json);
    (broken.States as Json)[first!].Next = 'No such state';
    delete (broken.States as Json)[first!].End;
    expect(validate(broken).isValid).toBe(false);
  });
});
