/** The frame of every signed-in page: who is signed in, the role's pages, the language switch. */
import { Button, Spin } from 'antd';
import { NavLink, Outlet, useSearchParams } from 'react-router';
import { useApp, useSession } from '../app-context';
import { canReport, canSeeDashboard } from '../auth/session';
import type { Locale } from '../i18n/messages';

export function LanguageSwitch() {
  const { t, locale, setLocale } = useApp();
  const [, setParams] = useSearchParams();
  const other: Locale = locale === 'zh-CN' ? 'en' : 'zh-CN';
  return (
    <Button
      type="text"
      className="lang-switch"
      lang={other}
      aria-label={`${t.otherLanguage} (${t.otherLanguageName})`}
      onClick={() => {
        setLocale(other);
        setParams((p) => { p.set('lang', other === 'en' ? 'en' : 'zh-CN'); return p; }, { replace: true });
      }}
    >
      {t.otherLanguage}
    </Button>
  );
}

export function Shell() {
  const { t, names, signOut } = useApp();
  const { claims } = useSession();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">{t.skipToContent}</a>
      <header className="header">
        <div className="header-row">
          <span className="brand-county">{names.countyName}</span>
          <div className="header-tools">
            <LanguageSwitch />
            <Button type="text" onClick={() => signOut()}>{t.signOut}</Button>
          </div>
        </div>
        <p className="brand-user">{t.signedInAs(claims.name, t.roles[claims.role])} · {names.scopeName(claims.scope)}</p>
        <nav aria-label={t.mainNavigation} className="nav">
          <NavLink to="/" end>{t.navQueue}</NavLink>
          {canReport(claims.role) && <NavLink to="/report">{t.navReport}</NavLink>}
          {canSeeDashboard(claims.role) && <NavLink to="/dashboard">{t.navDashboard}</NavLink>}
        </nav>
      </header>
      <main id="main" tabIndex={-1} className="main">
        <Outlet />
      </main>
    </div>
  );
}

export function Loading() {
  const { t } = useApp();
  return <div className="loading" role="status"><Spin /> <span>{t.loading}</span></div>;
}
