/**
 * What the cost model takes from the county stack itself rather than from assumptions: each function's
 * memory size, the resources billed by the month, and who each SNS message reaches (the stack subscribes
 * supervisors by e-mail, and by SMS outside China, filtered to their jurisdiction).
 */
import type { County } from '#config/county-schema.js';
import type { Level } from '#domain/incident.js';
import { billedAlarmMetrics } from '#infra/constructs/alarms.js';
import { endpointsOf, type PersonSubscription } from '#infra/constructs/level-topics.js';
import { ENTRY_METADATA } from '#infra/constructs/gridflow-function.js';
import { synthCountyTemplate } from '#infra/synth-county.js';

export interface StackFacts {
  /** MB by handler entry (functions/api/report.ts ...). */
  memoryMb: Record<string, number>;
  alarms: number;
  /** Metrics the alarms read (a metric-math alarm is billed per metric). */
  alarmMetrics: number;
  compositeAlarms: number;
  kmsKeys: number;
  /** Secrets Manager secrets the county's channels and SMS provider name (created by ops, billed monthly). */
  secrets: number;
  /** Counties sharing the city stack (and its key): the city's county-level divisions. */
  countiesPerCity: number;
  /** Every resource of the county stack, nested stacks included (CloudFormation's limit is 500 per stack). */
  resources: number;
  /** The largest number of resources in one (nested) stack. */
  largestStackResources: number;
  /** Subscription filter policies per topic (SNS allows 200 per topic by default). */
  filterPoliciesPerTopic: Record<string, number>;
  logGroups: number;
  /** Subscribers a message to `level` about an incident of `townId`/`gridId` reaches. */
  deliveries(level: Level, townId: string, gridId: string, sms: boolean): { email: number; sms: number };
}

type Resource = { Type: string; Metadata?: Record<string, unknown>; Properties?: Record<string, unknown> };

/** Jinzhong's county-level divisions: the counties one city stack (and its KMS key) serves (docs/performance.md). */
export const COUNTIES_PER_CITY = 11;

/**
 * Resources of a synthesized stack and of its nested stacks (the synth keeps their templates on the nested
 * stack constructs' `templateFile`s in the assembly; here they are read through `nestedTemplates`), and the SNS
 * filter policies per topic.
 */
function stackSizes(template: { Resources?: Record<string, Resource>; nestedTemplates?: Record<string, { Resources?: Record<string, Resource> }> }):
  Pick<StackFacts, 'resources' | 'largestStackResources' | 'filterPoliciesPerTopic'> {
  const stacks = [template, ...Object.values(template.nestedTemplates ?? {})];
  const sizes = stacks.map((t) => Object.keys(t.Resources ?? {}).length);
  const perTopic: Record<string, number> = {};
  for (const t of stacks) {
    for (const r of Object.values(t.Resources ?? {})) {
      if (r.Type !== 'AWS::SNS::Subscription' || r.Properties?.FilterPolicy === undefined) continue;
      const topic = JSON.stringify(r.Properties.TopicArn);
      const key = /grid|town|county|city/i.exec(topic)?.[0]?.toLowerCase() ?? topic;
      perTopic[key] = (perTopic[key] ?? 0) + 1;
    }
  }
  return { resources: sizes.reduce((a, b) => a + b, 0), largestStackResources: Math.max(...sizes), filterPoliciesPerTopic: perTopic };
}

export function stackFacts(county: County): StackFacts {
  const { template, nestedTemplates } = synthCountyTemplate(county, { bundle: false });
  const resources = Object.values((template.Resources ?? {}) as Record<string, Resource>);
  const memoryMb: Record<string, number> = {};
  for (const r of resources) {
    const entry = r.Metadata?.[ENTRY_METADATA];
    if (r.Type === 'AWS::Lambda::Function' && typeof entry === 'string') memoryMb[entry] = Number(r.Properties?.MemorySize ?? 128);
  }
  const count = (type: string) => resources.filter((r) => r.Type === type).length;

  const people = (level: Level, townId: string, gridId: string): PersonSubscription[] => {
    if (level === 'grid') {
      const grid = county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids)).find((g) => g.id === gridId);
      return grid ? [{ person: grid.leader, attribute: 'gridId', value: gridId }] : [];
    }
    if (level === 'town') return (county.towns.find((t) => t.id === townId)?.supervisors ?? []).map((person) => ({ person, attribute: 'townId', value: townId }));
    if (level === 'city') return county.city.supervisors.map((person) => ({ person, attribute: 'countyId', value: county.id }));
    return [];
  };
  const alarms = resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
  const alarmMetrics = alarms.reduce((n, r) => n + billedAlarmMetrics(r as Parameters<typeof billedAlarmMetrics>[0]), 0);
  const secrets = new Set<string>();
  JSON.stringify(county, (key, value: unknown) => {
    if (key === 'secret' && typeof value === 'string') secrets.add(value);
    return value;
  });
  return {
    memoryMb,
    alarms: alarms.length,
    alarmMetrics,
    compositeAlarms: count('AWS::CloudWatch::CompositeAlarm'),
    secrets: secrets.size,
    countiesPerCity: COUNTIES_PER_CITY,
    ...stackSizes({ ...template, nestedTemplates } as Parameters<typeof stackSizes>[0]),
    // The county's one key (topics, queue); the city topic uses the AWS managed key for SNS.
    kmsKeys: count('AWS::KMS::Key'),
    logGroups: count('AWS::Logs::LogGroup'),
    deliveries: (level, townId, gridId, sms) => {
      const { subscriptions } = endpointsOf(people(level, townId, gridId), { sms, defaultCountryCode: county.locale === 'zh-CN' ? '+86' : '+1' });
      return { email: subscriptions.filter((s) => s.protocol === 'email').length, sms: subscriptions.filter((s) => s.protocol === 'sms').length };
    },
  };
}
