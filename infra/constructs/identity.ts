/**
 * Who may call a county's API (contract §3): either the county's own Cognito user pool, whose ID tokens carry
 * `role` and `scope` claims (set by a pre-token-generation trigger from admin-only custom attributes), or the
 * external OIDC issuer of `deployment.identity` — the only choice in the China regions, which have no user pools.
 */
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
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

export class CountyIdentity extends Construct {
  /** The JWT authorizer every route but /health uses. */
  public readonly authorizer: IHttpRouteAuthorizer;
  /** Issuer and audience the API checks tokens against. */
  public readonly issuer: string;
  public readonly audience: string;
  public readonly userPool?: cognito.UserPool;
  public readonly userPoolClient?: cognito.UserPoolClient;
  public readonly claimsFunction?: GridflowFunction;

  constructor(scope: Construct, id: string, props: CountyIdentityProps) {
    super(scope, id);
    const { county } = props;
    const external = county.deployment?.identity;
    const stack = Stack.of(this);
    const partition = partitionOf(stack);

    if (external) {
      this.issuer = external.issuer;
      this.audience = external.audience;
      this.authorizer = new HttpJwtAuthorizer('Oidc', external.issuer, { jwtAudience: [external.audience] });
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
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ fullname: true, email: true })
        .withCustomAttributes('role', 'scope'),
      // Never custom:role / custom:scope: a user who could write them could make themselves a city supervisor.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true }),
    });

    this.issuer = `https://cognito-idp.${stack.region}.${Aws.URL_SUFFIX}/${this.userPool.userPoolId}`;
    this.audience = this.userPoolClient.userPoolClientId;
    // The ID token carries role and scope (the V1 trigger customises ID tokens); its `aud` is the client id.
    this.authorizer = new HttpUserPoolAuthorizer('Cognito', this.userPool, { userPoolClients: [this.userPoolClient] });
  }
}
