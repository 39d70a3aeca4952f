import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
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
      JwtConfiguration: { Issuer: 'https://idp.yuci.example.cn/realms/yuci', Audience: ['gridflow', 'gridflow-console'] },
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

  it('serves the console on its ICP-filed domain with the IAM server certificate, through an origin access identity', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['gridflow.yuci.example.cn'],
        ViewerCertificate: { IamCertificateId: 'ASCAYUCICONSOLEEXAMPLE1', SslSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' },
        Origins: [Match.objectLike({ S3OriginConfig: { OriginAccessIdentity: Match.anyValue() } })],
        // CloudFront's managed policies are not in the China partition: the county's own cache policy.
        DefaultCacheBehavior: Match.objectLike({ CachePolicyId: { Ref: Match.stringLikeRegexp('^ConsoleCache') } }),
        HttpVersion: 'http2',
        PriceClass: 'PriceClass_All',
      }),
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 0);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://gridflow.yuci.example.cn'] }) });
  });

  it('signs the console in at the county\'s issuer with its console client (whose tokens the API accepts, above)', () => {
    const [, policy] = resourcesOf(countyJson, 'AWS::CloudFront::ResponseHeadersPolicy')[0]!;
    expect(JSON.stringify(policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy))
      .toMatch(/connect-src 'self' https:\/\/\*\.execute-api\.cn-north(west)?-1\.", *\{"Ref":"AWS::URLSuffix"\}," https:\/\/idp\.yuci\.example\.cn;/);
    const [, pages] = resourcesOf(countyJson, 'Custom::CDKBucketDeployment').find(([id]) => id.startsWith('ConsolePages'))!;
    const keys = pages.Properties.SourceObjectKeys as string[];
    const config = keys.map((k) => join(built.outdir, `asset.${k.replace(/\.zip$/, '')}`, 'config.json')).find((f) => existsSync(f))!;
    expect(JSON.parse(readFileSync(config, 'utf8')).auth).toEqual({
      kind: 'oidc', authority: 'https://idp.yuci.example.cn/realms/yuci', clientId: 'gridflow-console', scope: 'openid profile',
    });
  });

  it('needs no deploy-time partition conditions: everything was decided at synth time', () => {
    for (const t of every) expect(Object.keys(t.Conditions ?? {})).toEqual([]);
  });
});

describe('a China county without a console domain', () => {
  it('fails to synthesize with a message saying what to set', () => {
    const { console: _dropped, ...deployment } = yuci().deployment!;
    expect(() => build([{ ...yuci(), deployment }])).toThrow(/CloudFront serves content only on an ICP-filed domain with an IAM server certificate: set deployment.console/);
  });
});

describe('a China county without an external issuer', () => {
  it('fails to synthesize with a message saying what to set', () => {
    const { identity: _dropped, ...deployment } = yuci().deployment!;
    expect(() => build([{ ...yuci(), deployment }])).toThrow(/Cognito user pools do not exist: set deployment.identity/);
  });
});
