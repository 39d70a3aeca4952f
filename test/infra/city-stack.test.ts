import { Match, Template } from 'aws-cdk-lib/assertions';
import { CITY_PUBLISHER_TAG } from '#infra/city-stack.js';
import { countyEnv, cityEnv } from '#infra/app.js';
import { allTemplates, build, resourcesOf, shouyang, statementsOfRole, testville, yuci, type Json } from './support.js';

describe('city stack (counties in its own environment)', () => {
  const county = testville();
  const built = build([county]);
  const templates = allTemplates(built);
  const city = Template.fromJSON(templates['Gridflow-City-testcity.template.json']!);
  const cityJson = city.toJSON() as Json;
  const countyStack = built.counties.get('testville')!;
  const countyJson = templates['Gridflow-testville.template.json']!;
  const syncRoleId = countyStack.getLogicalId(countyStack.functions.sync.executionRole.node.defaultChild as never);

  it('is named Gridflow-City-<cityId> and holds one topic encrypted with the AWS managed key of SNS: no key to pay for', () => {
    expect(built.cities.get('testcity')!.stackName).toBe('Gridflow-City-testcity');
    city.resourceCountIs('AWS::SNS::Topic', 1);
    city.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'gridflow-city-testcity', KmsMasterKeyId: { 'Fn::Join': ['', Match.arrayWith([':alias/aws/sns'])] } });
    city.resourceCountIs('AWS::KMS::Key', 0);
  });

  it('admits only its counties: publishers must carry a county id tag; TLS only', () => {
    const statements = resourcesOf(cityJson, 'AWS::SNS::TopicPolicy')[0]![1].Properties.PolicyDocument.Statement as Json[];
    const sid = (s: string) => statements.find((x) => x.Sid === s)!;
    expect(sid('CountiesOfThisCityPublish')).toMatchObject({
      Effect: 'Allow',
      Action: 'sns:Publish',
      Principal: { AWS: { 'Fn::Join': ['', expect.arrayContaining([{ Ref: 'AWS::AccountId' }])] } },
      Condition: { StringEquals: { [`aws:PrincipalTag/${CITY_PUBLISHER_TAG}`]: ['testville'] } },
    });
    expect(sid('NobodyElsePublishes')).toMatchObject({
      Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sns:Publish',
      Condition: { StringNotEquals: { [`aws:PrincipalTag/${CITY_PUBLISHER_TAG}`]: ['testville'] } },
    });
    expect(statements).toEqual(expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]));
  });

  it('subscribes the city supervisors filtered to the city\'s counties', () => {
    const subs = resourcesOf(cityJson, 'AWS::SNS::Subscription').map(([, s]) => s);
    const sup = county.city.supervisors[0]!;
    expect(subs).toEqual(expect.arrayContaining([
      expect.objectContaining({ Properties: expect.objectContaining({ Protocol: 'email', Endpoint: sup.email, FilterPolicy: { countyId: ['testville'] } }) }),
      expect.objectContaining({ Condition: 'GridflowIsNotChinaPartition', Properties: expect.objectContaining({ Protocol: 'sms', FilterPolicy: { countyId: ['testville'] } }) }),
    ]));
  });

  it('is published to by the county sync role only, tagged with its county, through CDK exports (no hand-copied ARN)', () => {
    const role = countyJson.Resources[syncRoleId];
    expect(role.Properties.Tags).toEqual(expect.arrayContaining([{ Key: CITY_PUBLISHER_TAG, Value: 'testville' }]));
    const statements = statementsOfRole(countyJson, syncRoleId);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'sns:Publish', Resource: { 'Fn::ImportValue': expect.stringMatching(/^Gridflow-City-testcity:ExportsOutputRefCityTopic/) } }),
    ]));
    // The AWS managed key's own policy admits the account's principals through SNS: no KMS statement for the city topic.
    expect(JSON.stringify(statements)).not.toContain('Gridflow-City-testcity:ExportsOutputFnGetAttKey');
    // No other role of the county carries the publisher tag.
    const tagged = Object.values(countyJson.Resources as Record<string, Json>)
      .filter((r) => r.Type === 'AWS::IAM::Role' && (r.Properties.Tags as Json[] | undefined)?.some((t) => t.Key === CITY_PUBLISHER_TAG));
    expect(tagged).toHaveLength(1);
  });
});

describe('the counties of one city', () => {
  const pinned = (c: ReturnType<typeof yuci>, account: string | undefined, region: string) =>
    ({ ...c, deployment: { ...c.deployment!, ...(account ? { account } : {}), region } });

  it('share their environment, which the city stack takes (the demo counties: cn-north-1, account from the CLI)', () => {
    const built = build([shouyang(), yuci()], { defaultEnv: { account: '210987654321' } });
    expect(cityEnv([shouyang(), yuci()], { account: '210987654321' })).toEqual({ account: '210987654321', region: 'cn-north-1' });
    const city = built.cities.get('jinzhong')!;
    expect([city.account, city.region]).toEqual(['210987654321', 'cn-north-1']);
    for (const id of ['shouyang', 'yuci']) expect([built.counties.get(id)!.account, built.counties.get(id)!.region]).toEqual(['210987654321', 'cn-north-1']);
    const statements = resourcesOf(allTemplates(built)['Gridflow-City-jinzhong.template.json']!, 'AWS::SNS::TopicPolicy')[0]![1].Properties.PolicyDocument.Statement as Json[];
    const allow = statements.find((s) => s.Sid === 'CountiesOfThisCityPublish')!;
    expect(allow.Condition.StringEquals[`aws:PrincipalTag/${CITY_PUBLISHER_TAG}`]).toEqual(['shouyang', 'yuci']);
  });

  it('in different regions or accounts do not synthesize: a synth error names where each would go', () => {
    expect(() => build([shouyang(), pinned(yuci(), undefined, 'cn-northwest-1')])).toThrow(/city jinzhong must deploy to one environment.*shouyang -> \(any account\)\/cn-north-1, yuci -> \(any account\)\/cn-northwest-1/);
    expect(() => build([pinned(shouyang(), '111111111111', 'cn-north-1'), pinned(yuci(), '222222222222', 'cn-north-1')])).toThrow(/one environment/);
    // A pinned county and an agnostic one of the same city: not one environment either.
    const agnostic = { ...testville(), city: yuci().city, id: 'agnostic' };
    expect(() => build([yuci(), agnostic])).toThrow(/one environment/);
  });

  it('countyEnv: the file pins, else the defaults (context or CLI), else agnostic', () => {
    expect(countyEnv(yuci())).toEqual({ region: 'cn-north-1' });
    expect(countyEnv(yuci(), { account: '210987654321', region: 'eu-west-1' })).toEqual({ account: '210987654321', region: 'cn-north-1' });
    expect(countyEnv(testville())).toBeUndefined();
    expect(countyEnv(testville(), { region: 'eu-west-1' })).toEqual({ region: 'eu-west-1' });
  });
});
