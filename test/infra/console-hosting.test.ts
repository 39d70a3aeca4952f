/**
 * The console in the cloud (infra/constructs/console-hosting.ts and its wiring in the county stack): a private
 * bucket behind CloudFront with origin access control, the SPA fallback, the security headers, the files and
 * config.json written at deploy time, the user pool's console client, and the API's CORS.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { consoleConfig } from '#config/public-county.js';
import { withConnectPolicy } from '#infra/constructs/console-hosting.js';
import { allTemplates, build, resourcesOf, testville, type Json } from './support.js';

/** A deployment's staged file, with each deploy-time marker written as the CloudFormation value it stands for. */
function deployedFile(outdir: string, template: Json, deploymentId: RegExp, file: string): string {
  const [, deployment] = resourcesOf(template, 'Custom::CDKBucketDeployment').find(([id]) => deploymentId.test(id))!;
  const { SourceObjectKeys: keys, SourceMarkers: markers } = deployment.Properties as { SourceObjectKeys: string[]; SourceMarkers?: Json[] };
  for (const [i, key] of keys.entries()) {
    const path = join(outdir, `asset.${key.replace(/\.zip$/, '')}`, file);
    if (!existsSync(path)) continue;
    let text = readFileSync(path, 'utf8');
    for (const [marker, value] of Object.entries(markers?.[i] ?? {})) text = text.split(marker).join(cfn(value));
    return text;
  }
  throw new Error(`no ${file} in ${deploymentId}`);
}

/** `{Ref: X}` -> `${X}`, `{Fn::GetAtt: [X, Y]}` -> `${X.Y}`: readable placeholders for deploy-time values. */
function cfn(value: unknown): string {
  const v = value as Json;
  if (v.Ref) return `\${${String(v.Ref).replace(/[0-9A-F]{8}$/, '')}}`;
  if (v['Fn::GetAtt']) return `\${${String(v['Fn::GetAtt'][0]).replace(/[0-9A-F]{8}$/, '')}.${v['Fn::GetAtt'][1]}}`;
  return JSON.stringify(value);
}

/** An environment-agnostic county with its own user pool (the demo counties are China counties). */
const county = testville();
const built = build([county]);
const stack = built.counties.get('testville')!;
const templates = allTemplates(built);
const json = templates['Gridflow-testville.template.json']!;
const template = Template.fromJSON(json);
const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
const distributionId = logicalId(stack.console.distribution);
const distributionDomain = { 'Fn::GetAtt': [distributionId, 'DomainName'] };
const consoleOrigin = { 'Fn::Join': ['', ['https://', distributionDomain]] };

describe('the bucket', () => {
  const siteId = logicalId(stack.console.bucket);

  it('is private, encrypted, logged and retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(stack.console.logBucket) }, LogFilePrefix: 'site/' },
      }),
    });
    expect(json.Resources[siteId].Properties.WebsiteConfiguration).toBeUndefined();
  });

  it('refuses plain HTTP and lets only this distribution read, through origin access control', () => {
    const [, policy] = resourcesOf(json, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === siteId)!;
    const statements = policy.Properties.PolicyDocument.Statement as Json[];
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([expect.objectContaining({
      Action: 's3:GetObject',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [siteId, 'Arn'] }, '/*']] },
      Condition: { StringEquals: { 'AWS:SourceArn': { 'Fn::Join': ['', expect.arrayContaining([':distribution/', { Ref: distributionId }])] } } },
    })]);
  });
});

