/**
 * Cognito pre-token-generation trigger (V1, ID token) of a county's user pool: turns the admin-set custom
 * attributes `custom:role` / `custom:scope` into the `role` / `scope` claims of contract §3, and refuses a
 * token to a user whose attributes do not make a caller (no token beats a token the API would reject anyway).
 * Runs in Lambda only; bundled by GridflowFunction like the API handlers. Imports nothing heavy on purpose.
 */
import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { ROLES, type Role } from '#domain/incident.js';

const SCOPE = /^[a-z0-9-]+$/;

export interface ClaimsContext { countyId: string; cityId: string }

/** The claims for a user's attributes, or the reason no token may be issued. */
export function claimsFor(attributes: Record<string, string | undefined>, ctx: ClaimsContext): { role: Role; scope: string } | { refused: string } {
  const role = attributes['custom:role'];
  const scope = attributes['custom:scope'];
  if (!role || !(ROLES as readonly string[]).includes(role)) return { refused: 'the account has no valid role' };
  if (!scope || !SCOPE.test(scope)) return { refused: 'the account has no valid scope' };
  // Roles whose scope names the county or the city must name this pool's own; grid/town scopes are checked by the API.
  if ((role === 'county' || role === 'reporter') && scope !== ctx.countyId) return { refused: `scope of role ${role} must be ${ctx.countyId}` };
  if (role === 'city' && scope !== ctx.cityId) return { refused: `scope of role city must be ${ctx.cityId}` };
  return { role: role as Role, scope };
}

export const handler = async (event: PreTokenGenerationTriggerEvent): Promise<PreTokenGenerationTriggerEvent> => {
  const claims = claimsFor(event.request.userAttributes, {
    countyId: process.env.COUNTY_ID ?? '',
    cityId: process.env.CITY_ID ?? '',
  });
  // Throwing makes Cognito fail the sign-in; the message names no person.
  if ('refused' in claims) throw new Error(`sign-in refused: ${claims.refused}`);
  event.response = {
    claimsOverrideDetails: {
      claimsToAddOrOverride: { role: claims.role, scope: claims.scope },
      claimsToSuppress: ['custom:role', 'custom:scope'],
    },
  };
  return event;
};
