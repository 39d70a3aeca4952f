/**
 * List prices the cost model uses (on-demand, no free tiers, no savings plans). us-east-1 in USD from the AWS
 * pricing pages; cn-north-1 (Beijing, operated by Sinnet) in CNY where a price could be checked, and
 * otherwise a placeholder: the us-east-1 price converted at CNY_PER_USD, marked unverified. Change a number
 * here and `npm run bench -- --only cost` prices a new replay with it.
 */

export interface PriceList {
  region: string;
  currency: 'USD' | 'CNY';
  stepFunctionsPerTransition: number;
  lambdaPerRequest: number;
  /** arm64 (the stack's architecture), first pricing tier. */
  lambdaPerGbSecond: number;
  dynamoPerWriteUnit: number;
  dynamoPerReadUnit: number;
  dynamoStoragePerGbMonth: number;
  snsPerPublish: number;
  snsPerEmail: number;
  apiPerRequest: number;
  logsPerGb: number;
  xrayPerTrace: number;
  schedulerPerInvocation: number;
  kmsPerKeyMonth: number;
  /** A standard-resolution alarm, per metric it reads. */
  alarmPerMonth: number;
  compositeAlarmPerMonth: number;
  secretPerMonth: number;
  /** Which figures were checked against a price page; the others are marked unverified in the report. */
  verified: readonly (keyof PriceList)[];
  notes: string[];
}

export const US_EAST_1: PriceList = {
  region: 'us-east-1',
  currency: 'USD',
  stepFunctionsPerTransition: 0.025 / 1_000,
  lambdaPerRequest: 0.2 / 1e6,
  lambdaPerGbSecond: 0.0000133334,
  dynamoPerWriteUnit: 0.625 / 1e6,
  dynamoPerReadUnit: 0.125 / 1e6,
  dynamoStoragePerGbMonth: 0.25,
  snsPerPublish: 0.5 / 1e6,
  snsPerEmail: 2 / 100_000,
  apiPerRequest: 1 / 1e6,
  logsPerGb: 0.5,
  xrayPerTrace: 5 / 1e6,
  schedulerPerInvocation: 1 / 1e6,
  kmsPerKeyMonth: 1,
  alarmPerMonth: 0.1,
  compositeAlarmPerMonth: 0.5,
  secretPerMonth: 0.4,
  verified: ['stepFunctionsPerTransition', 'lambdaPerRequest', 'dynamoPerWriteUnit', 'dynamoPerReadUnit'],
  notes: [
    'Step Functions Standard $0.025 per 1,000 transitions; DynamoDB on-demand $0.625 per million write and $0.125 per million read request units (after the November 2024 price cut); Lambda $0.20 per million requests: checked on the pricing pages.',
    'Lambda arm64 $0.0000133334 per GB-second, HTTP API $1.00 per million requests, SNS $0.50 per million publishes and $2.00 per 100,000 e-mails, CloudWatch Logs $0.50 per GB ingested, X-Ray $5.00 per million traces, EventBridge Scheduler $1.00 per million invocations, KMS $1 per key-month, alarms $0.10 per metric a month ($0.50 a composite alarm), Secrets Manager $0.40 per secret-month: the published list prices as known to the author, not re-checked for this run.',
    'Free tiers (4,000 transitions, 1 million Lambda requests and 400,000 GB-seconds, 1 million SNS publishes, 14 million scheduler invocations a month) are left out: they are per account, and a province would run many counties in one.',
  ],
};

/** Used only for cn-north-1 figures nobody checked; the report says so next to each. */
export const CNY_PER_USD = 7.2;

const converted = (usd: number) => usd * CNY_PER_USD;

export const CN_NORTH_1: PriceList = {
  region: 'cn-north-1',
  currency: 'CNY',
  stepFunctionsPerTransition: converted(US_EAST_1.stepFunctionsPerTransition),
  lambdaPerRequest: 1.36 / 1e6,
  lambdaPerGbSecond: 0.000113477 * 0.8,
  dynamoPerWriteUnit: 11.1538 / 1e6,
  dynamoPerReadUnit: 11.1538 / 5 / 1e6,
  dynamoStoragePerGbMonth: converted(US_EAST_1.dynamoStoragePerGbMonth),
  snsPerPublish: converted(US_EAST_1.snsPerPublish),
  snsPerEmail: converted(US_EAST_1.snsPerEmail),
  apiPerRequest: converted(US_EAST_1.apiPerRequest),
  logsPerGb: converted(US_EAST_1.logsPerGb),
  xrayPerTrace: 0, // no X-Ray integration for Lambda in the China regions: the stack disables tracing there
  schedulerPerInvocation: converted(US_EAST_1.schedulerPerInvocation),
  kmsPerKeyMonth: converted(US_EAST_1.kmsPerKeyMonth),
  alarmPerMonth: converted(US_EAST_1.alarmPerMonth),
  compositeAlarmPerMonth: converted(US_EAST_1.compositeAlarmPerMonth),
  secretPerMonth: converted(US_EAST_1.secretPerMonth),
  verified: ['dynamoPerWriteUnit'],
  notes: [
    'DynamoDB on-demand writes ¥11.1538 per million: amazonaws.cn/en/dynamodb/pricing as stored by the search index (it may predate a later price change); reads assumed at one fifth of writes, the ratio of every region the author knows.',
    'Lambda ¥1.36 per million requests and ¥0.000113477 per GB-second (x86) are the author\'s recollection of amazonaws.cn, unverified; arm64 assumed 20 % below x86 as elsewhere.',
    `Every other cn-north-1 price is unknown to the author: the us-east-1 price converted at ${CNY_PER_USD} CNY per USD stands in for it. Check amazonaws.cn/en/pricing before quoting any cn-north-1 total.`,
  ],
};
