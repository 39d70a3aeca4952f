/**
 * Text, in and out. The one rule for every string a person or another system hands the API (bodies, query
 * strings, headers, token claims) and for every string the product hands on (notifications).
 *
 * In: well-formed Unicode only (a lone UTF-16 surrogate cannot be encoded as UTF-8: it breaks the SDK's
 * serializers and strict JSON parsers downstream), and no control characters that could forge a line or
 * hide text: none at all in single-line fields (titles, names, addresses, ids, cursors), only line feed and
 * tab in multi-line ones (descriptions, notes), where CR LF is taken as LF. Bidirectional overrides and
 * isolates (the "Trojan source" characters) are refused everywhere.
 *
 * Out: whatever is stored (data written before these rules, a county file) is made safe rather than
 * refused: lone surrogates become U+FFFD and control characters a space.
 */
import * as z from 'zod';

/** C0 and C1 controls, DEL, the Unicode line and paragraph separators, bidi embeddings, overrides and isolates. */
const SINGLE_LINE_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
/** The same, but line feed and tab are text in a multi-line field. */
const MULTI_LINE_FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const SINGLE_LINE_FORBIDDEN_ALL = new RegExp(SINGLE_LINE_FORBIDDEN.source, 'gu');
const MULTI_LINE_FORBIDDEN_ALL = new RegExp(MULTI_LINE_FORBIDDEN.source, 'gu');

export const NOT_WELL_FORMED = 'must be well-formed Unicode text (it holds a lone UTF-16 surrogate)';
export const SINGLE_LINE_CONTROL = 'must be a single line without control characters';
export const MULTI_LINE_CONTROL = 'must not contain control characters other than line feed and tab';

export const isWellFormed = (s: string): boolean => s.isWellFormed();

/** The first problem of `s` as single-line (or multi-line) text, or null. */
export function textProblem(s: string, multiline = false): string | null {
  if (!s.isWellFormed()) return NOT_WELL_FORMED;
  if ((multiline ? MULTI_LINE_FORBIDDEN : SINGLE_LINE_FORBIDDEN).test(s)) return multiline ? MULTI_LINE_CONTROL : SINGLE_LINE_CONTROL;
  return null;
}

export interface TextOptions {
  /** Characters (UTF-16 code units, as JavaScript and the contract count them) after trimming. @default 1 */
  readonly min?: number;
  readonly max: number;
  /** Line feeds and tabs allowed (CR LF is read as LF). @default false */
  readonly multiline?: boolean;
  /** Leading and trailing white space removed. @default true */
  readonly trim?: boolean;
}

/** A zod string of text a person typed; every request schema builds its text fields with it. */
export function text({ min = 1, max, multiline = false, trim = true }: TextOptions) {
  let schema = z.string();
  if (multiline) schema = schema.overwrite((s) => s.replace(/\r\n/g, '\n'));
  if (trim) schema = schema.trim();
  return schema.min(min).max(max)
    .refine(isWellFormed, { message: NOT_WELL_FORMED, abort: true })
    .refine((s) => !(multiline ? MULTI_LINE_FORBIDDEN : SINGLE_LINE_FORBIDDEN).test(s), { message: multiline ? MULTI_LINE_CONTROL : SINGLE_LINE_CONTROL })
    .meta({
      description: multiline
        ? 'Text: well-formed Unicode; line feeds and tabs allowed (CR LF is read as LF), no other control character.'
        : 'One line of text: well-formed Unicode, no control character (no line break).',
    });
}

/** Stored text on its way out as one line: lone surrogates become U+FFFD, control characters a space. */
export const safeLine = (s: string): string => s.toWellFormed().replace(SINGLE_LINE_FORBIDDEN_ALL, ' ');

/** Stored text on its way out as lines: the same, keeping line feeds and tabs. */
export const safeLines = (s: string): string => s.toWellFormed().replace(/\r\n/g, '\n').replace(MULTI_LINE_FORBIDDEN_ALL, ' ');

/** JSON.stringify whose output is well-formed whatever the value holds (old data may carry a lone surrogate). */
export const wellFormedJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' && !v.isWellFormed() ? v.toWellFormed() : v));
