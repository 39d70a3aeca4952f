import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import { GridflowError } from '#domain/errors.js';
import {
  LOCAL_AUDIENCE, LOCAL_ISSUER, SIGNING_KEY_FILE, createLocalVerifier, loadSigningKey, localJwks, mintToken, resolveDataDir,
} from '#local/tokens.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gridflow-tokens-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A token signed with the data dir's own key, for claims mintToken would never produce. */
async function signRaw(payload: Record<string, unknown>, opts: { iss?: string; aud?: string; exp?: string; kid?: string | null; iat?: string } = {}) {
  const key = await loadSigningKey(dir);
  const kid = opts.kid === undefined ? key.kid : opts.kid;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', ...(kid === null ? {} : { kid }) })
    .setIssuer(opts.iss ?? LOCAL_ISSUER)
    .setAudience(opts.aud ?? LOCAL_AUDIENCE)
    .setIssuedAt(opts.iat)
    .setExpirationTime(opts.exp ?? '1h')
    .sign(key.privateKey);
}

async function rejection(p: Promise<unknown>): Promise<GridflowError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(GridflowError);
  const ge = e as GridflowError;
  expect(ge.status).toBe(401);
  expect(ge.type).toBe('unauthorized');
  return ge;
}

describe('mintToken + createLocalVerifier', () => {
  it('round-trips the contract claims with defaults for sub and name', async () => {
    const token = await mintToken(dir, { role: 'town', scope: 'pingtou' });
    const verify = await createLocalVerifier(dir);
    await expect(verify(token)).resolves.toEqual({ sub: 'town-pingtou', name: 'town-pingtou', role: 'town', scope: 'pingtou' });

    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'town-pingtou' });
    // default lifetime 12 h
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(12 * 3600);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: (await loadSigningKey(dir)).kid });
  });

  it('keeps an explicit sub and name', async () => {
    const token = await mintToken(dir, { role: 'grid', scope: 'heishui-09', sub: 'hs-09', name: '网格员' }, { expiresIn: '5m' });
    const verify = await createLocalVerifier(dir);
    await expect(verify(token)).resolves.toEqual({ sub: 'hs-09', name: '网格员', role: 'grid', scope: 'heishui-09' });
    const { exp, iat } = decodeJwt(token);
    expect((exp ?? 0) - (iat ?? 0)).toBe(300);
  });

  it('rejects an expired token', async () => {
    const token = await mintToken(dir, { role: 'county', scope: 'shouyang' }, { expiresIn: '-1m' });
    const verify = await createLocalVerifier(dir);
    expect((await rejection(verify(token))).message).toMatch(/expired/);
  });

  it('rejects a wrong audience and a wrong issuer', async () => {
    const verify = await createLocalVerifier(dir);
    const claims = { sub: 'x', role: 'town', scope: 'pingtou' };
    expect((await rejection(verify(await signRaw(claims, { aud: 'someone-else' })))).message).toMatch(/audience/);
    expect((await rejection(verify(await signRaw(claims, { iss: 'https://idp.example' })))).message).toMatch(/issuer/);
  });

  it('rejects a tampered payload and a token from another key', async () => {
    const verify = await createLocalVerifier(dir);
    const token = await mintToken(dir, { role: 'grid', scope: 'heishui-09' });
    const [header, , signature] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(token), role: 'county', scope: 'shouyang' })).toString('base64url');
    expect((await rejection(verify(`${header}.${forgedPayload}.${signature}`))).message).toMatch(/signature/);

    const otherDir = join(dir, 'other');
    const foreign = await mintToken(otherDir, { role: 'county', scope: 'shouyang' });
    expect((await rejection(verify(foreign))).message).toMatch(/"kid" names no key of the issuer's JWKS/);
  });

  it('checks as API Gateway does: RS256 only, a kid the JWKS holds, no iat in the future', async () => {
    const verify = await createLocalVerifier(dir);
    const claims = { sub: 'x', role: 'town', scope: 'pingtou' };
    // Signed with the right key, yet refused: API Gateway picks the key by kid.
    expect((await rejection(verify(await signRaw(claims, { kid: null })))).message).toMatch(/no "kid" header/);
    expect((await rejection(verify(await signRaw(claims, { kid: 'another-key' })))).message).toMatch(/"kid" names no key/);
    expect((await rejection(verify(await signRaw(claims, { iat: '1h', exp: '2h' })))).message).toMatch(/issued in the future/);
    await expect(verify(await signRaw(claims, { iat: '-1m' }))).resolves.toMatchObject({ sub: 'x' });
    // An EC key (what local tokens used to be), even under the right kid: API Gateway accepts RSA keys only.
    const ec = await generateKeyPair('ES256');
    const es256 = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: (await loadSigningKey(dir)).kid })
      .setIssuer(LOCAL_ISSUER).setAudience(LOCAL_AUDIENCE).setIssuedAt().setExpirationTime('1h').sign(ec.privateKey);
    expect((await rejection(verify(es256))).message).toMatch(/not signed with RS256/);
  });

  it('rejects missing and malformed tokens', async () => {
    const verify = await createLocalVerifier(dir);
    expect((await rejection(verify(''))).message).toMatch(/missing/);
    expect((await rejection(verify('not.a.jwt'))).message).toMatch(/malformed/);
  });

  it('rejects unknown or missing role and missing scope claims', async () => {
    const verify = await createLocalVerifier(dir);
    expect((await rejection(verify(await signRaw({ sub: 'x', role: 'mayor', scope: 'pingtou' })))).message).toMatch(/role "mayor" is unknown/);
    expect((await rejection(verify(await signRaw({ sub: 'x', scope: 'pingtou' })))).message).toMatch(/no "role" claim/);
    expect((await rejection(verify(await signRaw({ sub: 'x', role: 'town' })))).message).toMatch(/no "scope" claim/);
    expect((await rejection(verify(await signRaw({ role: 'town', scope: 'pingtou' })))).message).toMatch(/no "sub" claim/);
  });

  it('refuses to mint for an unknown role or an empty scope', async () => {
    await expect(mintToken(dir, { role: 'mayor' as never, scope: 'pingtou' })).rejects.toThrow(/unknown role "mayor"/);
    await expect(mintToken(dir, { role: 'town', scope: '' })).rejects.toThrow(/scope/);
  });
});

