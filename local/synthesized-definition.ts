/**
 * The state machine CDK synthesizes for a county, rendered for the local runner, remembered on disk.
 *
 * Synthesizing means loading aws-cdk-lib and building the county's stacks: about 3.5 s of CPU at every start of
 * a local county (every `npm start`, every integration test file). The result depends only on the county, the
 * code that builds the stacks and renders the definition, the installed packages and the CDK environment, so
 * it is kept under a hash of exactly those and reused while none of them changes: still the synthesized
 * workflow, never a hand-kept copy. `GRIDFLOW_SYNTH_CACHE=off` synthesizes every time.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { County } from '#config/county-schema.js';
import { renderDefinition, type RenderedDefinition } from './stepfunctions/definition.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Everything the synthesized definition is built from (the packages through the lockfile). */
const INPUTS = ['infra', 'workflows', 'functions', 'local/stepfunctions', 'package-lock.json', 'cdk.json'];
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'gridflow', 'state-machines');

function filesUnder(path: string): string[] {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return [];
  if (stat.isFile()) return [path];
  return readdirSync(path).sort().flatMap((name) => filesUnder(join(path, name)));
}

/** The hash of what the definition of `county` is made from. */
export function definitionKey(county: County, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(county));
  // The CDK environment a county file does not pin comes from these (infra/app.ts).
  for (const name of Object.keys(env).filter((n) => n.startsWith('CDK_')).sort()) hash.update(`\0${name}=${env[name]}`);
  for (const file of INPUTS.flatMap((p) => filesUnder(join(ROOT, p)))) {
    hash.update(`\0${relative(ROOT, file)}\0`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 32);
}

/** The county stack's state machine and functions as the local runner takes them. */
export async function synthesizedDefinition(county: County): Promise<RenderedDefinition> {
  const cached = process.env.GRIDFLOW_SYNTH_CACHE !== 'off';
  const file = join(CACHE_DIR, `${county.id}-${definitionKey(county)}.json`);
  if (cached) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as RenderedDefinition;
    } catch { /* not there yet (or torn by a crash): synthesize */ }
  }
  // Loaded only here: aws-cdk-lib is most of a start's time.
  const { synthCountyTemplate } = await import('#infra/synth-county.js');
  const rendered = renderDefinition(synthCountyTemplate(county, { bundle: false }).template);
  if (cached) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      // Written whole then renamed: concurrent starts (test workers) never read half a file.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(rendered));
      renameSync(tmp, file);
    } catch { /* a read-only install still starts, synthesizing each time */ }
  }
  return rendered;
}
