/**
 * CSV as Excel reads it: UTF-8 with a byte order mark (without it Excel guesses the local code page and
 * Chinese turns to mojibake), CRLF line ends, every field quoted when it holds a comma, quote or line
 * break, and a leading = + - @ neutralised so a cell never runs as a formula.
 */
export const BOM = '\uFEFF';

function field(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(rows: readonly (readonly string[])[]): string {
  return BOM + rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
