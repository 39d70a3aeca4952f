/**
 * The county's HTTP API (API Gateway v2, payload format 2.0) of contract §4: a JWT authorizer on every route
 * but GET /health, stage-wide throttling, and JSON access logs that name the caller's `sub` but never a body.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROUTES, type ApiFunctionName } from '../handlers.js';
import { acknowledge } from '../nag.js';

export interface Throttle { readonly rateLimit: number; readonly burstLimit: number }

export interface CountyHttpApiProps {
  readonly countyId: string;
  readonly authorizer: apigw.IHttpRouteAuthorizer;
  readonly functions: Readonly<Record<ApiFunctionName, lambda.IFunction>>;
  /** Stage-wide request rate. @default 50 requests/s, bursts of 100 */
  readonly throttle?: Throttle;
  /** @default one year */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * Browser origins allowed to call the API (CORS), e.g. the console's `https://<domain>`. API Gateway answers
   * their preflight requests itself, without the authorizer.
   * @default - none: no CORS configuration
   */
  readonly corsOrigins?: readonly string[];
}

/** The request headers the console sends: its token, JSON bodies, idempotency keys and its language. */
const CORS_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'accept-language'];

export class CountyHttpApi extends Construct {
  public readonly api: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  public readonly accessLogs: logs.LogGroup;
  /** `https://<id>.execute-api.<region>.<url suffix>`: the base of links in notifications. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: CountyHttpApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `gridflow-${props.countyId}`,
      description: `gridflow incident API of county ${props.countyId}`,
      // The default stage is created below, with throttling and access logs the shortcut cannot set.
      createDefaultStage: false,
      defaultAuthorizer: props.authorizer,
      ...(props.corsOrigins?.length ? {
        corsPreflight: {
          allowOrigins: [...props.corsOrigins],
          allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST],
          allowHeaders: CORS_HEADERS,
          // Bearer tokens, never cookies: no credentials mode.
          allowCredentials: false,
          // Chromium caps a cached preflight at 2 hours.
          maxAge: Duration.hours(2),
        },
      } : {}),
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          requestTime: '$context.requestTimeEpoch',
          ip: '$context.identity.sourceIp',
          method: '$context.httpMethod',
          routeKey: '$context.routeKey',
          path: '$context.path',
          status: '$context.status',
          responseLength: '$context.responseLength',
          latencyMs: '$context.responseLatency',
          integrationStatus: '$context.integrationStatus',
          integrationError: '$context.integrationErrorMessage',
          authorizerError: '$context.authorizer.error',
          sub: '$context.authorizer.claims.sub',
        })),
      },
    });
    this.url = this.api.apiEndpoint;

    const integrations = new Map<ApiFunctionName, HttpLambdaIntegration>();
    for (const route of ROUTES) {
      let integration = integrations.get(route.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.fn}Integration`, props.functions[route.fn]);
        integrations.set(route.fn, integration);
      }
      const routes = this.api.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration,
        ...(route.fn === 'health' ? { authorizer: new apigw.HttpNoneAuthorizer() } : {}),
      });
      if (route.fn === 'health') {
        for (const r of routes) {
          acknowledge(r, 'AwsSolutions-APIG4',
            'GET /health is the liveness probe of contract §4 and answers without a token by design; it reads nothing and returns no data.');
        }
      }
    }
  }
}
