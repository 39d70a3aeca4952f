/** What every page reads: configuration, language, the county's names, the API and the session. */
import { createContext, useContext } from 'react';
import type { Api } from './api/client';
import type { Session } from './auth/session';
import type { ConsoleConfig } from './config';
import type { Locale, Messages } from './i18n/messages';
import type { CountyNames } from './lib/county';

export type SignInNotice = 'tokenInvalid' | 'tokenExpired' | 'sessionEnded';

export interface AppContextValue {
  config: ConsoleConfig;
  locale: Locale;
  t: Messages;
  setLocale(locale: Locale): void;
  names: CountyNames;
  timeZone: string;
  api: Api;
  session: Session | null;
  signIn(session: Session): void;
  signOut(notice?: SignInNotice): void;
  notice: SignInNotice | null;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside <App>');
  return value;
}

/** For pages behind the sign-in: the session is there. */
export function useSession(): Session {
  const { session } = useApp();
  if (!session) throw new Error('useSession without a session');
  return session;
}
