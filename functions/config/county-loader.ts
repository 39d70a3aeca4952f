/**
 * Loads county files (contract §2). A file is either fully valid or rejected with every problem
 * listed by its JSON path, so an operator fixes a file in one pass instead of one error per deploy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { CountySchema, jsonPath, type County } from './county-schema.js';

export interface CountyProblem { path: string; message: string }

export class CountyConfigError extends Error {
  readonly problems: CountyProblem[];
  readonly source: string;

  constructor(source: string, problems: CountyProblem[]) {
    super(problems.map((p) => `${source}: ${p.path}: ${p.message}`).join('\n'));
    this.name = 'CountyConfigError';
    this.source = source;
    this.problems = problems;
  }
}

/** Where a parsed-but-sourceless county is said to come from in messages. */
const INLINE = '<county>';

/**
 * Validates a county. `raw` is the parsed object, or the file's JSON text (a county is never a
 * string, so text is parsed first). Defaults (locale, ladder, ...) are filled in.
 */
export function parseCounty(raw: unknown, source: string = INLINE): County {
  const value = typeof raw === 'string' ? parseJson(raw, source) : raw;
  const result = CountySchema.safeParse(value, {
    // Zod's default for a missing field ("expected string, received undefined") hides the point.
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined),
  });
  if (result.success) return result.data;
  throw new CountyConfigError(source, result.error.issues.flatMap(toProblems));
}

export function loadCountyFile(path: string): County {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CountyConfigError(path, [{ path: '$', message: `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }]);
  }
  return parseCounty(text, path);
}

/** The repository's counties/ folder; GRIDFLOW_COUNTIES_DIR overrides it (bundles, tests, ops). */
export function countiesDir(): string {
  const fromEnv = process.env.GRIDFLOW_COUNTIES_DIR;
  if (fromEnv) return resolve(fromEnv);
  return fileURLToPath(new URL('../../counties/', import.meta.url));
}

/** `<dir>/<countyId>.json`, whose `id` must be its file name (stack names and token scopes use it). */
export function loadCounty(countyId: string, dir: string = countiesDir()): County {
  const file = join(dir, `${countyId}.json`);
  if (!/^[a-z0-9-]+$/.test(countyId)) {
    throw new CountyConfigError(file, [{ path: '$', message: `"${countyId}" is not a county id (lowercase letters, digits and hyphens)` }]);
  }
  const files = countyFiles(dir);
  if (!files.includes(`${countyId}.json`)) {
    const known = files.map((f) => basename(f, '.json')).join(', ') || 'none';
    throw new CountyConfigError(file, [{ path: '$', message: `no such county file (counties in ${dir}: ${known})` }]);
  }
  return checkedAgainstFileName(loadCountyFile(file), file);
}

/** Every `*.json` of `dir`, sorted by county id. */
export function loadAllCounties(dir: string = countiesDir()): County[] {
  return countyFiles(dir)
    .map((f) => { const file = join(dir, f); return checkedAgainstFileName(loadCountyFile(file), file); })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function countyFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (e) {
    throw new CountyConfigError(dir, [{ path: '$', message: `cannot list the counties folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }]);
  }
}

function checkedAgainstFileName(county: County, file: string): County {
  const expected = basename(file, '.json');
  if (county.id !== expected) {
    throw new CountyConfigError(file, [{ path: '$.id', message: `id "${county.id}" must equal the file name "${expected}"` }]);
  }
  return county;
}

function parseJson(text: string, source: string): unknown {
  // Editors on Windows may save a byte-order mark; it is not part of the JSON.
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new CountyConfigError(source, [{ path: '$', message: 'malformed JSON: the file is empty' }]);
  try {
    return JSON.parse(body) as unknown;
  } catch (e) {
    const reason = (e as Error).message;
    const at = /position (\d+)/.exec(reason);
    const where = at ? ` (${lineAndColumn(body, Number(at[1]))})` : '';
    throw new CountyConfigError(source, [{ path: '$', message: `malformed JSON: ${reason}${where}` }]);
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** One problem per zod issue, except an unknown-keys issue which names each key at its own path. */
function toProblems(issue: z.core.$ZodIssue): CountyProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: jsonPath([...issue.path, key]), message: `unknown field "${key}"` }));
  }
  return [{ path: jsonPath(issue.path), message: issue.message }];
}
