/**
 * The notification side of contract §5: one KMS-encrypted, TLS-only SNS topic per ladder level (the city
 * topic belongs to the city stack), a subscription per supervisor filtered on the message attributes to its
 * own jurisdiction, the county's HTTPS webhooks, and the channel relay (WeCom, DingTalk, SMS) subscribed to
 * every level topic with the jurisdictions of the people it serves; failed deliveries go to the county's
 * failure queue.
 *
 * SNS accepts 200 subscriptions with a filter policy per topic unless AWS raises that quota for the account:
 * the construct counts them per topic and refuses to synthesize a county past the limit (prop
 * `filterPoliciesPerTopic`, context `snsFilterPoliciesPerTopic`), naming the topic and the count. The contract
 * allows one grid topic per town instead (§10); with one grid topic the county stays one topic per level and
 * the count is known at synth, where the guard costs nothing (README, "SNS filter policies").
 */
import { createHash } from 'node:crypto';
import { Annotations, Aws, Duration, NestedStack, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { County, Person } from '#config/county-schema.js';
import { RELAYED_CHANNELS } from '#config/deployment-schema.js';
import { localName } from '#config/names.js';
import type { Level } from '#domain/incident.js';
import { guardOutsideChina, offeredOutsideChina } from './partition.js';

/** Message attributes a subscription may filter on (contract §5). */
export type FilterAttribute = 'countyId' | 'townId' | 'communityId' | 'gridId' | 'category';
export type Filter = Partial<Record<FilterAttribute, readonly string[]>>;

/** The county's one customer-managed key: its topics and its failure queue, usable by the AWS services that write to them. */
export function notificationKey(scope: Construct, id: string, description: string): kms.Key {
  const key = new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // CloudWatch alarms publish to the encrypted ops topic; SNS writes given-up deliveries to the encrypted
  // failure queue. Both act for this account only.
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AwsServicesOfThisAccount',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com'), new iam.ServicePrincipal('sns.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
  }));
  // EventBridge writes failed executions and undeliverable schedule events to the failure queue. Its KMS
  // requests carry no aws:SourceAccount/SourceArn, so the condition above would drop them silently; the
  // queue's own policy (aws:SourceArn of this stack's rules) decides what it may send.
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'EventBridgeToTheFailureQueue',
    principals: [new iam.ServicePrincipal('events.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
  }));
  return key;
}

export function encryptedTopic(scope: Construct, id: string, props: { key: kms.IKey; displayName: string; topicName?: string }): sns.Topic {
  return new sns.Topic(scope, id, {
    masterKey: props.key,
    enforceSSL: true,
    // SNS uses the display name as the sender of e-mail notifications; it allows at most 100 characters.
    displayName: props.displayName.slice(0, 100),
    ...(props.topicName ? { topicName: props.topicName } : {}),
  });
}

export interface PersonSubscription {
  person: Person;
  /** The attribute and value that make a message this person's, e.g. townId = pingtou. */
  attribute: FilterAttribute;
  value: string;
}

/** One SNS subscription to be: an endpoint and every value of its filter attribute. */
export interface EndpointSubscription {
  protocol: sns.SubscriptionProtocol;
  endpoint: string;
  attribute: FilterAttribute;
  /** In the order the people were given (the first one decides where the subscription is placed). */
  values: string[];
}

/**
 * E-mail (and SMS where the partition offers it) endpoints for people, one per endpoint: a person who
 * supervises two towns gets one subscription whose filter lists both, because SNS keeps only one
 * subscription per topic, protocol and endpoint. People reachable by neither are counted in `unreachable`.
 */
export function endpointsOf(entries: readonly PersonSubscription[], opts: { sms: boolean; defaultCountryCode: string }): { subscriptions: EndpointSubscription[]; unreachable: string[] } {
  const byEndpoint = new Map<string, EndpointSubscription>();
  const unreachable = new Set<string>();
  const add = (protocol: sns.SubscriptionProtocol, endpoint: string, e: PersonSubscription) => {
    const key = `${protocol} ${endpoint} ${e.attribute}`;
    const found = byEndpoint.get(key);
    if (!found) byEndpoint.set(key, { protocol, endpoint, attribute: e.attribute, values: [e.value] });
    else if (!found.values.includes(e.value)) found.values.push(e.value);
  };
  for (const e of entries) {
    const phone = e.person.phone && opts.sms ? toE164(e.person.phone, opts.defaultCountryCode) : undefined;
    if (e.person.email) add(sns.SubscriptionProtocol.EMAIL, e.person.email, e);
    if (phone) add(sns.SubscriptionProtocol.SMS, phone, e);
    if (!e.person.email && !phone && (e.person.channels ?? []).length === 0) unreachable.add(e.person.id);
  }
  return { subscriptions: [...byEndpoint.values()], unreachable: [...unreachable] };
}

