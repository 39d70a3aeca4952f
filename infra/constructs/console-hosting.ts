/**
 * The web console in the cloud (contract §9, issue 8): the built console (`console/dist`) in a private,
 * encrypted S3 bucket behind CloudFront, under `https://<domain>/console/`.
 *
 * - Only CloudFront reads the bucket: origin access control (an origin access identity in the China regions,
 *   which do not offer OAC). Public access is blocked, TLS enforced, server access logs kept.
 * - Client routes (`/console/incidents/<id>`, ...) fall back to `/console/index.html`; `/` redirects to
 *   `/console/`.
 * - A response-headers policy sends the CSP, HSTS, `frame-ancestors 'none'`, nosniff and no-referrer.
 * - `/console/config.json` is written at deploy time (`publish`), not baked into the build: the API URL and the
 *   identity settings are CloudFormation values.
 *
 * The API origin in the CSP: the county's HTTP API admits the console's origin in its CORS configuration, so
 * the API depends on the distribution; a header policy naming the API would close a dependency cycle. The
 * header therefore allows the region's API Gateway hosts, and the `index.html` written at deploy time carries a
 * second policy, a `<meta>` CSP, that narrows `connect-src` to exactly the API origin and the identity
 * provider: browsers enforce both, so the console may connect to those origins and no others.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { County } from '#config/county-schema.js';
import { consoleConfig } from '#config/public-county.js';
import { acknowledge, acknowledgeWildcards } from '../nag.js';
import { REPO_ROOT } from './gridflow-function.js';
import { partitionOf } from './partition.js';

/** Where the console is served from, below the distribution's root (contract §10: `https://<domain>/console`). */
export const CONSOLE_PATH = '/console';

/** The console's own domain name instead of the distribution's `*.cloudfront.net` (required in China). */
export interface ConsoleDomain {
  /** e.g. `gridflow.shouyang.gov.cn` */
  readonly name: string;
  /**
   * Outside China: the ARN of an ACM certificate for `name` in us-east-1 (CloudFront's rule). In the China
   * regions, which have no ACM for CloudFront: the id of an IAM server certificate (`ASCA...`).
   */
  readonly certificate: string;
}

export interface ConsoleHostingProps {
  /** The county whose console this is (names resources, and its public view goes into config.json). */
  readonly county: County;
  /**
   * The built console: a folder with `index.html` and its `assets/`. Absolute or repository-relative.
   * @default console/dist
   */
  readonly distDir?: string;
  /**
   * Origins the console's sign-in talks to (OIDC discovery, keys, token endpoint), e.g.
   * `https://cognito-idp.<region>.amazonaws.com`: allowed by the CSP's `connect-src`.
   */
  readonly identityOrigins: readonly string[];
  /**
   * The console's domain. Required in the China regions, where CloudFront serves only an ICP-filed alternate
   * domain with an IAM server certificate.
   * @default - the distribution's own domain (`d111111abcdef8.cloudfront.net`)
   */
  readonly domain?: ConsoleDomain;
  /** Ignored in China (one price class there). @default PriceClass.PRICE_CLASS_200 (includes the edge locations in Asia) */
  readonly priceClass?: cloudfront.PriceClass;
  /** How long the bucket and distribution access logs are kept. @default one year */
  readonly logRetention?: Duration;
  /** @default one year: browsers remember to use HTTPS only */
  readonly hstsMaxAge?: Duration;
}

/** What `/console/config.json` tells the console about the API and the sign-in (its OIDC settings). */
export interface ConsolePublishProps {
  /** The county API's base URL, e.g. `https://abc123.execute-api.cn-north-1.amazonaws.com.cn`. */
  readonly apiUrl: string;
  /** OpenID Connect, authorization code with PKCE. */
  readonly auth: { readonly authority: string; readonly clientId: string; readonly scope: string };
}

