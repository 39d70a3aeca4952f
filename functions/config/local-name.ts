/**
 * Reading a name in a language, without zod: the console bundles this module (names.ts, which validates
 * county files, re-exports it for the back end).
 */
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** A name as a county file gives it: the same in every language, or one per language. */
export type LocalizedName = string | { 'zh-CN': string; en: string };

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