/** Creates the subscriptions in `scope`; SMS ones of an agnostic stack only outside China (deploy-time condition). */
export function addSubscriptions(scope: Construct, topic: sns.ITopic, idPrefix: string, subscriptions: readonly EndpointSubscription[]): sns.Subscription[] {
  return subscriptions.map((s) => {
    const subscription = new sns.Subscription(scope, `${idPrefix}${subscriptionId(s.protocol, s.endpoint)}`, {
      topic,
      protocol: s.protocol,
      endpoint: s.endpoint,
      filterPolicy: { [s.attribute]: sns.SubscriptionFilter.stringFilter({ allowlist: [...s.values].sort() }) },
    });
    if (s.protocol === sns.SubscriptionProtocol.SMS) guardOutsideChina(subscription.node.defaultChild as sns.CfnSubscription);
    return subscription;
  });
}

export function warnUnreachable(scope: Construct, who: string, unreachable: readonly string[], sms: boolean): void {
  if (unreachable.length === 0) return;
  Annotations.of(scope).addWarningV2('gridflow:unreachable', `${unreachable.length} ${who} (${unreachable.slice(0, 5).join(', ')}${unreachable.length > 5 ? ', ...' : ''}) `
    + `have no e-mail${sms ? ' and no valid phone' : ', and SMS is not offered here'}: they get no notification (give them a channel, or a webhook of their level)`);
}

/** CloudFormation holds at most 500 resources per stack; a town's people must fit in its nested stack. */
export const MAX_SUBSCRIPTIONS_PER_STACK = 450;

/**
 * `+<digits>` for SNS SMS. Config files hold numbers as people write them; one without a country code
 * (13800000100) gets the county's (+86 for zh-CN), a leading trunk 0 dropped. Undefined if not a number.
 */
export function toE164(phone: string, defaultCountryCode: string): string | undefined {
  const trimmed = phone.trim();
  const digits = trimmed.replace(/[\s().-]/g, '');
  let e164: string;
  if (digits.startsWith('+')) e164 = digits;
  else if (digits.startsWith('00')) e164 = `+${digits.slice(2)}`;
  else e164 = `${defaultCountryCode}${digits.replace(/^0/, '')}`;
  return /^\+[1-9]\d{7,14}$/.test(e164) ? e164 : undefined;
}

/** Stable construct ids that do not put phone numbers or addresses into logical ids. */
export function subscriptionId(protocol: string, endpoint: string): string {
  return `${protocol}-${createHash('sha256').update(endpoint).digest('hex').slice(0, 10)}`;
}

/** SNS's default quota of subscriptions with a filter policy per topic. */
export const DEFAULT_FILTER_POLICIES_PER_TOPIC = 200;
/** SNS allows at most 150 value combinations in one filter policy. */
export const MAX_FILTER_VALUES = 150;

export interface LevelTopicsProps {
  readonly county: County;
  /** The city stack's topic: the top of the default ladder. */
  readonly cityTopic: sns.ITopic;
  /** The county's customer-managed key (notificationKey). */
  readonly key: kms.IKey;
  /** Where given-up webhook and relay deliveries go (the county's failure queue). */
  readonly deadLetterQueue: sqs.IQueue;
  /** The channel relay (functions/channels/relay.ts). @default - none: no channels are delivered */
  readonly relay?: lambda.IFunction;
  /** SNS subscriptions with a filter policy a topic may have (raise it after AWS raised the quota). @default 200 */
  readonly filterPoliciesPerTopic?: number;
}

