/**
 * `Gridflow-City-<cityId>`: the city-level topic (the top of the default ladder) and the city supervisors'
 * subscriptions, each filtered to the city's counties. The topic admits only its counties: sns:Publish is
 * allowed only to principals that carry the tag the county stacks put on their sync role, and explicitly
 * denied to everyone else (even administrators of the same account).
 *
 * Why a tag and not the sync roles' ARNs: the county stacks import this topic (CDK exports it), so naming
 * their roles here would make the two stacks depend on each other. County ids come from the county files, so
 * nothing is copied by hand. The counties of a city share its environment (a synth error otherwise, app.ts).
 *
 * The topic is encrypted with the AWS managed key for SNS (aws/sns), not a customer-managed key: only the
 * counties' sync roles publish to it (no CloudWatch or EventBridge, which need a key policy naming them),
 * city-level messages carry no reporter data (messages.ts names the reporter to the grid only), and a
 * customer-managed key would add $1 a month to every city for no reader it keeps out.
 */
import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { County } from '#config/county-schema.js';
import { localName } from '#config/names.js';
import { addSubscriptions, encryptedTopic, endpointsOf, warnUnreachable, type PersonSubscription } from './constructs/level-topics.js';
import { offeredOutsideChina } from './constructs/partition.js';

/** Tag on a county's sync role naming its county; the city topic admits the tag values of its counties. */
export const CITY_PUBLISHER_TAG = 'gridflow:city-publisher';
export const cityTopicName = (cityId: string): string => `gridflow-city-${cityId}`;
export const cityStackName = (cityId: string): string => `Gridflow-City-${cityId}`;

export interface CityStackProps extends StackProps {
  /** The counties that name this city (at least one); their city entries give the supervisors. */
  readonly counties: readonly County[];
}

export class CityStack extends Stack {
  public readonly cityId: string;
  public readonly topic: sns.Topic;
  /** The AWS managed key of SNS in this account and region. */
  public readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: CityStackProps) {
    super(scope, id, props);
    const first = props.counties[0];
    if (!first) throw new Error('a city stack needs at least one county');
    const city = first.city;
    const strays = props.counties.filter((c) => c.city.id !== city.id).map((c) => c.id);
    if (strays.length > 0) throw new Error(`counties ${strays.join(', ')} do not belong to city ${city.id}`);
    this.cityId = city.id;
    Tags.of(this).add('gridflow:city', city.id);

    this.key = kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns');
    this.topic = encryptedTopic(this, 'CityTopic', {
      key: this.key,
      displayName: `gridflow ${localName(city.name, 'en')}`,
      topicName: cityTopicName(city.id),
    });

    const countyIds = props.counties.map((c) => c.id).sort();
    const publisher = { StringEquals: { [`aws:PrincipalTag/${CITY_PUBLISHER_TAG}`]: countyIds } };
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CountiesOfThisCityPublish',
      principals: [new iam.AccountPrincipal(this.account)],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: publisher,
    }));
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'NobodyElsePublishes',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: { StringNotEquals: { [`aws:PrincipalTag/${CITY_PUBLISHER_TAG}`]: countyIds } },
    }));

    const supervisors = props.counties.flatMap((c) => c.city.supervisors.flatMap((person) =>
      countyIds.map((countyId): PersonSubscription => ({ person, attribute: 'countyId', value: countyId }))));
    const sms = offeredOutsideChina(this);
    const { subscriptions, unreachable } = endpointsOf(supervisors, { sms, defaultCountryCode: first.locale === 'zh-CN' ? '+86' : '+1' });
    warnUnreachable(this, 'city supervisors', unreachable, sms);
    addSubscriptions(new Construct(this, 'CitySupervisors'), this.topic, '', subscriptions);

    new CfnOutput(this, 'CityTopicArn', { value: this.topic.topicArn });
  }
}
