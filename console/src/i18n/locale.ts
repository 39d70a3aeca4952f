/** The reader's language: `?lang=` wins, then this tab's last choice, then the county's locale. */
import type { Locale } from './messages';

const KEY = 'gridflow.lang';

export function parseLocale(value: string | null | undefined): Locale | undefined {
  const v = value?.trim().toLowerCase();
  if (!v) return undefined;
  if (v === 'zh' || v.startsWith('zh-') || v.startsWith('zh_')) return 'zh-CN';
  if (v === 'en' || v.startsWith('en-') || v.startsWith('en_')) return 'en';
  return undefined;
}

export function initialLocale(countyLocale: Locale): Locale {
  const fromUrl = parseLocale(new URLSearchParams(window.location.search).get('lang'));
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl);
    return fromUrl;
  }
  return parseLocale(sessionStorage.getItem(KEY)) ?? countyLocale;
}

export function rememberLocale(locale: Locale): void {
  sessionStorage.setItem(KEY, locale);
}
