/**
 * The CDK app (cdk.json: `npx tsx infra/app.ts`): one `Gridflow-<countyId>` stack per `counties/*.json` and
 * one `Gridflow-City-<cityId>` stack per city they name, with cdk-nag's AwsSolutions checks on every synth.
 * A county with `deployment.account`/`region` is pinned there; without, its stack is environment-agnostic and
 * deploys wherever the CLI's credentials point.
 *
 * Context (optional): `-c opsEmails=a@x.cn,b@y.cn` subscribes those addresses to every county's ops topic.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, App, Token, type Environment } from 'aws-cdk-lib';
import { loadAllCounties } from '#config/county-loader.js';
import type { County } from '#config/county-schema.js';
import { localName } from '#config/names.js';
import { CityStack, cityStackName } from './city-stack.js';
import { CountyStack, type CountyStackProps } from './county-stack.js';
import { applyNag } from './nag.js';
import { regionPartition } from './constructs/partition.js';

export const countyStackName = (countyId: string): string => `Gridflow-${countyId}`;

export interface GridflowStacks {
  readonly cities: ReadonlyMap<string, CityStack>;
  readonly counties: ReadonlyMap<string, CountyStack>;
}

export interface AddStacksOptions extends Pick<CountyStackProps, 'opsEmails' | 'apiThrottle' | 'cognitoFeaturePlan' | 'consoleUrl'> {
  /** The file bundled as a county's `county.json`. @default counties/<countyId>.json */
  readonly countyFile?: (county: County) => string;
}

/** The environment a county file pins, or an agnostic one (undefined) when it names neither account nor region. */
export function countyEnv(county: County): Environment | undefined {
  const d = county.deployment;
  if (!d?.account && !d?.region) return undefined;
  return { ...(d.account ? { account: d.account } : {}), ...(d.region ? { region: d.region } : {}) };
}

/**
 * A city stack lives where its counties live. When they disagree, it goes with the first county (by id)
 * that pins an environment, and the others reach it across environments (see city-stack.ts).
 */
export function cityEnv(counties: readonly County[]): Environment | undefined {
  const envs = counties.map(countyEnv);
  const key = (e: Environment | undefined) => `${e?.account ?? ''}/${e?.region ?? ''}`;
  if (envs.every((e) => key(e) === key(envs[0]))) return envs[0];
  return envs.find((e) => e !== undefined);
}

/** Adds the city and county stacks of `counties` to `app`. */
export function addGridflowStacks(app: App, counties: readonly County[], opts: AddStacksOptions = {}): GridflowStacks {
  const byCity = new Map<string, County[]>();
  for (const county of counties) byCity.set(county.city.id, [...(byCity.get(county.city.id) ?? []), county]);

  const cities = new Map<string, CityStack>();
  for (const [cityId, members] of byCity) {
    const env = cityEnv(members);
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
    const env = countyEnv(county);
    assertSamePartition(county, env, city);
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
      ...(opts.consoleUrl ? { consoleUrl: opts.consoleUrl } : {}),
      description: `gridflow county ${county.id} (${localName(county.name, 'en')}): incident API, workflow and notifications`,
      terminationProtection: true,
    });
    // Same environment: the exported topic ARN already orders the deploys. Across environments it must be said.
    stack.addStackDependency(city, 'county publishes to the city topic');
    if (stack.environment !== city.environment) {
      Annotations.of(stack).addWarningV2('gridflow:city-environment', `county ${county.id} (${stack.environment}) publishes to ${city.stackName} `
        + `in another environment (${city.environment}); pin deployment.account/region of the counties of ${county.city.id} alike unless that is intended`);
    }
    stacks.set(county.id, stack);
  }
  return { cities, counties: stacks };
}

/** SNS cannot publish from one partition into another (aws-cn and aws are separate clouds). */
function assertSamePartition(county: County, env: Environment | undefined, city: CityStack): void {
  const countyRegion = env?.region;
  const cityRegion = city.region;
  if (!countyRegion || Token.isUnresolved(cityRegion)) return;
  if (regionPartition(countyRegion) !== regionPartition(cityRegion)) {
    throw new Error(`county ${county.id} (${countyRegion}) and its city stack ${city.stackName} (${cityRegion}) are in different partitions; `
      + 'give the counties of one city regions of the same partition');
  }
}

/** The app as `cdk synth` builds it. */
export function buildApp(app: App = new App()): App {
  applyNag(app);
  const counties = loadAllCounties();
  if (counties.length === 0) console.warn('gridflow: no counties/*.json, nothing to synthesize');
  const ops = app.node.tryGetContext('opsEmails') as string | undefined;
  const opsEmails = ops ? ops.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  addGridflowStacks(app, counties, opsEmails ? { opsEmails } : {});
  return app;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) buildApp().synth();
