/**
 * What the cost model takes from the county stack itself rather than from assumptions: each function's
 * memory size, the resources billed by the month, and who each SNS message reaches (the stack subscribes
 * supervisors by e-mail, and by SMS outside China, filtered to their jurisdiction).
 */
import type { County } from '#config/county-schema.js';
import type { Level } from '#domain/incident.js';
import { endpointsOf, type PersonSubscription } from '#infra/constructs/level-topics.js';
import { ENTRY_METADATA } from '#infra/constructs/gridflow-function.js';
import { synthCountyTemplate } from '#infra/synth-county.js';

export interface StackFacts {
  /** MB by handler entry (functions/api/report.ts ...). */
  memoryMb: Record<string, number>;
  alarms: number;
  kmsKeys: number;
  logGroups: number;
  /** Subscribers a message to `level` about an incident of `townId`/`gridId` reaches. */
  deliveries(level: Level, townId: string, gridId: string, sms: boolean): { email: number; sms: number };
}

type Resource = { Type: string; Metadata?: Record<string, unknown>; Properties?: Record<string, unknown> };

export function stackFacts(county: County): StackFacts {
  const { template } = synthCountyTemplate(county, { bundle: false });
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
  return {
    memoryMb,
    alarms: count('AWS::CloudWatch::Alarm'),
    // The county's notification key; the city stack holds one more for the city topic.
    kmsKeys: count('AWS::KMS::Key'),
    logGroups: count('AWS::Logs::LogGroup'),
    deliveries: (level, townId, gridId, sms) => {
      const { subscriptions } = endpointsOf(people(level, townId, gridId), { sms, defaultCountryCode: county.locale === 'zh-CN' ? '+86' : '+1' });
      return { email: subscriptions.filter((s) => s.protocol === 'email').length, sms: subscriptions.filter((s) => s.protocol === 'sms').length };
    },
  };
}