/** The relay's filter on a level topic: the jurisdictions of the people it serves there (undefined: nobody). */
export function relayFilter(county: County, level: Level): Filter | undefined {
  const relayed = (p: Person) => (p.channels ?? []).some((c) => (RELAYED_CHANNELS as readonly string[]).includes(c.type));
  const cap = (attribute: FilterAttribute, values: string[]): Filter | undefined => {
    if (values.length === 0) return undefined;
    // A longer list is not a valid filter policy: the relay picks the recipients from the message anyway.
    return values.length <= MAX_FILTER_VALUES ? { [attribute]: values } : { countyId: [county.id] };
  };
  switch (level) {
    case 'grid':
      return cap('gridId', county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids)).filter((g) => relayed(g.leader)).map((g) => g.id));
    case 'town':
      return cap('townId', county.towns.filter((t) => t.supervisors.some(relayed)).map((t) => t.id));
    case 'county':
      return county.supervisors.some(relayed) ? { countyId: [county.id] } : undefined;
    case 'city':
      return county.city.supervisors.some(relayed) ? { countyId: [county.id] } : undefined;
  }
}

const snsFilter = (filter: Filter): Record<string, sns.SubscriptionFilter> =>
  Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, sns.SubscriptionFilter.stringFilter({ allowlist: [...v] })]));

/** The county's own level topics, its supervisors' subscriptions and its webhooks. */
export class LevelTopics extends Construct {
  public readonly key: kms.IKey;
  /** One topic per ladder level; `city` is the city stack's topic when the ladder has it. */
  public readonly topics: Partial<Record<Level, sns.ITopic>>;
  /** The county's own topics (without the city's). */
  public readonly ownTopics: Partial<Record<Level, sns.Topic>>;
  /** The nested stack holding each town's subscriptions (towns whose people have no endpoint have none). */
  public readonly peopleStacks: Readonly<Record<string, NestedStack>>;
  /** Subscriptions with a filter policy per own topic (level), as deployed: what the SNS quota counts. */
  public readonly filterPolicies: Partial<Record<Level, number>>;

