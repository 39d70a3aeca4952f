/**
 * Where people open an incident (contract §9): the console's base URL, in the environment variable the county
 * stack sets (its CloudFront distribution or the county's console domain) and the local runtime sets
 * (`http://localhost:<port>/console`). Every notification links to `<consoleUrl>/incidents/<id>`.
 */
export const CONSOLE_URL_ENV = 'CONSOLE_URL';

export function consoleUrl(): string {
  const value = process.env[CONSOLE_URL_ENV];
  // A message without a working link is worse than a retried publish: fail loudly, ops alarms see it.
  if (!value) throw new Error(`environment variable ${CONSOLE_URL_ENV} is not set`);
  return value;
}