export class ConsoleHosting extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly logBucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  public readonly headersPolicy: cloudfront.ResponseHeadersPolicy;
  /** `https://<domain>`: the origin the API's CORS configuration admits. */
  public readonly origin: string;
  /** `https://<domain>/console`: where notifications link (`<url>/incidents/<id>`). */
  public readonly url: string;
  /** Where the identity provider sends the browser back after sign-in and sign-out. */
  public readonly callbackUrl: string;
  public readonly logoutUrl: string;

  private readonly county: County;
  private readonly distDir: string;
  private readonly identityOrigins: readonly string[];
  private published = false;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const china = partitionOf(stack) === 'china';
    this.county = props.county;
    this.identityOrigins = props.identityOrigins;
    this.distDir = builtConsole(props.distDir);
    if (china && !props.domain) {
      throw new Error(`county ${props.county.id} deploys to ${stack.region}, where CloudFront serves content only on an ICP-filed domain `
        + 'with an IAM server certificate: set deployment.console { domain, certificate } (see README, "The console in the cloud")');
    }
    const retention = props.logRetention ?? Duration.days(365);

    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront's standard logs are delivered with an ACL grant to the bucket owner.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: retention }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.logBucket, 'AwsSolutions-S1',
      'This bucket receives the console bucket\'s and the distribution\'s access logs; logging it into itself would loop.');

    this.bucket = new s3.Bucket(this, 'Site', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'site/',
      // Retained like the table and the logs: a deleted stack leaves the files, never a half-deleted bucket.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const apiHosts = `https://*.execute-api.${stack.region}.${Aws.URL_SUFFIX}`;
    const hstsMaxAge = props.hstsMaxAge ?? Duration.days(365);
    this.headersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: `gridflow ${props.county.id} console: CSP, HSTS, no framing`,
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy([apiHosts, ...props.identityOrigins]), override: true },
        strictTransportSecurity: { accessControlMaxAge: hstsMaxAge, includeSubdomains: false, override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          // The report form may ask for the phone's location; nothing else of the device.
          { header: 'Permissions-Policy', value: 'geolocation=(self), camera=(), microphone=(), payment=(), usb=()', override: true },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
        ],
      },
    });

    const origin = china
      ? origins.S3BucketOrigin.withOriginAccessIdentity(this.bucket)
      : origins.S3BucketOrigin.withOriginAccessControl(this.bucket);
    const certificate = props.domain && !china
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificate) : undefined;
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `gridflow ${props.county.id} console`,
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        // CloudFront's managed policies do not exist in the China partition: there, the same settings as our own.
        cachePolicy: china ? new cloudfront.CachePolicy(this, 'Cache', {
          comment: 'gridflow console: as Managed-CachingOptimized',
          minTtl: Duration.seconds(1), defaultTtl: Duration.days(1), maxTtl: Duration.days(365),
          enableAcceptEncodingGzip: true, enableAcceptEncodingBrotli: true,
        }) : cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headersPolicy,
        compress: true,
      },
      // `/` is a one-line page that sends the browser to /console/ (published below).
      defaultRootObject: 'index.html',
      // The bucket answers 403 for a key it does not have (CloudFront may not list it): a client route of the
      // single-page app. index.html is served with 200 and the app's router shows the page (or its 404).
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus, responseHttpStatus: 200, responsePagePath: `${CONSOLE_PATH}/index.html`, ttl: Duration.seconds(0),
      })),
      // CloudFront in China has its own four edge locations (one price class) and no HTTP/3.
      priceClass: china ? cloudfront.PriceClass.PRICE_CLASS_ALL : props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_200,
      httpVersion: china ? cloudfront.HttpVersion.HTTP2 : cloudfront.HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      ...(certificate && props.domain ? { certificate, domainNames: [props.domain.name] } : {}),
    });
    if (china && props.domain) {
      // The L2 construct knows ACM certificates only; CloudFront in China takes an IAM server certificate.
      const cfn = this.distribution.node.defaultChild as cloudfront.CfnDistribution;
      cfn.addPropertyOverride('DistributionConfig.Aliases', [props.domain.name]);
      cfn.addPropertyOverride('DistributionConfig.ViewerCertificate', {
        IamCertificateId: props.domain.certificate, SslSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021',
      });
      acknowledge(this.distribution, 'AwsSolutions-CFR4',
        'The viewer certificate is the county\'s IAM server certificate with TLSv1.2_2021, set by a property override that cdk-nag does not read.');
      acknowledge(this.distribution, 'AwsSolutions-CFR7',
        'CloudFront in the China regions does not offer origin access control; an origin access identity restricts the bucket to CloudFront instead.');
    }
    if (!props.domain) {
      acknowledge(this.distribution, 'AwsSolutions-CFR4',
        'Without deployment.console.domain the distribution uses its *.cloudfront.net certificate, whose TLS policy CloudFront fixes; a county domain gets TLSv1.2_2021.');
    }
    acknowledge(this.distribution, 'AwsSolutions-CFR1',
      'Officials use the console wherever they travel; the API behind it checks every token, so a geo restriction would add no protection.');
    acknowledge(this.distribution, 'AwsSolutions-CFR2',
      'The distribution serves only static files (no origin logic to protect); a WAF web ACL would cost more per county-month than the whole stack\'s fixed budget.');

    const host = props.domain?.name ?? this.distribution.distributionDomainName;
    this.origin = `https://${host}`;
    this.url = `${this.origin}${CONSOLE_PATH}`;
    this.callbackUrl = `${this.url}/sign-in`;
    this.logoutUrl = `${this.url}/`;
  }

  /**
   * Uploads the console and writes its configuration at deploy time: the built files, `/console/config.json`
   * with the API URL and the sign-in settings, and `index.html` with the exact `connect-src`. Call once, after
   * the API and the identity provider exist.
   */
  publish(props: ConsolePublishProps): void {
    if (this.published) throw new Error('ConsoleHosting.publish() may be called once');
    this.published = true;
    const apiOrigin = props.apiUrl.replace(/\/+$/, '');

    // Hashed file names: cached for a year, and kept across deploys so an open tab still finds its chunks.
    const assetsDir = join(this.distDir, 'assets');
    const assets = existsSync(assetsDir) ? new s3deploy.BucketDeployment(this, 'Assets', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: `${CONSOLE_PATH.slice(1)}/assets/`,
      sources: [s3deploy.Source.asset(assetsDir)],
      prune: false,
      cacheControl: [s3deploy.CacheControl.fromString('public, max-age=31536000, immutable')],
    }) : undefined;

    const others = readdirSync(this.distDir).filter((f) => f !== 'assets' && f !== 'index.html');
    const pages = new s3deploy.BucketDeployment(this, 'Pages', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: `${CONSOLE_PATH.slice(1)}/`,
      sources: [
        ...(others.length > 0 ? [s3deploy.Source.asset(this.distDir, { exclude: ['assets', 'assets/**', 'index.html'] })] : []),
        s3deploy.Source.data('index.html', withConnectPolicy(readFileSync(join(this.distDir, 'index.html'), 'utf8'), [apiOrigin, ...this.identityOrigins])),
        s3deploy.Source.jsonData('config.json', consoleConfig(this.county, { apiUrl: apiOrigin, auth: { kind: 'oidc', ...props.auth } })),
      ],
      prune: false,
      // Always revalidated: a deploy shows at the next load.
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: [`${CONSOLE_PATH}/*`, '/index.html'],
    });
    if (assets) pages.node.addDependency(assets); // index.html names the new chunks: they must be there first

    new s3deploy.BucketDeployment(this, 'Root', {
      destinationBucket: this.bucket,
      sources: [s3deploy.Source.data('index.html', ROOT_REDIRECT)],
      prune: false,
      cacheControl: [s3deploy.CacheControl.noCache()],
    });
    this.acknowledgeDeployer();
  }

  /**
   * CDK's BucketDeployment copies the files with one Lambda function per stack (a singleton), whose role and
   * runtime are CDK's design: its findings are acknowledged on it, each wildcard of its policy by name.
   */
  private acknowledgeDeployer(): void {
    const stack = Stack.of(this);
    const deployer = stack.node.tryFindChild(`Custom::CDKBucketDeployment${DEPLOYER_UUID}`);
    if (!deployer) throw new Error('BucketDeployment\'s handler was not found where aws-cdk-lib puts it: update DEPLOYER_UUID');
    acknowledge(deployer, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'CDK\'s BucketDeployment handler uses AWSLambdaBasicExecutionRole for its own log stream only.');
    acknowledge(deployer, 'AwsSolutions-L1',
      'The BucketDeployment handler (Python) and its runtime come with aws-cdk-lib; it runs only during deploys and moves with CDK upgrades.');
    const actions = new Set<string>();
    const resources = new Set<string>();
    for (const policy of deployer.node.findAll().filter((c): c is iam.Policy => c instanceof iam.Policy)) {
      const statements = (stack.resolve(policy.document.toJSON()) as { Statement?: { Action: string | string[]; Resource: unknown }[] }).Statement ?? [];
      for (const st of statements) {
        for (const a of [st.Action].flat()) if (a.includes('*')) actions.add(a);
        for (const r of [st.Resource].flat()) if (JSON.stringify(r).includes('*')) resources.add(JSON.stringify(r));
      }
    }
    acknowledgeWildcards(deployer, { actions: [...actions], resources: [...resources].map((r) => JSON.parse(r) as string) },
      'CDK\'s BucketDeployment handler reads the CDK asset objects and writes the console bucket (object actions on those buckets; '
      + 'CloudFront invalidations, which have no resource-level permissions).');
  }
}

