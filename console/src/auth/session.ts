/**
 * The signed-in person: a bearer token kept in this tab's sessionStorage (never in the URL once taken),
 * and the claims the console reads from it to choose pages (contract §3). The API checks the token; the
 * console only decodes it.
 */
export const ROLES = ['reporter', 'grid', 'town', 'county', 'city'] as const;
export type Role = (typeof ROLES)[number];

export interface Claims { sub: string; name: string; role: Role; scope: string; exp: number }
export interface Session { token: string; claims: Claims }
export type TokenProblem = 'invalid' | 'expired';

const KEY = 'gridflow.token';

function base64UrlJson(part: string): unknown {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export function decodeToken(token: string, now = Date.now()): Session | TokenProblem {
  let payload: unknown;
  try {
    const parts = token.split('.');
    if (parts.length !== 3) return 'invalid';
    payload = base64UrlJson(parts[1]!);
  } catch {
    return 'invalid';
  }
  if (typeof payload !== 'object' || payload === null) return 'invalid';
  const p = payload as Record<string, unknown>;
  if (typeof p.sub !== 'string' || typeof p.scope !== 'string' || typeof p.exp !== 'number'
    || !(ROLES as readonly unknown[]).includes(p.role)) return 'invalid';
  if (p.exp * 1000 <= now) return 'expired';
  return {
    token,
    claims: { sub: p.sub, name: typeof p.name === 'string' && p.name ? p.name : p.sub, role: p.role as Role, scope: p.scope, exp: p.exp },
  };
}

export function storedSession(): Session | null {
  const token = sessionStorage.getItem(KEY);
  if (!token) return null;
  const s = decodeToken(token);
  if (typeof s === 'string') {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return s;
}

export function storeSession(s: Session): void {
  sessionStorage.setItem(KEY, s.token);
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/**
 * `/console/#token=<JWT>` (contract §9): takes the token out of the address at once, before anything
 * else runs, so it is never kept in the history, a bookmark or a screenshot.
 */
export function takeFragmentToken(): string | null {
  const hash = window.location.hash;
  if (!hash.startsWith('#')) return null;
  const params = new URLSearchParams(hash.slice(1));
  const token = params.get('token');
  if (token === null) return null;
  params.delete('token');
  const rest = params.toString();
  window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}${rest ? `#${rest}` : ''}`);
  return token;
}

/** The pages a role has besides its queue (contract §10). */
export const canReport = (role: Role) => role === 'reporter' || role === 'grid';
export const canSeeDashboard = (role: Role) => role === 'town' || role === 'county' || role === 'city';
