import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countyIndex, CountyIndex, type NamedKind } from '#config/county-index.js';
import {
  countiesDir, CountyConfigError, loadAllCounties, loadCounty, loadCountyFile, parseCounty,
} from '#config/county-loader.js';
import { jsonPath, type County } from '#config/county-schema.js';
import { localName } from '#config/names.js';
import { nominalMs } from '#domain/deadlines.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/counties/', import.meta.url));
const REPO_COUNTIES = fileURLToPath(new URL('../../counties/', import.meta.url));
const CATEGORY_IDS = [
  'conflict', 'safety-hazard', 'epidemic-prevention', 'sanitation', 'public-order', 'elderly-care',
  'information-collection', 'policy-publicity',
];

const fixtureJson = (file: string): Record<string, any> => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));

/** Runs `fn` and returns the CountyConfigError it must throw. */
function configError(fn: () => unknown): CountyConfigError {
  try { fn(); } catch (e) {
    expect(e).toBeInstanceOf(CountyConfigError);
    return e as CountyConfigError;
  }
  throw new Error('expected a CountyConfigError');
}

let tmp: string;
beforeEach(() => { tmp = mkdtempSync(join(tmpdir(), 'gridflow-counties-')); });
afterEach(() => { rmSync(tmp, { recursive: true, force: true }); });

describe('the real county files', () => {
  it('countiesDir() is the repository counties/ folder', () => {
    expect(resolve(countiesDir())).toBe(resolve(REPO_COUNTIES));
  });

  it('all load, sorted by id', () => {
    const ids = loadAllCounties().map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['shouyang', 'yuci']));
    expect(ids).toEqual([...ids].sort());
  });

  it('shouyang: Heishui has 13 grids, Nangang 68, with the leaders of the report', () => {
    const county = loadCounty('shouyang');
    expect(county).toMatchObject({
      name: { 'zh-CN': '寿阳县', en: 'Shouyang County' }, locale: 'zh-CN', timeZone: 'Asia/Shanghai',
      ladder: ['grid', 'town', 'city'], verificationWindow: 'P3D', city: { id: 'jinzhong', name: { 'zh-CN': '晋中市', en: 'Jinzhong City' } },
    });
    expect(county.deployment?.region).toBe('cn-north-1');
    const index = new CountyIndex(county);
    expect(index.community('heishui')?.grids.map((g) => g.id))
      .toEqual(Array.from({ length: 13 }, (_, i) => `heishui-${String(i + 1).padStart(2, '0')}`));
    expect(index.community('nangang')?.grids).toHaveLength(68);
    expect(index.community('nangang')?.grids.at(-1)?.id).toBe('nangang-68');
    expect(index.grid('heishui-09')?.leader.name).toBe('Chen Jianling');
    const jinsheng = index.community('nangang')?.grids.find((g) => index.nameOf('grid', g.id, 'en') === 'Jinsheng Jiayuan');
    expect(jinsheng?.leader.name).toBe('Gao Cuihua');
    expect(index.townOfCommunity('heishui')?.id).toBe('pingtou');
    expect(index.townOfCommunity('nangang')?.id).toBe('binhe');
    expect(county.towns.length).toBeGreaterThanOrEqual(3);
    expect(county.categories.map((c) => c.id)).toEqual(CATEGORY_IDS);
  });

  it('yuci: same city and categories, deployed to the China region with an external identity', () => {
    const yuci = loadCounty('yuci');
    const shouyang = loadCounty('shouyang');
    expect(yuci.name).toEqual({ 'zh-CN': '榆次区', en: 'Yuci District' });
    expect(yuci.city).toEqual(shouyang.city);
    expect(yuci.categories.map((c) => c.id)).toEqual(CATEGORY_IDS);
    expect(yuci.deployment).toMatchObject({
      region: 'cn-north-1',
      identity: { issuer: 'https://idp.yuci.example.cn/realms/yuci', audience: 'gridflow', consoleClientId: 'gridflow-console' },
      console: { domain: 'gridflow.yuci.example.cn', certificate: 'ASCAYUCICONSOLEEXAMPLE1' },
    });
    expect(yuci.deployment?.account).toBeUndefined();
  });

  it('name every place and category in Chinese and English, grids as 第N网格 / Grid N', () => {
    for (const county of loadAllCounties()) {
      const named = [
        county, county.city, ...county.categories, ...county.towns,
        ...county.towns.flatMap((t) => t.communities), ...county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids)),
      ];
      for (const { id, name } of named) {
        expect([id, name]).toEqual([id, { 'zh-CN': expect.stringMatching(/\p{Script=Han}/u), en: expect.stringMatching(/^[\x20-\x7e]+$/) }]);
      }
      for (const grid of county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids))) {
        const n = /^Grid (\d+)$/.exec(localName(grid.name, 'en'))?.[1];
        if (n) expect(localName(grid.name, 'zh-CN')).toBe(`第${n}网格`);
      }
    }
  });

  it('every supervisor can be reached and hazards are faster than paperwork', () => {
    for (const county of loadAllCounties()) {
      expect(county.supervisors.length).toBeGreaterThan(0); // the county role's people (contract §10)
      const supervisors = [...county.supervisors, ...county.city.supervisors, ...county.towns.flatMap((t) => t.supervisors)];
      for (const s of supervisors) {
        expect(s.email).toMatch(/@example\.cn$/);
        expect(s.phone).toMatch(/^\d{11}$/);
      }
      const index = new CountyIndex(county);
      for (const level of county.ladder) {
        const ms = (id: string) => nominalMs(index.deadlineFor(id, level)!);
        expect(ms('safety-hazard')).toBeLessThan(ms('conflict'));
        expect(ms('epidemic-prevention')).toBeLessThan(ms('conflict'));
        expect(ms('conflict')).toBeLessThan(ms('policy-publicity'));
      }
    }
  });
});

