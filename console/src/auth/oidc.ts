/**
 * Cloud sign-in (contract §9): OpenID Connect, authorization code with PKCE, against the county's
 * identity provider (its Cognito user pool, or `deployment.identity`). oidc-client-ts keeps its state in
 * this tab's sessionStorage; the API is called with the ID token, which carries `role` and `scope`.
 * Loaded only when the configuration says `oidc`, so the local console never downloads it.
 */
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { ConsoleAuth } from '../config';

type Oidc = Extract<ConsoleAuth, { kind: 'oidc' }>;

/** The sign-in page is the redirect URI: register `<consoleUrl>/sign-in` with the identity provider. */
export const redirectUri = () => `${window.location.origin}${import.meta.env.BASE_URL}sign-in`;

function manager(auth: Oidc): UserManager {
  const store = new WebStorageStateStore({ store: window.sessionStorage });
  return new UserManager({
    authority: auth.authority,
    client_id: auth.clientId,
    scope: auth.scope,
    redirect_uri: redirectUri(),
    post_logout_redirect_uri: `${window.location.origin}${import.meta.env.BASE_URL}`,
    response_type: 'code',
    userStore: store,
    stateStore: store,
    loadUserInfo: false,
    automaticSilentRenew: false,
  });
}

export async function startSignIn(auth: Oidc, next: string): Promise<void> {
  await manager(auth).signinRedirect({ state: { next } });
}

/** Completes the redirect back from the provider: the ID token and the page to go back to. */
export async function finishSignIn(auth: Oidc): Promise<{ idToken: string; next: string }> {
  const m = manager(auth);
  const user = await m.signinRedirectCallback();
  await m.removeUser(); // the console keeps the one token it uses, nothing else
  if (!user.id_token) throw new Error('the identity provider returned no ID token');
  const next = (user.state as { next?: unknown } | undefined)?.next;
  return { idToken: user.id_token, next: typeof next === 'string' && next.startsWith('/') ? next : '/' };
}
