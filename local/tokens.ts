/**
 * Local identity (contract §3): on this machine the tokens come from a signing key kept in the data
 * directory instead of the county's identity provider. Same claims as in the cloud (sub, name, role,
 * scope), RS256 with a `kid` (API Gateway's JWT authorizer accepts RSA keys only and picks the key by `kid`
 * from the issuer's JWKS), checked the way that authorizer checks them: a `kid` the JWKS holds, the signature,
 * `exp`, `iss`, `aud`, an `iat` not in the future; then the claims the API relies on.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  SignJWT, calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, exportJWK, generateKeyPair,
  importJWK, jwtVerify, type CryptoKey, type JWK, type JWTPayload,
} from 'jose';
import { ROLES, type Caller, type Role } from '#domain/incident.js';
import { isGridflowError, unauthorized } from '#domain/errors.js';

export const LOCAL_ISSUER = 'gridflow-local';
export const LOCAL_AUDIENCE = 'gridflow';
export const DEFAULT_DATA_DIR = '.gridflow';
/** A new name for the RSA key: a data dir of the ES256 days keeps its old file and gets a new key (old tokens are refused). */
export const SIGNING_KEY_FILE = 'jwt-rs256-key.json';
const ALG = 'RS256';
/** The JWS algorithm of local tokens. */
export const SIGNING_ALGORITHM = ALG;

export interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** Public half only, with `kid`, `alg` and `use`: the one key of the local JWKS. */
  publicJwk: JWK;
  /** RFC 7638 thumbprint of the public key; set as the `kid` header of every token. */
  kid: string;
}

interface StoredKey { alg: typeof ALG; kid: string; privateJwk: JWK; publicJwk: JWK; createdAt: string }

/**
 * A relative data dir is taken from the directory the user typed the command in: `npm run` changes
 * the working directory to the package root but keeps the caller's in INIT_CWD.
 */
export function resolveDataDir(dir: string = DEFAULT_DATA_DIR, cwd: string = process.env.INIT_CWD ?? process.cwd()): string {
  return isAbsolute(dir) ? dir : resolve(cwd, dir);
}

/** The data dir's key pair, created on first use. Two processes starting together end up with the same key. */
export async function loadSigningKey(dataDir: string): Promise<SigningKey> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, SIGNING_KEY_FILE);
  const existing = await readStoredKey(file);
  if (existing) return toSigningKey(existing, file);
  await createKeyFile(file);
  // Whoever won the race, the file now holds the one key everybody uses.
  const stored = await readStoredKey(file);
  if (!stored) throw new Error(`${file}: signing key vanished right after it was created`);
  return toSigningKey(stored, file);
}

async function readStoredKey(file: string): Promise<StoredKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    // Never overwrite it: tokens already handed out would silently stop working.
    throw new Error(`${file}: not a valid signing key file (delete it to create a new key)`, { cause: e });
  }
  if (!isStoredKey(parsed)) throw new Error(`${file}: not a valid signing key file (delete it to create a new key)`);
  return parsed;
}

function isStoredKey(v: unknown): v is StoredKey {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const isJwk = (j: unknown) => typeof j === 'object' && j !== null && (j as JWK).kty === 'RSA';
  return o.alg === ALG && typeof o.kid === 'string' && isJwk(o.privateJwk) && isJwk(o.publicJwk);
}

/** Write a complete file under a temp name, then link it into place: link never overwrites, so the first writer wins. */
async function createKeyFile(file: string): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true, modulusLength: 2048 });
  const publicJwk = await exportJWK(publicKey);
  const stored: StoredKey = {
    alg: ALG,
    kid: await calculateJwkThumbprint(publicJwk),
    privateJwk: await exportJWK(privateKey),
    publicJwk,
    createdAt: new Date().toISOString(),
  };
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function toSigningKey(stored: StoredKey, file: string): Promise<SigningKey> {
  try {
    const privateKey = await importJWK(stored.privateJwk, ALG);
    const publicKey = await importJWK(stored.publicJwk, ALG);
    if (!isCryptoKey(privateKey) || !isCryptoKey(publicKey)) throw new Error('not an RSA key pair');
    // Never hand out a private component.
    const { kty, n, e } = stored.publicJwk;
    return { privateKey, publicKey, publicJwk: { kty, n, e, kid: stored.kid, alg: ALG, use: 'sig' }, kid: stored.kid };
  } catch (e) {
    throw new Error(`${file}: the signing key cannot be imported (delete it to create a new key)`, { cause: e });
  }
}