describe('the test fixtures', () => {
  it('testville: two towns of two grids, a fast and a slow category', () => {
    const county = loadCounty('testville', FIXTURES);
    const index = new CountyIndex(county);
    expect(county).toMatchObject({ locale: 'en', timeZone: 'Asia/Shanghai', verificationWindow: 'PT3S', city: { id: 'testcity' } });
    expect(index.ladder).toEqual(['grid', 'town', 'city']);
    expect(index.townIds).toEqual(['north', 'south']);
    expect(index.gridIds).toEqual(['north-01', 'north-02', 'south-01', 'south-02']);
    expect(index.category('conflict')?.deadlines).toEqual({ grid: 'PT2S', town: 'PT2S', city: 'PT2S' });
    expect(index.category('safety-hazard')?.deadlines).toEqual({ grid: 'PT1H', town: 'PT2H', city: 'PT4H' });
  });

  it('testville4: a four-level ladder with a deadline for every level', () => {
    const county = loadCountyFile(join(FIXTURES, 'testville4.json'));
    expect(county.id).toBe('testville4');
    expect(county.ladder).toEqual(['grid', 'town', 'county', 'city']);
    for (const c of county.categories) expect(Object.keys(c.deadlines).sort()).toEqual(['city', 'county', 'grid', 'town']);
    expect(new CountyIndex(county).deadlineFor('conflict', 'county')).toBe('PT2S');
  });
});

