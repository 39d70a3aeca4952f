/**
 * The CDK app (cdk.json: `npx tsx infra/app.ts`): one `Gridflow-<countyId>` stack per `counties/*.json` and
 * one `Gridflow-City-<cityId>` stack per city they name, with cdk-nag's AwsSolutions checks on every synth.
 *
 * Where a county deploys: `deployment.account`/`region` of its file where it pins them, else CDK context
 * (`-c account=... -c region=...`), else the CLI's environment (CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION, set by
 * `cdk` from the profile), else nowhere in particular (an environment-agnostic stack). The counties of one city
 * must land in one environment (the city topic is theirs and SNS does not publish across accounts with an AWS
 * managed key): anything else is a synth error. Every county is checked against the region it will deploy to
 * (deployment-schema.ts): in a China region everyone who must be told needs a channel that works there.
 *
 * Context (optional): `-c opsEmails=a@x.cn,b@y.cn` adds those addresses to every county's ops topic;
 * `-c snsFilterPoliciesPerTopic=N` after AWS raised that quota for the account (default 200);
 * `-c consoleDist=path` uploads another console build than console/dist.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Token, type Environment } from 'aws-cdk-lib';
import { loadAllCounties } from '#config/county-loader.js';
import { jsonPath, type County } from '#config/county-schema.js';
import { deploymentProblems } from '#config/deployment-schema.js';
import { localName } from '#config/names.js';
import { CityStack, cityStackName } from './city-stack.js';
import { CountyStack, type CountyStackProps } from './county-stack.js';
import { applyNag } from './nag.js';

export const countyStackName = (countyId: string): string => `Gridflow-${countyId}`;

export interface GridflowStacks {
  readonly cities: ReadonlyMap<string, CityStack>;
  readonly counties: ReadonlyMap<string, CountyStack>;
}

export interface AddStacksOptions extends Pick<CountyStackProps, 'opsEmails' | 'apiThrottle' | 'cognitoFeaturePlan' | 'consoleDist' | 'snsFilterPoliciesPerTopic'> {
  /** The file bundled as a county's `county.json`. @default counties/<countyId>.json */
  readonly countyFile?: (county: County) => string;
  /** Account and region for counties whose file does not pin them. @default - environment-agnostic */
  readonly defaultEnv?: DefaultEnv;
}

export interface DefaultEnv { readonly account?: string | undefined; readonly region?: string | undefined }

/** Where a county deploys: what its file pins, else `defaults`; undefined when neither names anything. */
export function countyEnv(county: County, defaults: DefaultEnv = {}): Environment | undefined {
  const account = county.deployment?.account ?? defaults.account;
  const region = county.deployment?.region ?? defaults.region;
  if (!account && !region) return undefined;
  return { ...(account ? { account } : {}), ...(region ? { region } : {}) };
}

const envKey = (e: Environment | undefined) => `${e?.account ?? '(any account)'}/${e?.region ?? '(any region)'}`;

/** The one environment of a city's counties, or a synth error naming where each would go. */
export function cityEnv(counties: readonly County[], defaults: DefaultEnv = {}): Environment | undefined {
  const envs = counties.map((c) => countyEnv(c, defaults));
  if (envs.every((e) => envKey(e) === envKey(envs[0]))) return envs[0];
  throw new Error(`the counties of city ${counties[0]?.city.id} must deploy to one environment (account and region), but `
    + `${counties.map((c, i) => `${c.id} -> ${envKey(envs[i])}`).join(', ')}: pin deployment.account/region alike in their files, `
    + 'or leave them unpinned and pass -c account=... -c region=...');
}

/** Adds the city and county stacks of `counties` to `app`. */
export function addGridflowStacks(app: App, counties: readonly County[], opts: AddStacksOptions = {}): GridflowStacks {
  const byCity = new Map<string, County[]>();
  for (const county of counties) byCity.set(county.city.id, [...(byCity.get(county.city.id) ?? []), county]);

  const cities = new Map<string, CityStack>();
  for (const [cityId, members] of byCity) {
    const env = cityEnv(members, opts.defaultEnv);
    const name = cityStackName(cityId);
    cities.set(cityId, new CityStack(app, name, {
      stackName: name,
      counties: members,
      ...(env ? { env } : {}),
      description: `gridflow city ${cityId}: city-level notifications of ${members.map((c) => c.id).join(', ')}`,
      terminationProtection: true,
    }));
  }

  const stacks = new Map<string, CountyStack>();
  for (const county of counties) {
    const city = cities.get(county.city.id)!;
    const env = countyEnv(county, opts.defaultEnv);
    assertReachable(county, env?.region);
    const name = countyStackName(county.id);
    const stack = new CountyStack(app, name, {
      stackName: name,
      county,
      cityTopic: city.topic,
      ...(env ? { env } : {}),
      ...(opts.countyFile ? { countyFile: opts.countyFile(county) } : {}),
      ...(opts.opsEmails ? { opsEmails: opts.opsEmails } : {}),
      ...(opts.apiThrottle ? { apiThrottle: opts.apiThrottle } : {}),
      ...(opts.cognitoFeaturePlan ? { cognitoFeaturePlan: opts.cognitoFeaturePlan } : {}),
      ...(opts.consoleDist ? { consoleDist: opts.consoleDist } : {}),
      ...(opts.snsFilterPoliciesPerTopic ? { snsFilterPoliciesPerTopic: opts.snsFilterPoliciesPerTopic } : {}),
      description: `gridflow county ${county.id} (${localName(county.name, 'en')}): incident API, workflow and notifications`,
      terminationProtection: true,
    });
    // The exported topic ARN already orders the deploys; said explicitly for `cdk deploy Gridflow-<countyId>`.
    stack.addStackDependency(city, 'county publishes to the city topic');
    stacks.set(county.id, stack);
  }
  return { cities, counties: stacks };
}

/**
 * The file was checked against its own region on load; a county whose region comes from the context or the
 * CLI is checked here against that region, so a China deploy never synthesizes with people nobody can reach.
 */
function assertReachable(county: County, region: string | undefined): void {
  if (!region || Token.isUnresolved(region) || region === county.deployment?.region) return;
  const problems = deploymentProblems(county, region);
  if (problems.length > 0) {
    throw new Error(`county ${county.id} cannot deploy to ${region}:\n${problems.map((p) => `  ${jsonPath(p.path)}: ${p.message}`).join('\n')}`);
  }
}

/** The app as `cdk synth` builds it. */
export function buildApp(app: App = new App()): App {
  applyNag(app);
  const counties = loadAllCounties();
  if (counties.length === 0) console.warn('gridflow: no counties/*.json, nothing to synthesize');
  const context = (key: string) => app.node.tryGetContext(key) as string | undefined;
  const ops = context('opsEmails');
  const opsEmails = ops ? ops.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const quota = context('snsFilterPoliciesPerTopic');
  const consoleDist = context('consoleDist');
  addGridflowStacks(app, counties, {
    defaultEnv: {
      account: context('account') ?? process.env.CDK_DEFAULT_ACCOUNT,
      region: context('region') ?? process.env.CDK_DEFAULT_REGION,
    },
    ...(opsEmails ? { opsEmails } : {}),
    ...(quota ? { snsFilterPoliciesPerTopic: Number(quota) } : {}),
    ...(consoleDist ? { consoleDist } : {}),
  });
  return app;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) buildApp().synth();
