/**
 * `/sign-in` (contract §9). Locally: the county's people from its file, and a tap signs in as one. In the
 * cloud: OpenID Connect with the county's identity provider. A deep link (a notification's) is kept in
 * `next` and opened once signed in.
 */
import { Alert, Button, Input } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useApp } from '../app-context';
import { decodeToken, type Role } from '../auth/session';
import { LanguageSwitch } from '../components/Shell';

interface LocalPerson { role: Role; scope: string; sub: string; name: string }
const ROLE_ORDER: Role[] = ['grid', 'town', 'county', 'city', 'reporter'];

const safeNext = (next: string | null) => (next && next.startsWith('/') && !next.startsWith('//') ? next : '/');

export default function SignInPage() {
  const { t, session, notice, config } = useApp();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [error, setError] = useState<string | null>(null);
  const isCallback = config.auth.kind === 'oidc' && params.has('code') && params.has('state');
  if (session && !isCallback) return <Navigate to={next} replace />;
  const noticeText = notice ? t[notice] : null;
  return (
    <main className="sign-in" id="main">
      <div className="sign-in-head">
        <h1>{t.signInTitle}</h1>
        <LanguageSwitch />
      </div>
      {noticeText && <Alert type="warning" showIcon role="alert" title={noticeText} style={{ marginBottom: 12 }} />}
      {error && <Alert type="error" showIcon role="alert" title={t.signInFailed(error)} style={{ marginBottom: 12 }} />}
      {config.auth.kind === 'local'
        ? <LocalSignIn next={next} onError={setError} />
        : <OidcSignIn next={next} isCallback={isCallback} onError={setError} />}
    </main>
  );
}

function LocalSignIn({ next, onError }: { next: string; onError: (e: string) => void }) {
  const { t, names, signIn } = useApp();
  const navigate = useNavigate();
  const [people, setPeople] = useState<LocalPerson[] | null>(null);
  const [search, setSearch] = useState('');
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    fetch(`${import.meta.env.BASE_URL}local/people`).then(async (res) => {
      if (!res.ok) throw new Error(`${res.status}`);
      setPeople(((await res.json()) as { people: LocalPerson[] }).people);
    }).catch((e: unknown) => onError(e instanceof Error ? e.message : String(e)));
  }, [onError]);

  const choose = async (p: LocalPerson) => {
    setBusy(`${p.role}:${p.sub}`);
    try {
      const res = await fetch(`${import.meta.env.BASE_URL}local/sign-in`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: p.role, scope: p.scope, sub: p.sub }),
      });
      const body = (await res.json()) as { token?: string; detail?: string };
      if (!res.ok || !body.token) throw new Error(body.detail ?? String(res.status));
      const s = decodeToken(body.token);
      if (typeof s === 'string') throw new Error(t[s === 'expired' ? 'tokenExpired' : 'tokenInvalid']);
      signIn(s);
      navigate(next, { replace: true });
    } catch (e) {
      onError(e instanceof Error ? e.message : String(e));
      setBusy(null);
    }
  };

  const groups = useMemo(() => {
    const q = search.trim().toLowerCase();
    const label = (p: LocalPerson) => t.signInAs(p.name, names.scopeName(p.scope));
    return ROLE_ORDER.map((role) => ({
      role,
      people: (people ?? []).filter((p) => p.role === role && (!q || label(p).toLowerCase().includes(q))).map((p) => ({ p, label: label(p) })),
    })).filter((g) => g.people.length > 0);
  }, [people, search, names, t]);

  return (
    <>
      <p>{t.signInLocalHint}</p>
      <div className="field">
        <label htmlFor="people-search">{t.searchPeople}</label>
        <Input id="people-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
      </div>
      {people === null && <p role="status">{t.loading}</p>}
      {people !== null && groups.length === 0 && <p>{t.nobodyMatches}</p>}
      {groups.map((g) => (
        <section key={g.role} className="people-group" aria-labelledby={`people-${g.role}`}>
          <h2 id={`people-${g.role}`}>{t.roles[g.role]}</h2>
          <ul className="people">
            {g.people.map(({ p, label }) => (
              <li key={`${p.role}:${p.sub}`}>
                <Button onClick={() => void choose(p)} loading={busy === `${p.role}:${p.sub}`} disabled={busy !== null}>{label}</Button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}

function OidcSignIn({ next, isCallback, onError }: { next: string; isCallback: boolean; onError: (e: string) => void }) {
  const { t, config, signIn } = useApp();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(isCallback);
  const auth = config.auth.kind === 'oidc' ? config.auth : undefined;

  useEffect(() => {
    if (!isCallback || !auth) return;
    import('../auth/oidc').then((m) => m.finishSignIn(auth)).then(({ idToken, next: back }) => {
      const s = decodeToken(idToken);
      if (typeof s === 'string') throw new Error(t[s === 'expired' ? 'tokenExpired' : 'tokenInvalid']);
      signIn(s);
      navigate(back, { replace: true }); // and the code leaves the address bar
    }).catch((e: unknown) => {
      navigate('/sign-in', { replace: true });
      onError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    });
  }, [isCallback, auth, signIn, navigate, onError, t]);

  if (!auth) return null;
  return (
    <Button type="primary" size="large" block loading={busy} onClick={() => {
      setBusy(true);
      import('../auth/oidc').then((m) => m.startSignIn(auth, next)).catch((e: unknown) => {
        onError(e instanceof Error ? e.message : String(e));
        setBusy(false);
      });
    }}>
      {busy ? t.signingIn : t.signInOidc}
    </Button>
  );
}