describe('an invalid county', () => {
  /** testville with five unrelated mistakes, one of which (a grid without a name) aborts zod early. */
  function broken(): Record<string, any> {
    const c = fixtureJson('testville.json');
    c.id = 'Test Ville';
    c.towns[1].communities[0].grids[1].id = 'north-01';
    delete c.categories[0].deadlines.town;
    c.categories[1].deadlines.grid = '1 hour';
    c.towns[0].mayor = 'nobody';
    delete c.towns[0].communities[0].grids[1].name;
    return c;
  }

  it('lists every problem with its JSON path', () => {
    const error = configError(() => parseCounty(broken(), 'counties/testville.json'));
    const byPath = Object.fromEntries(error.problems.map((p) => [p.path, p.message]));
    expect(byPath).toEqual({
      '$.id': expect.stringMatching(/lowercase/),
      '$.towns[1].communities[0].grids[1].id': expect.stringMatching(/"north-01" is already used at \$\.towns\[0\]\.communities\[0\]\.grids\[0\]\.id/),
      '$.categories[0].deadlines.town': expect.stringMatching(/needs a deadline for level "town"/),
      '$.categories[1].deadlines.grid': expect.stringMatching(/"1 hour" is not an ISO 8601 duration/),
      '$.towns[0].mayor': 'unknown field "mayor"',
      '$.towns[0].communities[0].grids[1].name': 'is required',
    });
    expect(error.problems).toHaveLength(6);
  });

  it('says so one problem a line, as <file>: <path>: <message>', () => {
    const error = configError(() => parseCounty(broken(), 'counties/testville.json'));
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(error.problems.length);
    expect(lines).toContain('counties/testville.json: $.towns[0].mayor: unknown field "mayor"');
    for (const line of lines) expect(line).toMatch(/^counties\/testville\.json: \$\S*: .+/);
    expect(error.name).toBe('CountyConfigError');
  });

  it('checks the ladder, duplicate categories, zero durations and webhooks that can never fire', () => {
    const c = fixtureJson('testville.json');
    c.ladder = ['town', 'grid'];
    c.categories.push({ ...c.categories[0] });
    c.verificationWindow = 'PT0S';
    c.webhooks = [{ level: 'county', url: 'https://hooks.example.org/x', filter: { townId: ['north', 'west'] } }];
    const paths = configError(() => parseCounty(c)).problems.map((p) => `${p.path} ${p.message}`);
    expect(paths).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\$\.ladder\[0\] the ladder starts at grid/),
      expect.stringMatching(/^\$\.ladder levels must be distinct and in order/),
      expect.stringMatching(/^\$\.categories\[2\]\.id category "conflict" is listed twice \(first at \$\.categories\[0\]\)/),
      expect.stringMatching(/^\$\.verificationWindow "PT0S" must be longer than zero/),
      expect.stringMatching(/^\$\.webhooks\[0\]\.level level "county" is not on the ladder/),
      expect.stringMatching(/^\$\.webhooks\[0\]\.filter\.townId\[1\] unknown townId "west"/),
    ]));
    expect(paths.join('\n')).not.toMatch(/townId\[0\]/);
  });

  it('checks the console\'s domain and the identity block\'s console client', () => {
    const c = fixtureJson('testville.json');
    c.deployment = { identity: { issuer: 'https://idp.example.cn/realms/t', audience: 'gridflow', consoleClientId: '' },
      console: { domain: 'https://Gridflow.example.cn/', certificate: '' } };
    const paths = configError(() => parseCounty(c)).problems.map((p) => `${p.path} ${p.message}`);
    expect(paths).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\$\.deployment\.identity\.consoleClientId /),
      expect.stringMatching(/^\$\.deployment\.console\.domain a lowercase host name such as/),
      expect.stringMatching(/^\$\.deployment\.console\.certificate /),
    ]));
    c.deployment.identity.consoleClientId = 'gridflow-console';
    c.deployment.console = { domain: 'gridflow.testville.example.cn', certificate: 'ASCAEXAMPLE' };
    expect(parseCounty(c).deployment?.console?.domain).toBe('gridflow.testville.example.cn');
  });

  it('is not a county at all', () => {
    expect(configError(() => parseCounty(42, 'x.json')).message).toMatch(/^x\.json: \$: /);
    expect(configError(() => parseCounty(null)).problems[0]?.path).toBe('$');
  });
});

