/**
 * Who may call a county's API (contract §3): either the county's own Cognito user pool, whose ID tokens carry
 * `role` and `scope` claims (set by a pre-token-generation trigger from admin-only custom attributes), or the
 * external OIDC issuer of `deployment.identity` — the only choice in the China regions, which have no user pools.
 *
 * The console signs in with OpenID Connect (authorization code + PKCE, contract §9): with the user pool, through
 * a public app client and the pool's Cognito domain (managed login, `addConsoleClient`); with an external
 * issuer, through the public client `deployment.identity.consoleClientId` registered there. The API accepts the
 * ID tokens of both clients.
 */
import { Aws, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { County } from '#config/county-schema.js';
import { acknowledge } from '../nag.js';
import { GridflowFunction } from './gridflow-function.js';
import { partitionOf } from './partition.js';

export interface CountyIdentityProps {
  readonly county: County;
  /**
   * Cognito feature plan of the county's user pool. PLUS adds threat protection (compromised-credential and
   * adaptive sign-in checks) at a per-user monthly price.
   * @default cognito.FeaturePlan.ESSENTIALS
   */
  readonly featurePlan?: cognito.FeaturePlan;
}

/** How the console signs in: what `/console/config.json` tells it (`auth`). */
export interface ConsoleSignIn {
  readonly authority: string;
  readonly clientId: string;
  readonly scope: string;
}

/** Where the console's sign-in returns to. */
export interface ConsoleRedirects {
  readonly callbackUrl: string;
  readonly logoutUrl: string;
}

export class CountyIdentity extends Construct {
  /** Issuer and audience the API checks tokens against. */
  public readonly issuer: string;
  public readonly audience: string;
  public readonly userPool?: cognito.UserPool;
  public readonly userPoolClient?: cognito.UserPoolClient;
  /** The pool's Cognito domain (managed login), where the console sends people to sign in. */
  public readonly domain?: cognito.UserPoolDomain;
  public readonly claimsFunction?: GridflowFunction;
  /**
   * Origins the console's sign-in talks to (discovery document, keys, token endpoint): the issuer's and,
   * with a user pool, its Cognito domain's. The console's CSP allows exactly these.
   */
  public readonly origins: readonly string[];

  private readonly external?: { issuer: string; audience: string; consoleClientId?: string | undefined };
  /** Clients whose tokens the API accepts; read when the authorizer is first used. */
  private readonly clients: cognito.UserPoolClient[] = [];
  private builtAuthorizer?: IHttpRouteAuthorizer;
  private console?: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: CountyIdentityProps) {
    super(scope, id);
    const { county } = props;
    const external = county.deployment?.identity;
    const stack = Stack.of(this);
    const partition = partitionOf(stack);

    if (external) {
      this.external = external;
      this.issuer = external.issuer;
      this.audience = external.audience;
      this.origins = [new URL(external.issuer).origin];
      return;
    }
    if (partition === 'china') {
      throw new Error(`county ${county.id} deploys to ${stack.region}, where Cognito user pools do not exist: `
        + 'set deployment.identity { issuer, audience } to the county\'s OIDC provider');
    }
    // An agnostic stack sent to a China region fails at template validation (AWS::Cognito::UserPool is an
    // unrecognized resource type there) before anything is created; README tells ops to pin such counties.

    this.claimsFunction = new GridflowFunction(this, 'Claims', {
      entry: 'infra/constructs/pre-token-claims.ts',
      memorySize: 256,
      timeout: Duration.seconds(5),
      environment: { COUNTY_ID: county.id, CITY_ID: county.city.id, POWERTOOLS_SERVICE_NAME: 'gridflow' },
    });

    const featurePlan = props.featurePlan ?? cognito.FeaturePlan.ESSENTIALS;
    this.userPool = new cognito.UserPool(this, 'Users', {
      // Accounts are created by the county's administrators, with role and scope set; nobody signs up.
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      standardAttributes: { fullname: { required: true, mutable: true } },
      customAttributes: {
        role: new cognito.StringAttribute({ minLen: 1, maxLen: 16, mutable: true }),
        scope: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: true }),
      },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
      // Officials see residents' complaints and phone numbers: a second factor, by authenticator app.
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan,
      lambdaTriggers: { preTokenGeneration: this.claimsFunction },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (featurePlan !== cognito.FeaturePlan.PLUS) {
      acknowledge(this.userPool, 'AwsSolutions-COG8',
        'Threat protection (Plus plan) is priced per monthly user and left to each county (prop featurePlan); accounts are admin-created, MFA is required and there is no self sign-up.');
    }

    this.userPoolClient = this.userPool.addClient('ApiClient', {
      authFlows: { userSrp: true },
      generateSecret: false,
      disableOAuth: true,
      ...signInClientDefaults(),
      refreshTokenValidity: Duration.days(30),
    });

    this.clients.push(this.userPoolClient);

    // Managed login on a Cognito domain whose prefix is unique per stack (prefixes are global to a region).
    const stackUnique = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
    this.domain = this.userPool.addDomain('SignIn', {
      cognitoDomain: { domainPrefix: Fn.join('-', ['gridflow', county.id, stackUnique]) },
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });

    const issuerOrigin = `https://cognito-idp.${stack.region}.${Aws.URL_SUFFIX}`;
    this.issuer = `${issuerOrigin}/${this.userPool.userPoolId}`;
    this.audience = this.userPoolClient.userPoolClientId;
    this.origins = [issuerOrigin, this.domain.baseUrl()];
  }

  /** The console's app client of the user pool, once `addConsoleClient` made it. */
  get consoleClient(): cognito.UserPoolClient | undefined { return this.console; }

  /** The JWT authorizer every route but /health uses; built on first use, with every client known by then. */
  get authorizer(): IHttpRouteAuthorizer {
    if (!this.builtAuthorizer) {
      if (this.external) {
        const { issuer, audience, consoleClientId } = this.external;
        const audiences = [...new Set([audience, consoleClientId ?? audience])];
        this.builtAuthorizer = new HttpJwtAuthorizer('Oidc', issuer, { jwtAudience: audiences });
      } else {
        // The ID token carries role and scope (the V1 trigger customises ID tokens); its `aud` is the client id.
        this.builtAuthorizer = new HttpUserPoolAuthorizer('Cognito', this.userPool!, { userPoolClients: [...this.clients] });
      }
    }
    return this.builtAuthorizer;
  }

  /**
   * The console's sign-in. With the user pool: a public app client (no secret) for the authorization code
   * grant with PKCE, redirecting only to the console, shown by managed login. With an external issuer: its
   * `consoleClientId` (default: the audience). Call before the API uses the authorizer.
   */
  addConsoleClient(redirects: ConsoleRedirects): ConsoleSignIn {
    if (this.external) {
      return { authority: this.issuer, clientId: this.external.consoleClientId ?? this.external.audience, scope: 'openid profile' };
    }
    if (this.builtAuthorizer) throw new Error('addConsoleClient() must come before the API uses the authorizer: its tokens must be accepted');
    if (this.console) throw new Error('the console client exists already');
    const pool = this.userPool!;
    const client = pool.addClient('ConsoleClient', {
      // A browser cannot keep a secret: a public client, and oidc-client-ts sends a PKCE challenge.
      generateSecret: false,
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.PROFILE, cognito.OAuthScope.EMAIL],
        callbackUrls: [redirects.callbackUrl],
        logoutUrls: [redirects.logoutUrl],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      ...signInClientDefaults(),
      // The console keeps only the ID token; a session ends with the working day.
      refreshTokenValidity: Duration.hours(12),
    });
    // Managed login needs a style for the client; Cognito's own, in the user's browser language.
    new cognito.CfnManagedLoginBranding(this, 'ConsoleLoginBranding', {
      userPoolId: pool.userPoolId,
      clientId: client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    this.console = client;
    this.clients.push(client);
    return { authority: this.issuer, clientId: client.userPoolClientId, scope: 'openid profile email' };
  }
}

/** What every app client of a county's user pool shares: token lifetimes and the attributes it may read and write. */
function signInClientDefaults(): Pick<cognito.UserPoolClientOptions,
  'preventUserExistenceErrors' | 'enableTokenRevocation' | 'idTokenValidity' | 'accessTokenValidity' | 'readAttributes' | 'writeAttributes'> {
  return {
    preventUserExistenceErrors: true,
    enableTokenRevocation: true,
    idTokenValidity: Duration.hours(1),
    accessTokenValidity: Duration.hours(1),
    readAttributes: new cognito.ClientAttributes()
      .withStandardAttributes({ fullname: true, email: true })
      .withCustomAttributes('role', 'scope'),
    // Never custom:role / custom:scope: a user who could write them could make themselves a city supervisor.
    writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true }),
  };
}
