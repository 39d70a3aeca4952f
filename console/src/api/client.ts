/**
 * The typed API client: openapi-fetch over the types openapi-typescript generates from docs/openapi.json
 * at build time (src/api/schema.d.ts), so the console cannot call a route or read a field the API does not
 * describe. Adds the bearer token and the reader's language to every call; a 401 ends the session.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Incident = components['schemas']['Incident'];
/** An incident as a list returns it: without its timeline (read the incident for that). */
export type ListedIncident = components['schemas']['ListedIncident'];
export type IncidentPage = components['schemas']['IncidentPage'];
export type Problem = components['schemas']['Problem'];
export type ReportBody = components['schemas']['ReportBody'];
export type ActionBody = components['schemas']['ActionBody'];
export type Stats = components['schemas']['Stats'];
export type ListQuery = NonNullable<paths['/incidents']['get']['parameters']['query']>;
export type StatsQuery = NonNullable<paths['/stats']['get']['parameters']['query']>;

export type Api = ReturnType<typeof createClient<paths>>;

/** A failed call: `status` 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly problem?: Problem) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiOptions {
  baseUrl: string;
  token: () => string | null;
  locale: () => string;
  onUnauthorized: () => void;
}

export function createApi(opts: ApiOptions): Api {
  const api = createClient<paths>({ baseUrl: opts.baseUrl });
  api.use({
    onRequest({ request }) {
      const token = opts.token();
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      request.headers.set('accept-language', opts.locale());
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) opts.onUnauthorized();
      return response;
    },
  });
  return api;
}

const isProblem = (v: unknown): v is Problem => typeof v === 'object' && v !== null && typeof (v as Problem).status === 'number';

/** The data of a successful call, or an ApiError saying what the API said. */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(0, e instanceof Error ? e.message : String(e));
  }
  const { data, error, response } = result;
  if (response.ok && data !== undefined) return data;
  const problem = isProblem(error) ? error : undefined;
  const detail = problem?.detail ?? (typeof error === 'object' && error && 'message' in error ? String((error as { message: unknown }).message) : response.statusText);
  throw new ApiError(response.status, detail, problem);
}