  constructor(scope: Construct, id: string, props: LevelTopicsProps) {
    super(scope, id);
    const { county } = props;
    const countryCode = county.locale === 'zh-CN' ? '+86' : '+1';
    this.key = props.key;

    const own: Partial<Record<Level, sns.Topic>> = {};
    for (const level of county.ladder) {
      if (level === 'city') continue;
      own[level] = encryptedTopic(this, `${cap(level)}Topic`, { key: this.key, displayName: `gridflow ${localName(county.name, 'en')} ${level}` });
    }
    this.ownTopics = own;
    this.topics = { ...own, ...(county.ladder.includes('city') ? { city: props.cityTopic } : {}) };

    // Each town's people (its supervisors and its grid leaders) live in a nested stack of their own: a real
    // county has more subscriptions than one CloudFormation stack may hold (500 resources), and a change in
    // one town then never touches another town's subscriptions (e-mail subscriptions would need confirming again).
    const sms = offeredOutsideChina(Stack.of(this));
    const townOfGrid = new Map(county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids.map((g) => [g.id, t.id] as const))));
    const perTown = new Map<string, { topic: sns.ITopic; level: Level; subscriptions: EndpointSubscription[] }[]>();
    const place = (level: Level, topic: sns.ITopic, subs: EndpointSubscription[], townOf: (value: string) => string) => {
      for (const sub of subs) {
        const town = townOf(sub.values[0]!);
        const list = perTown.get(town) ?? [];
        let entry = list.find((e) => e.level === level);
        if (!entry) { entry = { topic, level, subscriptions: [] }; list.push(entry); }
        entry.subscriptions.push(sub);
        perTown.set(town, list);
      }
    };
    if (own.grid) {
      const leaders = county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids))
        .map((g): PersonSubscription => ({ person: g.leader, attribute: 'gridId', value: g.id }));
      const { subscriptions, unreachable } = endpointsOf(leaders, { sms, defaultCountryCode: countryCode });
      warnUnreachable(this, 'grid leaders', unreachable, sms);
      place('grid', own.grid, subscriptions, (gridId) => townOfGrid.get(gridId)!);
    }
    if (own.town) {
      const supervisors = county.towns.flatMap((t) => t.supervisors.map((p): PersonSubscription => ({ person: p, attribute: 'townId', value: t.id })));
      const { subscriptions, unreachable } = endpointsOf(supervisors, { sms, defaultCountryCode: countryCode });
      warnUnreachable(this, 'town supervisors', unreachable, sms);
      place('town', own.town, subscriptions, (townId) => townId);
    }
    const people: Record<string, NestedStack> = {};
    for (const town of county.towns) {
      const entries = perTown.get(town.id);
      if (!entries) continue;
      const total = entries.reduce((n, e) => n + e.subscriptions.length, 0);
      if (total > MAX_SUBSCRIPTIONS_PER_STACK) {
        throw new Error(`${county.id}: town ${town.id} has ${total} supervisor and grid-leader subscriptions, more than one `
          + `CloudFormation stack holds (${MAX_SUBSCRIPTIONS_PER_STACK}); split the town in the county file`);
      }
      const nested = new NestedStack(this, `People-${town.id}`, { description: `gridflow ${county.id}: subscriptions of town ${town.id}` });
      for (const e of entries) addSubscriptions(nested, e.topic, `${e.level}-`, e.subscriptions);
      people[town.id] = nested;
    }
    this.peopleStacks = people;
    // The county level has no people in the config: it reaches its offices through webhooks.

    const seen = new Set<string>();
    const webhookCount: Partial<Record<Level, number>> = {};
    county.webhooks.forEach((hook, i) => {
      const topic = this.topics[hook.level];
      if (!topic) throw new Error(`${county.id}: webhooks[${i}] names level "${hook.level}", which is not on the ladder`);
      if (!hook.url.startsWith('https://')) {
        throw new Error(`${county.id}: webhooks[${i}] url must be https:// in the cloud (incident data never travels in clear text)`);
      }
      const key = `${hook.level} ${hook.url}`;
      if (seen.has(key)) throw new Error(`${county.id}: webhooks[${i}] repeats ${hook.url} for level ${hook.level}; merge the two filters into one entry`);
      seen.add(key);
      webhookCount[hook.level] = (webhookCount[hook.level] ?? 0) + 1;
      // countyId always: a city-level webhook sits on the city topic that every county of the city publishes to.
      const filter: Filter = { countyId: [county.id], ...hook.filter };
      new sns.Subscription(this, `Webhook${i}`, {
        topic,
        protocol: sns.SubscriptionProtocol.HTTPS,
        endpoint: hook.url,
        filterPolicy: snsFilter(filter),
        deadLetterQueue: props.deadLetterQueue,
        deliveryPolicy: {
          // A county office's endpoint may be down for a while: retry for about an hour before dead-lettering.
          healthyRetryPolicy: { numRetries: 20, minDelayTarget: Duration.seconds(20), maxDelayTarget: Duration.minutes(10), backoffFunction: sns.BackoffFunction.EXPONENTIAL },
        },
      });
    });

    const relayCount: Partial<Record<Level, number>> = {};
    if (props.relay) {
      for (const level of county.ladder) {
        const topic = this.topics[level];
        const filter = relayFilter(county, level);
        if (!topic || !filter) continue;
        relayCount[level] = 1;
        // The city topic is shared by the city's counties: the relay hears only its own county's messages.
        const scoped: Filter = level === 'city' ? { countyId: [county.id] } : filter;
        topic.addSubscription(new subscriptions.LambdaSubscription(props.relay, { filterPolicy: snsFilter(scoped), deadLetterQueue: props.deadLetterQueue }));
      }
    }

    // The SNS quota counts a topic's subscriptions with a filter policy, all of which are (people, webhooks, relay).
    const limit = props.filterPoliciesPerTopic ?? DEFAULT_FILTER_POLICIES_PER_TOPIC;
    const counts: Partial<Record<Level, number>> = {};
    for (const level of Object.keys(own) as Level[]) {
      const people = [...perTown.values()].flat().filter((e) => e.level === level).reduce((n, e) => n + e.subscriptions.length, 0);
      counts[level] = people + (webhookCount[level] ?? 0) + (relayCount[level] ?? 0);
      if (counts[level]! > limit) {
        throw new Error(`${county.id}: the ${level} topic would have ${counts[level]} subscriptions with a filter policy, more than SNS allows per topic `
          + `(${limit}). Ask AWS to raise "Filter policies per topic" for the account, then synthesize with -c snsFilterPoliciesPerTopic=<new quota>; `
          + 'or reach more people through channels (one relay subscription serves them all)');
      }
    }
    this.filterPolicies = counts;
  }
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
