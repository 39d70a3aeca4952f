import { Template } from 'aws-cdk-lib/assertions';
import type { County } from '#config/county-schema.js';
import { actionsOf, allTemplates, build, resourcesOf, statementsOfRole, yuci, type Json } from './support.js';

/** counties/yuci.json: cn-north-1 (account from the CLI environment), external OIDC issuer. */
describe.each([
  ['cn-north-1', yuci()],
  ['cn-northwest-1', { ...yuci(), deployment: { ...yuci().deployment!, region: 'cn-northwest-1' } } as County],
])('a county in %s with an external issuer', (region, county) => {
  const built = build([county], { defaultEnv: { account: '210987654321' } });
  const templates = allTemplates(built);
  const countyJson = templates['Gridflow-yuci.template.json']!;
  const template = Template.fromJSON(countyJson);
  const every = Object.values(templates);

  it('is pinned to the county\'s region, with the account from the environment', () => {
    const stack = built.counties.get('yuci')!;
    expect([stack.account, stack.region]).toEqual(['210987654321', region]);
    expect(built.cities.get('jinzhong')!.region).toBe(region);
  });

  it('has no user pool: the API trusts the county\'s OIDC issuer', () => {
    for (const t of every) expect(resourcesOf(t, 'AWS::Cognito::UserPool')).toEqual([]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://idp.yuci.example.cn/realms/yuci', Audience: ['gridflow'] },
    });
  });

  it('has no SMS subscription in any of its stacks (SNS has no SMS in China), and e-mail ones remain', () => {
    const subs = every.flatMap((t) => resourcesOf(t, 'AWS::SNS::Subscription').map(([, s]) => s.Properties as Json));
    expect(subs.filter((s) => s.Protocol === 'sms')).toEqual([]);
    expect(subs.filter((s) => s.Protocol === 'email').length).toBeGreaterThan(0);
  });

  it('does not enable Lambda X-Ray (absent in China) but keeps Step Functions tracing', () => {
    for (const [, fn] of resourcesOf(countyJson, 'AWS::Lambda::Function')) expect(fn.Properties.TracingConfig).toBeUndefined();
    const functionRoles = resourcesOf(countyJson, 'AWS::IAM::Role').filter(([, r]) => String(r.Properties.Description).startsWith('gridflow ')).map(([id]) => id);
    expect(functionRoles.length).toBeGreaterThan(0);
    for (const role of functionRoles) expect(actionsOf(statementsOfRole(countyJson, role)).filter((a) => a.startsWith('xray:'))).toEqual([]);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true } });
  });

  it('needs no deploy-time partition conditions: everything was decided at synth time', () => {
    for (const t of every) expect(Object.keys(t.Conditions ?? {})).toEqual([]);
  });
});

describe('a China county without an external issuer', () => {
  it('fails to synthesize with a message saying what to set', () => {
    const { identity: _dropped, ...deployment } = yuci().deployment!;
    expect(() => build([{ ...yuci(), deployment }])).toThrow(/Cognito user pools do not exist: set deployment.identity/);
  });
});
