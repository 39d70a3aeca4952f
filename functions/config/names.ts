/**
 * Names a person reads, in the two languages of the product (contract §9): a county file may give a name as a
 * plain string (the same in every language) or as `{ "zh-CN": "...", "en": "..." }`.
 */
import { z } from 'zod';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export const LocalizedNameSchema = z.union([
  z.string().min(1),
  z.strictObject({ 'zh-CN': z.string().min(1), en: z.string().min(1) }),
], {
  error: (issue) => (issue.input === undefined ? 'is required'
    : 'a name is a non-empty string or { "zh-CN": "...", "en": "..." } with both languages'),
});
export type LocalizedName = z.infer<typeof LocalizedNameSchema>;

/** The name in `locale`. */
export function localName(name: LocalizedName, locale: Locale): string {
  return typeof name === 'string' ? name : name[locale];
}

/** `zh-CN` or `en` from an Accept-Language header or `?lang=`, else `fallback`. */
export function pickLocale(requested: string | undefined, fallback: Locale): Locale {
  if (!requested) return fallback;
  for (const part of requested.split(',')) {
    const tag = part.split(';')[0]!.trim().toLowerCase();
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return fallback;
}