describe('the distribution', () => {
  it('reads the bucket with origin access control (SigV4), not an origin access identity', () => {
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [Match.objectLike({ OriginAccessControlId: { 'Fn::GetAtt': [Match.stringLikeRegexp('OriginAccessControl'), 'Id'] }, S3OriginConfig: { OriginAccessIdentity: '' } })],
      }),
    });
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
  });

  it('serves /console/index.html for client routes, / from a page that redirects to /console/, HTTPS only, logged', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        CustomErrorResponses: [
          { ErrorCode: 403, ResponseCode: 200, ResponsePagePath: '/console/index.html', ErrorCachingMinTTL: 0 },
          { ErrorCode: 404, ResponseCode: 200, ResponsePagePath: '/console/index.html', ErrorCachingMinTTL: 0 },
        ],
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'], ResponseHeadersPolicyId: { Ref: logicalId(stack.console.headersPolicy) } }),
        Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
      }),
    });
    expect(deployedFile(built.outdir, json, /^ConsoleRoot/, 'index.html')).toContain('<meta http-equiv="refresh" content="0; url=/console/">');
  });

  it('sends the CSP, HSTS, no framing, nosniff and no referrer', () => {
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: Match.anyValue(), Override: true },
          StrictTransportSecurity: { AccessControlMaxAgeSec: 31_536_000, IncludeSubdomains: false, Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ContentTypeOptions: { Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
        },
      }),
    });
    const [, policy] = resourcesOf(json, 'AWS::CloudFront::ResponseHeadersPolicy')[0]!;
    const csp = cspText(policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives).toMatchObject({
      'default-src': ["'self'"], 'script-src': ["'self'"], 'object-src': ["'none'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'self'"],
    });
    // The identity provider exactly; the API by its region's host (see withConnectPolicy for the exact origin).
    expect(directives['connect-src']).toEqual([
      "'self'", 'https://*.execute-api.${AWS::Region}.${AWS::URLSuffix}',
      'https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}', 'https://${IdentityUsersSignIn}.auth.${AWS::Region}.amazoncognito.com',
    ]);
  });
});

/** A CSP value (a string or an Fn::Join of strings and references) with its references as placeholders. */
function cspText(value: unknown): string {
  if (typeof value === 'string') return value;
  const [sep, parts] = (value as Json)['Fn::Join'] as [string, unknown[]];
  return parts.map((p) => (typeof p === 'string' ? p : cfn(p))).join(sep);
}

describe('what is uploaded at deploy time', () => {
  it('config.json names the API endpoint, the user pool and the console client as CloudFormation values, and the county\'s public view', () => {
    const config = JSON.parse(deployedFile(built.outdir, json, /^ConsolePages/, 'config.json')) as Json;
    expect(config).toEqual({
      apiUrl: '${HttpApi.ApiEndpoint}',
      auth: {
        kind: 'oidc',
        authority: 'https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${IdentityUsers}',
        clientId: '${IdentityUsersConsoleClient}',
        scope: 'openid profile email',
      },
      county: consoleConfig(county, { apiUrl: 'x', auth: { kind: 'local' } }).county,
    });
    // Not baked into the build: the file exists only in the deployment.
    expect(readdirSync('test/fixtures/console-dist')).not.toContain('config.json');
  });

  it('index.html carries a CSP whose connect-src is exactly the API origin and the identity provider', () => {
    const html = deployedFile(built.outdir, json, /^ConsolePages/, 'index.html');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="connect-src 'self' \${HttpApi.ApiEndpoint} `
      + 'https://cognito-idp.${AWS::Region}.${AWS::URLSuffix} https://${IdentityUsersSignIn}.auth.${AWS::Region}.amazoncognito.com">');
    // Before the first script: a policy only governs what loads after it.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<script'));
  });

  it('uploads hashed assets as immutable, pages as no-cache after them, and invalidates the console', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: 'console/assets/', Prune: false, SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
    });
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: 'console/', Prune: false, SystemMetadata: { 'cache-control': 'no-cache' },
      DistributionId: { Ref: distributionId }, DistributionPaths: ['/console/*', '/index.html'],
    });
    const [pagesId, pages] = resourcesOf(json, 'Custom::CDKBucketDeployment').find(([id]) => id.startsWith('ConsolePages'))!;
    const [assetsId] = resourcesOf(json, 'Custom::CDKBucketDeployment').find(([id]) => id.startsWith('ConsoleAssets'))!;
    expect(pages.DependsOn).toContain(assetsId);
    expect(deployedFile(built.outdir, json, /^ConsoleAssets/, 'index-fixture1.js')).toContain('fixture');
    expect(deployedFile(built.outdir, json, new RegExp(`^${pagesId}$`), 'favicon.svg')).toContain('<svg');
  });
});