const isCryptoKey = (k: CryptoKey | Uint8Array): k is CryptoKey => !(k instanceof Uint8Array);

export interface TokenClaims { role: Role; scope: string; sub?: string; name?: string }
export interface MintOptions {
  /** jose time span, e.g. '12h', '30m', '-1h' (already expired, for tests). Default '12h'. */
  expiresIn?: string;
}

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

export async function mintToken(dataDir: string, claims: TokenClaims, opts: MintOptions = {}): Promise<string> {
  if (!isRole(claims.role)) throw new Error(`unknown role "${String(claims.role)}" (one of ${ROLES.join(', ')})`);
  if (typeof claims.scope !== 'string' || claims.scope === '') throw new Error('scope must be a non-empty string');
  const key = await loadSigningKey(dataDir);
  const sub = claims.sub ?? `${claims.role}-${claims.scope}`;
  return new SignJWT({ name: claims.name ?? sub, role: claims.role, scope: claims.scope })
    .setProtectedHeader({ alg: ALG, typ: 'JWT', kid: key.kid })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '12h')
    .sign(key.privateKey);
}

/** The local issuer's JWKS (what `<issuer>/.well-known/jwks.json` would serve). */
export async function localJwks(dataDir: string): Promise<{ keys: JWK[] }> {
  return { keys: [(await loadSigningKey(dataDir)).publicJwk] };
}

/** The verifier the local gateway uses in place of API Gateway's JWT authorizer. Rejects with GridflowError 401. */
export async function createLocalVerifier(dataDir: string): Promise<(token: string) => Promise<Caller>> {
  const jwks = await localJwks(dataDir);
  const keyOf = createLocalJWKSet(jwks);
  return async (token: string) => {
    if (typeof token !== 'string' || token.trim() === '') throw unauthorized('The bearer token is missing.');
    let payload: JWTPayload;
    try {
      // API Gateway picks the key by `kid`: a token without one is refused even when the JWKS has one key only.
      const { kid } = decodeProtectedHeader(token.trim());
      if (typeof kid !== 'string' || kid === '') throw unauthorized('The token has no "kid" header.');
      ({ payload } = await jwtVerify(token.trim(), keyOf, {
        algorithms: [ALG],
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (e) {
      if (isGridflowError(e)) throw e;
      throw unauthorized(verifyFailureDetail(e), e);
    }
    // As API Gateway: `iat` must be before the current time.
    if (typeof payload.iat === 'number' && payload.iat > Math.floor(Date.now() / 1000)) throw unauthorized('The token was issued in the future ("iat").');
    return callerFromClaims(payload);
  };
}

function verifyFailureDetail(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'The token has expired.';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return `The token is not signed with ${ALG}.`;
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'The token\'s "kid" names no key of the issuer\'s JWKS.';
  if (e instanceof joseErrors.JWKSMultipleMatchingKeys) return 'The token\'s "kid" names more than one key.';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return `The token audience is not "${LOCAL_AUDIENCE}".`;
    if (e.claim === 'iss') return `The token issuer is not "${LOCAL_ISSUER}".`;
    if (e.claim === 'nbf') return 'The token is not valid yet.';
    if (e.reason === 'missing') return `The token has no "${e.claim}" claim.`;
    return `The token claim "${e.claim}" is invalid: ${e.reason}.`;
  }
  return 'The token is malformed.';
}

/**
 * The claims the API relies on, checked after the signature: in the cloud the authorizer checks only
 * signature, exp, iss and aud, so the API must check these itself too (this is the same rule).
 */
export function callerFromClaims(claims: Record<string, unknown>): Caller {
  const { sub, name, role, scope } = claims;
  if (typeof sub !== 'string' || sub === '') throw unauthorized('The token has no "sub" claim.');
  if (role === undefined || role === null || role === '') throw unauthorized('The token has no "role" claim.');
  if (!isRole(role)) throw unauthorized(`The token role "${String(role)}" is unknown (one of ${ROLES.join(', ')}).`);
  if (typeof scope !== 'string' || scope === '') throw unauthorized('The token has no "scope" claim.');
  return { sub, name: typeof name === 'string' && name !== '' ? name : sub, role, scope };
}
