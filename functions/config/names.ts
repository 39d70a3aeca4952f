/**
 * Names a person reads, in the two languages of the product (contract §9): a county file may give a name as a
 * plain string (the same in every language) or as `{ "zh-CN": "...", "en": "..." }`. Reading a name lives in
 * local-name.ts (no zod, so the console can bundle it); the schema that validates one lives here.
 */
import * as z from 'zod';

export { LOCALES, localName, pickLocale, type Locale, type LocalizedName } from './local-name.js';

export const LocalizedNameSchema = z.union([
  z.string().min(1),
  z.strictObject({ 'zh-CN': z.string().min(1), en: z.string().min(1) }),
], {
  error: (issue) => (issue.input === undefined ? 'is required'
    : 'a name is a non-empty string or { "zh-CN": "...", "en": "..." } with both languages'),
});