describe('sign-in and the API', () => {
  it('the user pool has a public console client: authorization code (PKCE) only, back to the console', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'profile', 'email'],
      CallbackURLs: [{ 'Fn::Join': ['', ['https://', distributionDomain, '/console/sign-in']] }],
      LogoutURLs: [{ 'Fn::Join': ['', ['https://', distributionDomain, '/console/']] }],
      SupportedIdentityProviders: ['COGNITO'],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { ManagedLoginVersion: 2 });
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', { ClientId: { Ref: Match.stringLikeRegexp('^IdentityUsersConsoleClient') } });
  });

  it('the API accepts the console client\'s tokens and admits the console\'s origin (CORS)', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: Match.objectLike({
        Audience: [{ Ref: Match.stringLikeRegexp('^IdentityUsersApiClient') }, { Ref: Match.stringLikeRegexp('^IdentityUsersConsoleClient') }],
      }),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [consoleOrigin],
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: ['authorization', 'content-type', 'idempotency-key', 'accept-language'],
        AllowCredentials: false,
        MaxAge: 7200,
      },
    });
  });

  it('notifications link to the console', () => {
    const sync = json.Resources[logicalId(stack.functions.sync)];
    expect(sync.Properties.Environment.Variables.CONSOLE_URL).toEqual({ 'Fn::Join': ['', ['https://', distributionDomain, '/console']] });
    expect(json.Outputs.ConsoleUrl.Value).toEqual({ 'Fn::Join': ['', ['https://', distributionDomain, '/console/']] });
  });
});

describe('a county with its own console domain', () => {
  const certificate = 'arn:aws:acm:us-east-1:210987654321:certificate/11111111-2222-3333-4444-555555555555';
  const own = build([{ ...county, deployment: { console: { domain: 'gridflow.testville.example.cn', certificate } } }]);
  const ownJson = allTemplates(own)['Gridflow-testville.template.json']!;
  const t = Template.fromJSON(ownJson);

  it('serves it with its ACM certificate and TLS 1.2, and uses it everywhere a URL is given', () => {
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['gridflow.testville.example.cn'],
        ViewerCertificate: { AcmCertificateArn: certificate, SslSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' },
      }),
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://gridflow.testville.example.cn'] }) });
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', { CallbackURLs: ['https://gridflow.testville.example.cn/console/sign-in'] });
    const sync = ownJson.Resources[own.counties.get('testville')!.getLogicalId(own.counties.get('testville')!.functions.sync.node.defaultChild as never)];
    expect(sync.Properties.Environment.Variables.CONSOLE_URL).toBe('https://gridflow.testville.example.cn/console');
  });
});

describe('the console build', () => {
  it('is required: a synth without it says how to build it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'gridflow-no-console-'));
    expect(() => build([county], { consoleDist: empty })).toThrow(/the console is not built: .*index\.html is missing\. Build it first \(npm run build -w console\)/);
  });

  it('gets its policy before anything that loads, whatever the head holds', () => {
    expect(withConnectPolicy('<html><head><title>x</title><script src="/a.js"></script></head></html>', ['https://api.example.cn']))
      .toBe('<html><head>\n    <meta http-equiv="Content-Security-Policy" content="connect-src \'self\' https://api.example.cn"><title>x</title><script src="/a.js"></script></head></html>');
    expect(() => withConnectPolicy('<p>no head</p>', [])).toThrow(/no <head>/);
  });

  it('may be any folder with an index.html (no assets folder, no other files)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridflow-console-min-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
    const minimal = build([county], { consoleDist: dir });
    const t = allTemplates(minimal)['Gridflow-testville.template.json']!;
    expect(resourcesOf(t, 'Custom::CDKBucketDeployment').map(([id]) => id.replace(/CustomResource.*$/, '')).sort()).toEqual(['ConsolePages', 'ConsoleRoot']);
  });
});