describe('loading files', () => {
  const write = (name: string, text: string) => { const f = join(tmp, name); writeFileSync(f, text); return f; };

  it('fills defaults and accepts JSON text', () => {
    const c = fixtureJson('testville.json');
    delete c.locale; delete c.ladder; delete c.timeZone; delete c.verificationWindow;
    const county = parseCounty(JSON.stringify(c));
    expect(county).toMatchObject({ locale: 'zh-CN', timeZone: 'Asia/Shanghai', ladder: ['grid', 'town', 'city'], verificationWindow: 'P3D', webhooks: [] });
  });

  it('refuses a file whose id is not its file name', () => {
    write('elsewhere.json', readFileSync(join(FIXTURES, 'testville.json'), 'utf8'));
    const error = configError(() => loadCounty('elsewhere', tmp));
    expect(error.problems).toEqual([{ path: '$.id', message: 'id "testville" must equal the file name "elsewhere"' }]);
    expect(error.message).toBe(`${join(tmp, 'elsewhere.json')}: $.id: id "testville" must equal the file name "elsewhere"`);
    expect(() => loadAllCounties(tmp)).toThrow(CountyConfigError);
  });

  it('reports malformed JSON with the file and where it breaks', () => {
    const file = write('testville.json', '{\n  "id": "testville",\n}\n');
    const error = configError(() => loadCountyFile(file));
    expect(error.problems).toHaveLength(1);
    expect(error.message).toMatch(new RegExp(`^${escape(file)}: \\$: malformed JSON: .+\\(line 3, column 1\\)$`));
    expect(configError(() => parseCounty('')).message).toBe('<county>: $: malformed JSON: the file is empty');
  });

  it('tolerates a byte-order mark', () => {
    const file = write('testville.json', `\uFEFF${readFileSync(join(FIXTURES, 'testville.json'), 'utf8')}`);
    expect(loadCountyFile(file).id).toBe('testville');
  });

  it('names the counties there are when one is unknown', () => {
    write('testville.json', readFileSync(join(FIXTURES, 'testville.json'), 'utf8'));
    expect(configError(() => loadCounty('atlantis', tmp)).message).toMatch(/atlantis\.json: \$: no such county file \(counties in .*: testville\)/);
    expect(configError(() => loadCounty('../etc/passwd', tmp)).message).toMatch(/is not a county id/);
    expect(configError(() => loadCountyFile(join(tmp, 'missing.json'))).message).toMatch(/cannot read the file \(ENOENT\)/);
  });

  it('loads every *.json of a folder sorted by id, and GRIDFLOW_COUNTIES_DIR moves the default folder', () => {
    const t = fixtureJson('testville.json');
    write('zeta.json', JSON.stringify({ ...t, id: 'zeta' }));
    write('alpha.json', JSON.stringify({ ...t, id: 'alpha' }));
    write('notes.txt', 'not a county');
    expect(loadAllCounties(tmp).map((c) => c.id)).toEqual(['alpha', 'zeta']);
    const before = process.env.GRIDFLOW_COUNTIES_DIR;
    process.env.GRIDFLOW_COUNTIES_DIR = tmp;
    try {
      expect(countiesDir()).toBe(resolve(tmp));
      expect(loadCounty('zeta').id).toBe('zeta');
    } finally {
      if (before === undefined) delete process.env.GRIDFLOW_COUNTIES_DIR; else process.env.GRIDFLOW_COUNTIES_DIR = before;
    }
  });
});

