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

  it('is named Gridflow-City-<cityId> and holds one KMS-encrypted topic with a fixed name and key alias', () => {
    expect(built.cities.get('testcity')!.stackName).toBe('Gridflow-City-testcity');
    city.resourceCountIs('AWS::SNS::Topic', 1);
    city.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'gridflow-city-testcity', KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
    city.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/gridflow-city-testcity' });
  });

  it('admits only its counties: publishers must be in their accounts and carry a county id tag; TLS only', () => {
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
    expect(sid('NoOtherAccountPublishes')).toMatchObject({ Effect: 'Deny', Condition: { StringNotEquals: { 'aws:PrincipalAccount': [{ Ref: 'AWS::AccountId' }] } } });
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
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: { 'Fn::ImportValue': expect.stringMatching(/^Gridflow-City-testcity:ExportsOutputFnGetAttKey/) } }),
    ]));
    // No other role of the county carries the publisher tag.
    const tagged = Object.values(countyJson.Resources as Record<string, Json>)
      .filter((r) => r.Type === 'AWS::IAM::Role' && (r.Properties.Tags as Json[] | undefined)?.some((t) => t.Key === CITY_PUBLISHER_TAG));
    expect(tagged).toHaveLength(1);
  });
});

describe('counties of one city in different environments', () => {
  const built = build([shouyang(), yuci()]);
  const templates = allTemplates(built);

  it('puts the city stack with the county that pins an environment', () => {
    expect(cityEnv([shouyang(), yuci()])).toEqual(countyEnv(yuci()));
    const city = built.cities.get('jinzhong')!;
    expect(city.region).toBe('cn-north-1');
    expect(city.account).toBe('123456789012');
  });

  it('admits both counties\' tags and accounts', () => {
    const statements = resourcesOf(templates['Gridflow-City-jinzhong.template.json']!, 'AWS::SNS::TopicPolicy')[0]![1].Properties.PolicyDocument.Statement as Json[];
    const allow = statements.find((s) => s.Sid === 'CountiesOfThisCityPublish')!;
    expect(allow.Condition.StringEquals[`aws:PrincipalTag/${CITY_PUBLISHER_TAG}`]).toEqual(['shouyang', 'yuci']);
    expect(JSON.stringify(allow.Principal)).toContain('123456789012');
  });

  it('lets the agnostic county reach the city topic by its fixed name and the key by alias, after the city deploys', () => {
    const stack = built.counties.get('shouyang')!;
    const t = templates['Gridflow-shouyang.template.json']!;
    const roleId = stack.getLogicalId(stack.functions.sync.executionRole.node.defaultChild as never);
    const statements = statementsOfRole(t, roleId);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'sns:Publish', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:cn-north-1:123456789012:gridflow-city-jinzhong']] } }),
      expect.objectContaining({ Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/gridflow-city-jinzhong' } } }),
    ]));
    expect(stack.dependencies.map((d) => d.stackName)).toContain('Gridflow-City-jinzhong');
  });

  it('refuses a city whose counties sit in different partitions', () => {
    const commercial = { ...shouyang(), deployment: { account: '111111111111', region: 'ap-east-1' } };
    expect(() => build([yuci(), commercial])).toThrow(/different partitions/);
  });
});