describe('loadSigningKey', () => {
  it('creates the data dir and a 0600 key file on first use, and reuses it afterwards', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const first = await loadSigningKey(dataDir);
    const file = join(dataDir, SIGNING_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(first.publicJwk).not.toHaveProperty(secret);
    expect(first.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: first.kid });
    expect(Buffer.from(first.publicJwk.n!, 'base64url')).toHaveLength(256); // 2,048 bits
    expect(await localJwks(dataDir)).toEqual({ keys: [first.publicJwk] });

    const second = await loadSigningKey(dataDir);
    expect(second.kid).toBe(first.kid);
    expect(second.publicJwk).toEqual(first.publicJwk);

    // a token minted in one "process" verifies in a verifier created later from the file alone
    const token = await mintToken(dataDir, { role: 'city', scope: 'jinzhong' });
    const verify = await createLocalVerifier(dataDir);
    await expect(verify(token)).resolves.toMatchObject({ role: 'city', scope: 'jinzhong' });
  });

  it('ends with one key when several callers create it at the same time', async () => {
    const keys = await Promise.all(Array.from({ length: 6 }, () => loadSigningKey(dir)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    const stored = JSON.parse(await readFile(join(dir, SIGNING_KEY_FILE), 'utf8')) as { kid: string };
    expect(stored.kid).toBe(keys[0]!.kid);
    // no temp files left behind
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(dir)).toEqual([SIGNING_KEY_FILE]);
  });

  it('leaves the ES256 key file of an older data dir alone and signs with a new RSA key', async () => {
    await writeFile(join(dir, 'jwt-signing-key.json'), '{"alg": "ES256"}');
    const token = await mintToken(dir, { role: 'town', scope: 'pingtou' });
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    expect(await readFile(join(dir, 'jwt-signing-key.json'), 'utf8')).toBe('{"alg": "ES256"}');
  });

  it('refuses a corrupt key file instead of silently replacing it', async () => {
    const file = join(dir, SIGNING_KEY_FILE);
    await writeFile(file, '{"not": "a key"}');
    await expect(loadSigningKey(dir)).rejects.toThrow(/not a valid signing key file/);
    expect(await readFile(file, 'utf8')).toBe('{"not": "a key"}');
  });
});

describe('resolveDataDir', () => {
  it('resolves relative dirs against the given cwd and keeps absolute ones', () => {
    expect(resolveDataDir(undefined, '/home/ops/county')).toBe('/home/ops/county/.gridflow');
    expect(resolveDataDir('data', '/srv')).toBe('/srv/data');
    expect(resolveDataDir('/var/lib/gridflow', '/srv')).toBe('/var/lib/gridflow');
  });
});