describe('CountyIndex', () => {
  const shouyang = (): County => loadCounty('shouyang', REPO_COUNTIES);

  it('resolves a grid to its community and town', () => {
    const index = new CountyIndex(shouyang());
    expect(index.grid('heishui-09')).toEqual({
      gridId: 'heishui-09', gridName: { 'zh-CN': '第9网格', en: 'Grid 9' },
      communityId: 'heishui', communityName: { 'zh-CN': '黑水村', en: 'Heishui Village' },
      townId: 'pingtou', townName: { 'zh-CN': '平头镇', en: 'Pingtou Town' }, leader: expect.objectContaining({ id: 'hs-09', name: 'Chen Jianling' }),
    });
    expect(index.grid('nangang-68')).toMatchObject({ communityId: 'nangang', townId: 'binhe' });
    expect(index.grid('heishui-14')).toBeUndefined();
    expect(index.grid('pingtou')).toBeUndefined();
    expect(index.town('binhe')?.name).toEqual({ 'zh-CN': '滨河街道', en: 'Binhe Street' });
    expect(index.town('heishui')).toBeUndefined();
    expect(index.community('nangang')?.name).toEqual({ 'zh-CN': '南岗社区', en: 'Nangang Community' });
    expect(index.townOfCommunity('nowhere')).toBeUndefined();
    expect(index.gridsOfTown('pingtou')).toHaveLength(13);
    expect(index.gridsOfTown('nowhere')).toEqual([]);
    expect(index.gridIds).toHaveLength(shouyang().towns.flatMap((t) => t.communities.flatMap((c) => c.grids)).length);
    expect(index.gridIds.slice(0, 2)).toEqual(['heishui-01', 'heishui-02']);
  });

  it('resolves a category to its deadlines on this ladder', () => {
    const index = new CountyIndex(shouyang());
    expect(index.category('safety-hazard')?.name).toEqual({ 'zh-CN': '安全隐患', en: 'Safety hazard' });
    expect(index.category('fire')).toBeUndefined();
    expect(index.deadlineFor('safety-hazard', 'grid')).toBe('PT4H');
    expect(index.deadlineFor('safety-hazard', 'town')).toBe('PT8H');
    expect(index.deadlineFor('conflict', 'city')).toBe('PT72H');
    expect(index.deadlineFor('conflict', 'county')).toBeUndefined();
    expect(index.deadlineFor('fire', 'grid')).toBeUndefined();
    expect(index.policyFor('conflict')).toEqual({
      deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' }, verificationWindow: 'P3D', ladder: ['grid', 'town', 'city'],
    });
    expect(index.policyFor('fire')).toBeUndefined();
  });

  it('walks the ladder', () => {
    const three = new CountyIndex(loadCounty('testville', FIXTURES));
    expect(three.nextLevel('grid')).toBe('town');
    expect(three.nextLevel('town')).toBe('city');
    expect(three.nextLevel('city')).toBeUndefined();
    expect(three.nextLevel('county')).toBeUndefined();
    expect(three.topLevel).toBe('city');
    const four = new CountyIndex(loadCountyFile(join(FIXTURES, 'testville4.json')));
    expect(four.nextLevel('town')).toBe('county');
    expect(four.policyFor('safety-hazard')?.deadlines).toEqual({ grid: 'PT1H', town: 'PT2H', county: 'PT4H', city: 'PT8H' });
  });

  it('names every place and category in the language asked for, or as written when the file gives one name', () => {
    const index = new CountyIndex(shouyang());
    const both = (kind: NamedKind, id: string) => [index.nameOf(kind, id, 'zh-CN'), index.nameOf(kind, id, 'en')];
    expect(both('county', 'shouyang')).toEqual(['寿阳县', 'Shouyang County']);
    expect(both('city', 'jinzhong')).toEqual(['晋中市', 'Jinzhong City']);
    expect(both('town', 'pingtou')).toEqual(['平头镇', 'Pingtou Town']);
    expect(both('community', 'heishui')).toEqual(['黑水村', 'Heishui Village']);
    expect(both('grid', 'heishui-09')).toEqual(['第9网格', 'Grid 9']);
    expect(both('category', 'conflict')).toEqual(['邻里纠纷', 'Neighbour conflict']);
    // An id of another kind, or unknown, has no name: the caller decides what to print.
    expect(index.nameOf('town', 'heishui', 'en')).toBeUndefined();
    expect(index.nameOf('county', 'yuci', 'en')).toBeUndefined();
    expect(index.nameOf('grid', 'heishui-14', 'zh-CN')).toBeUndefined();
    const plain = new CountyIndex(loadCounty('testville', FIXTURES));
    expect([plain.nameOf('town', 'north', 'zh-CN'), plain.nameOf('town', 'north', 'en')]).toEqual(['North Town', 'North Town']);
  });

  it('names who answers at each level', () => {
    const index = new CountyIndex(loadCounty('testville', FIXTURES));
    expect(index.peopleAt('grid', 'south-02').map((p) => p.id)).toEqual(['south-leader-2']);
    expect(index.peopleAt('town', 'south-02').map((p) => p.id)).toEqual(['south-sup-1']);
    expect(index.peopleAt('city', 'south-02').map((p) => p.id)).toEqual(['tc-1']);
    expect(index.peopleAt('town', 'nowhere')).toEqual([]);
  });

  it('is built once per county object', () => {
    const county = shouyang();
    expect(countyIndex(county)).toBe(countyIndex(county));
    expect(countyIndex(county)).not.toBe(countyIndex(shouyang()));
  });
});

describe('jsonPath', () => {
  it('writes paths the way the problems are listed', () => {
    expect(jsonPath([])).toBe('$');
    expect(jsonPath(['towns', 0, 'communities', 1, 'grids', 3, 'id'])).toBe('$.towns[0].communities[1].grids[3].id');
    expect(jsonPath(['deadlines', 'odd key'])).toBe('$.deadlines["odd key"]');
  });
});

function escape(s: string): string { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }
