import { existsSync } from 'node:fs';
import { loadCountyFile } from '#config/county-loader.js';
import { synthCountyTemplate } from '#infra/synth-county.js';
import { renderDefinition } from '#local/stepfunctions/definition.js';
import { definitionKey, synthesizedDefinition } from '#local/synthesized-definition.js';
import { FIXTURES } from '../helpers/local-county.js';

const county = { ...loadCountyFile(`${FIXTURES}testville.json`), webhooks: [] };

describe('the synthesized state machine, remembered by what it is made of', () => {
  test('a remembered definition is the one a fresh synthesis renders, and a second start reads it back', async () => {
    const fresh = renderDefinition(synthCountyTemplate(county, { bundle: false }).template);
    expect(await synthesizedDefinition(county)).toEqual(fresh);
    expect(existsSync(`node_modules/.cache/gridflow/state-machines/${county.id}-${definitionKey(county)}.json`)).toBe(true);
    expect(await synthesizedDefinition(county)).toEqual(fresh);
  });

  test('another county, another deadline or another CDK environment is another definition', () => {
    const key = definitionKey(county, {});
    expect(definitionKey(county, {})).toBe(key);
    expect(definitionKey({ ...county, ladder: ['grid', 'town'] }, {})).not.toBe(key);
    const [first, ...rest] = county.categories;
    expect(definitionKey({ ...county, categories: [{ ...first!, deadlines: { ...first!.deadlines, grid: 'PT2H' } }, ...rest] }, {})).not.toBe(key);
    expect(definitionKey(county, { CDK_DEFAULT_REGION: 'cn-north-1' })).not.toBe(key);
    expect(definitionKey(county, { HOME: '/elsewhere' })).toBe(key);
  });
});