/** The singleton id CDK's BucketDeployment gives its handler (aws-s3-deployment). */
const DEPLOYER_UUID = '8693BB64968944B69AAFB0CC9EB8756C';

/** `/`: sends the browser to the console (S3 cannot redirect without a website endpoint, which would be public). */
const ROOT_REDIRECT = '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=/console/">'
  + '<title>gridflow</title><a href="/console/">gridflow</a>\n';

/**
 * The CSP of every response. antd writes its styles at run time, hence inline styles; scripts only from the
 * console's own origin; nothing may frame it.
 */
export function contentSecurityPolicy(connectOrigins: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ${connectOrigins.join(' ')}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    'upgrade-insecure-requests',
  ].join('; ');
}

/** `index.html` with a `<meta>` CSP whose `connect-src` names exactly `origins`, before anything that loads. */
export function withConnectPolicy(html: string, origins: readonly string[]): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="connect-src 'self' ${origins.join(' ')}">`;
  const charset = /<meta\s+charset=[^>]*>/i.exec(html);
  const head = /<head[^>]*>/i.exec(html);
  const at = charset ?? head;
  if (!at) throw new Error('console index.html has no <head>: cannot add its Content-Security-Policy');
  const end = at.index + at[0].length;
  return `${html.slice(0, end)}\n    ${meta}${html.slice(end)}`;
}

/** The console build folder, checked at synth time so a missing build is a clear error, not a failed deploy. */
function builtConsole(dir: string | undefined): string {
  const path = dir === undefined ? join(REPO_ROOT, 'console', 'dist') : isAbsolute(dir) ? dir : resolve(REPO_ROOT, dir);
  const index = join(path, 'index.html');
  if (!existsSync(index) || !statSync(index).isFile()) {
    throw new Error(`the console is not built: ${index} is missing. Build it first (npm run build -w console), then synthesize again`);
  }
  return path;
}

