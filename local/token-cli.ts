/**
 * `npm run -s token -- --role town --scope pingtou [--sub ID] [--name NAME] [--data-dir DIR] [--expires-in 12h]`
 * Prints one token and nothing else on stdout (contract §3), so `TOKEN=$(npm run -s token -- ...)` works.
 * Usage errors go to stderr with exit code 2.
 */
import { parseArgs } from 'node:util';
import { ROLES } from '#domain/incident.js';
import { isRole, mintToken, resolveDataDir } from './tokens.js';

const USAGE = `usage: npm run -s token -- --role <${ROLES.join('|')}> --scope <id> [--sub ID] [--name NAME] [--data-dir DIR] [--expires-in 12h]`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        role: { type: 'string' },
        scope: { type: 'string' },
        sub: { type: 'string' },
        name: { type: 'string' },
        'data-dir': { type: 'string' },
        'expires-in': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { role, scope } = values;
  if (role === undefined) throw new UsageError('--role is required');
  if (!isRole(role)) throw new UsageError(`unknown role "${role}" (one of ${ROLES.join(', ')})`);
  if (scope === undefined || scope === '') throw new UsageError('--scope is required');
  if (values.sub === '') throw new UsageError('--sub must not be empty');

  const expiresIn = values['expires-in'];
  let token: string;
  try {
    token = await mintToken(
      resolveDataDir(values['data-dir']),
      { role, scope, ...(values.sub ? { sub: values.sub } : {}), ...(values.name ? { name: values.name } : {}) },
      expiresIn ? { expiresIn } : {},
    );
  } catch (e) {
    // jose rejects a malformed time span with a TypeError; key-file problems are plain Errors.
    if (e instanceof TypeError && expiresIn) throw new UsageError(`--expires-in "${expiresIn}": ${e.message}`);
    throw e;
  }
  process.stdout.write(`${token}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`token: ${e.message}\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`token: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  },
);
