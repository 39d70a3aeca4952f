import { ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { createApi } from './api/client';
import { AppContext, useApp, type AppContextValue, type SignInNotice } from './app-context';
import { canReport, canSeeDashboard, clearSession, decodeToken, storedSession, storeSession, type Role, type Session } from './auth/session';
import { Loading, Shell } from './components/Shell';
import type { ConsoleConfig } from './config';
import { initialLocale, rememberLocale } from './i18n/locale';
import { MESSAGES, type Locale } from './i18n/messages';
import { countyNames } from './lib/county';
import { theme } from './theme';
import { QueuePage } from './pages/QueuePage';

const IncidentPage = lazy(() => import('./pages/IncidentPage'));
const ReportPage = lazy(() => import('./pages/ReportPage'));
const DashboardPage = lazy(() => import('./pages/DashboardPage'));
const SignInPage = lazy(() => import('./pages/SignInPage'));
const NotFoundPage = lazy(() => import('./pages/NotFoundPage'));

/** How the current token came: a `#token=` link is only trusted once the API accepted it. */
type Origin = 'link-unconfirmed' | 'confirmed';

function firstSession(fragmentToken: string | null): { session: Session | null; notice: SignInNotice | null; origin: Origin } {
  if (fragmentToken === null) return { session: storedSession(), notice: null, origin: 'confirmed' };
  const decoded = decodeToken(fragmentToken);
  if (typeof decoded === 'string') {
    clearSession();
    return { session: null, notice: decoded === 'expired' ? 'tokenExpired' : 'tokenInvalid', origin: 'confirmed' };
  }
  storeSession(decoded);
  return { session: decoded, notice: null, origin: 'link-unconfirmed' };
}

export function App({ config, fragmentToken }: { config: ConsoleConfig; fragmentToken: string | null }) {
  const [locale, setLocaleState] = useState<Locale>(() => initialLocale(config.county.locale));
  const [start] = useState(() => firstSession(fragmentToken));
  const [session, setSession] = useState<Session | null>(start.session);
  const [notice, setNotice] = useState<SignInNotice | null>(start.notice);
  const origin = useRef<Origin>(start.origin);
  const sessionRef = useRef(session);
  sessionRef.current = session;
  const localeRef = useRef(locale);
  localeRef.current = locale;

  const signOut = useCallback((why?: SignInNotice) => {
    clearSession();
    sessionRef.current = null;
    setSession(null);
    setNotice(why ?? null);
  }, []);
  const signIn = useCallback((s: Session) => {
    storeSession(s);
    origin.current = 'confirmed';
    sessionRef.current = s;
    setSession(s);
    setNotice(null);
  }, []);

  const api = useMemo(() => {
    const client = createApi({
      baseUrl: config.apiUrl,
      token: () => sessionRef.current?.token ?? null,
      locale: () => localeRef.current,
      onUnauthorized: () => {
        if (!sessionRef.current) return;
        signOut(origin.current === 'link-unconfirmed' ? 'tokenInvalid' : 'sessionEnded');
      },
    });
    client.use({ onResponse({ response }) { if (response.ok) origin.current = 'confirmed'; return response; } });
    return client;
  }, [config.apiUrl, signOut]);

  useEffect(() => {
    document.documentElement.lang = locale;
    document.title = `${MESSAGES[locale].appTitle} · ${countyNames(config.county, locale).countyName}`;
  }, [locale, config.county]);

  const value = useMemo<AppContextValue>(() => ({
    config, locale, t: MESSAGES[locale], names: countyNames(config.county, locale), timeZone: config.county.timeZone,
    setLocale: (l) => { rememberLocale(l); setLocaleState(l); },
    api, session, signIn, signOut, notice,
  }), [config, locale, api, session, signIn, signOut, notice]);

  return (
    <ConfigProvider locale={locale === 'zh-CN' ? zhCN : enUS} theme={theme} button={{ autoInsertSpace: false }}>
      <AppContext.Provider value={value}>
        <BrowserRouter basename="/console">
          <Routes>
            <Route path="/sign-in" element={<Lazy><SignInPage /></Lazy>} />
            <Route element={<RequireSession />}>
              <Route path="/" element={<QueuePage />} />
              <Route path="/incidents/:id" element={<Lazy><IncidentPage /></Lazy>} />
              <Route path="/report" element={<ForRoles allowed={canReport}><Lazy><ReportPage /></Lazy></ForRoles>} />
              <Route path="/dashboard" element={<ForRoles allowed={canSeeDashboard}><Lazy><DashboardPage /></Lazy></ForRoles>} />
              <Route path="*" element={<Lazy><NotFoundPage /></Lazy>} />
            </Route>
          </Routes>
        </BrowserRouter>
      </AppContext.Provider>
    </ConfigProvider>
  );
}

function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

/** A page only some roles have (contract §9, §10): anyone else typing its address lands on their queue, not on an API error. */
function ForRoles({ allowed, children }: { allowed: (role: Role) => boolean; children: ReactNode }) {
  const { session } = useApp();
  return session && allowed(session.claims.role) ? children : <Navigate to="/" replace />;
}

/** Pages behind the sign-in; a deep link (a notification's) comes back after signing in. */
function RequireSession() {
  const { session } = useApp();
  const location = useLocation();
  if (!session) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`} replace />;
  }
  return <Shell />;
}
