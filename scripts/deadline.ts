/**
 * `npm run -s deadline -- (--county ID | --config FILE) --category C --level L --at ISO` (contract §7): the
 * deadline and the 80 % reminder of a level started at that instant, as the workflow computes them, printed as
 * `{"deadline": ISO-UTC, "reminderAt": ISO-UTC}` — so ops can check a calendar before deploying it.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CountyConfigError, loadCounty, loadCountyFile } from '#config/county-loader.js';
import { calendarOf, deadlineAt, freezePolicy, reminderAt } from '#domain/deadlines.js';
import { isGridflowError } from '#domain/errors.js';
import { ALL_LEVELS, type Level } from '#domain/incident.js';

const USAGE = 'usage: npm run -s deadline -- (--county ID | --config FILE) --category C --level L --at ISO-DATE-TIME';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n${code === 2 ? `${USAGE}\n` : ''}`);
  process.exit(code);
}

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        county: { type: 'string' }, config: { type: 'string' }, category: { type: 'string' },
        level: { type: 'string' }, at: { type: 'string' }, help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); return; }
  if ((values.county === undefined) === (values.config === undefined)) fail('give one of --county and --config');
  if (!values.category || !values.level || !values.at) fail('--category, --level and --at are required');
  const at = new Date(values.at);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(values.at) || Number.isNaN(at.getTime())) {
    fail(`--at must be an ISO 8601 date-time such as 2026-09-30T16:00:00+08:00, not ${values.at}`);
  }

  let county;
  try {
    county = values.config ? loadCountyFile(resolve(process.env.INIT_CWD ?? process.cwd(), values.config)) : loadCounty(values.county!);
  } catch (e) {
    if (e instanceof CountyConfigError) fail(e.message, 1);
    throw e;
  }
  const level = values.level as Level;
  if (!(ALL_LEVELS as readonly string[]).includes(level) || !county.ladder.includes(level)) {
    fail(`level "${values.level}" is not on the ladder of ${county.id} (${county.ladder.join(', ')})`);
  }
  let policy;
  try {
    policy = freezePolicy(county, values.category);
  } catch (e) {
    if (isGridflowError(e)) fail(`category "${values.category}" is not in ${county.id} (${county.categories.map((c) => c.id).join(', ')})`);
    throw e;
  }
  const calendar = calendarOf(county);
  const deadline = deadlineAt(policy, level, at, calendar);
  const reminder = reminderAt(policy, level, at, deadline, calendar);
  if (calendar !== null) {
    const years = new Set([calendar.yearOf(at), calendar.yearOf(deadline)]);
    const bare = [...years].filter((y) => !calendar.hasDataFor(y));
    if (bare.length > 0) process.stderr.write(`warning: the calendar names no holidays or make-up workdays for ${bare.join(' and ')}: only the weekend applies\n`);
  }
  process.stdout.write(`${JSON.stringify({ deadline: deadline.toISOString(), reminderAt: reminder.toISOString() })}\n`);
}

main();
