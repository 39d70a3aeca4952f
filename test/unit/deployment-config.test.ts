import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CountyConfigError, parseCounty } from '#config/county-loader.js';
import { deploymentProblems, mustBeTold } from '#config/deployment-schema.js';
import { jsonPath } from '#config/county-schema.js';

const json = (path: string): Record<string, any> => JSON.parse(readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8'));
const testville = () => json('../fixtures/counties/testville.json');
const shouyang = () => json('../../counties/shouyang.json');
const problemsOf = (raw: unknown): string[] => {
  try { parseCounty(raw); return []; } catch (e) {
    if (!(e instanceof CountyConfigError)) throw e;
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
};
const china = (c: Record<string, any>): Record<string, any> => ({ ...c, deployment: { region: 'cn-north-1', identity: { issuer: 'https://idp.example.cn/r', audience: 'g' }, ops: { emails: ['ops@example.cn'] } } });

describe('deployment and channels in the county file', () => {
  it('the demo counties are valid as shipped: cn-north-1, ops contacts, an SMS provider, a channel for everyone who must be told', () => {
    for (const c of [shouyang(), json('../../counties/yuci.json')]) {
      expect(problemsOf(c)).toEqual([]);
      expect(c.deployment.account).toBeUndefined();
      expect(c.deployment.region).toBe('cn-north-1');
    }
  });

  it('a county that names a region must name its ops contacts', () => {
    const c = china(testville());
    delete c.deployment.ops;
    expect(problemsOf(c)).toEqual(expect.arrayContaining([expect.stringMatching(/^\$\.deployment\.ops\.emails: a county that names a region \(cn-north-1\) must name the ops contacts/)]));
  });

  it('in a China region, every grid leader, town supervisor and city supervisor without a working channel is listed, each at its path', () => {
    const c = china(testville());
    const problems = problemsOf(c);
    const leaders = mustBeTold(c).filter((w) => w.role === 'grid leader');
    expect(leaders.length).toBeGreaterThan(1);
    // The fixture's leaders have phones only (SNS has no SMS in China); its supervisors have e-mail.
    for (const l of leaders) expect(problems).toContain(`${jsonPath(l.path)}: grid leader ${l.person.id as string} has no channel that works in cn-north-1 (SNS has no SMS in China): give an e-mail, a wecom or dingtalk channel, an sms channel with deployment.sms, or a webhook of their level that covers them`);
    expect(problems.filter((p) => p.includes('supervisor'))).toEqual([]);
    // The same file outside China: SNS SMS reaches the leaders.
    expect(deploymentProblems({ ...c, deployment: { ...c.deployment, region: 'eu-west-1' } })).toEqual([]);
  });

  it('each channel that works in China is enough: e-mail, wecom, dingtalk, a covering webhook, sms with a provider', () => {
    const c = china(testville());
    const leaders = mustBeTold(c).filter((w) => w.role === 'grid leader');
    expect(leaders.length).toBeGreaterThanOrEqual(4);
    const [l1, l2, l3, l4] = leaders.map((w) => w.person as Record<string, unknown>);
    Object.assign(l1!, { email: 'l1@example.cn' });
    Object.assign(l2!, { channels: [{ type: 'wecom', secret: 'gridflow/t/wecom' }] });
    Object.assign(l3!, { channels: [{ type: 'dingtalk', secret: 'gridflow/t/ding' }] });
    for (const w of leaders.slice(4)) Object.assign(w.person, { email: `${String(w.person.id)}@example.cn` });
    c.webhooks = [{ level: 'grid', url: 'https://hooks.example.cn/g', filter: { gridId: [leaders[3]!.gridId] } }];
    expect(problemsOf(c)).toEqual([]);
    // A webhook limited to some categories does not cover a person: not every message reaches them.
    c.webhooks[0].filter.category = [c.categories[0].id];
    expect(problemsOf(c)).toEqual([expect.stringContaining(`grid leader ${String(l4!.id)} has no channel`)]);
    Object.assign(l4!, { channels: [{ type: 'sms' }] });
    c.deployment.sms = { provider: 'aliyun', secret: 'gridflow/t/sms', signName: '测试', templates: { assigned: 'SMS_1' } };
    expect(problemsOf(c)).toEqual([]);
  });

  it('an sms channel needs a phone and deployment.sms; a channel names its type', () => {
    const c = testville();
    const leader = c.towns[0].communities[0].grids[0].leader;
    leader.channels = [{ type: 'sms' }];
    expect(problemsOf(c)).toEqual(['$.towns[0].communities[0].grids[0].leader.channels[0]: an sms channel needs deployment.sms (the county\'s SMS provider)']);
    delete leader.phone;
    expect(problemsOf(c)).toEqual(['$.towns[0].communities[0].grids[0].leader.channels[0]: an sms channel needs the person\'s phone']);
    leader.channels = [{ type: 'pager' }];
    expect(problemsOf(c)[0]).toMatch(/channels\[0\]\.type|channels\[0\]: a channel is/);
    leader.channels = [{ type: 'wecom', secret: 'not a secret name!' }];
    expect(problemsOf(c)[0]).toMatch(/^\$\.towns\[0\]\.communities\[0\]\.grids\[0\]\.leader\.channels\[0\]\.secret: a secret name/);
  });

  it('deploymentProblems checks against a region given by the deploy, not only the file', () => {
    const c = testville();
    expect(deploymentProblems(c)).toEqual([]);
    expect(deploymentProblems(c, 'cn-northwest-1').length).toBe(mustBeTold(c).filter((w) => w.role === 'grid leader').length);
  });
});
