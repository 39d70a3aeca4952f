/**
 * One HTTP server on 127.0.0.1 that answers the AWS SDK v3 clients the handlers create, so the same code runs
 * locally with AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_SNS pointing here:
 *  - Step Functions, protocol awsJson1_0 (POST, `X-Amz-Target: AWSStepFunctions.<Operation>`, JSON both ways,
 *    errors as HTTP 400 with `__type`, which the SDK turns into its typed exceptions);
 *  - SNS Publish, protocol awsQuery (form-encoded `Action=Publish`, XML `PublishResponse`, XML `ErrorResponse`);
 *  - Lambda Invoke, restJson (`POST /2015-03-31/functions/<name>/invocations`, the result as the body, a
 *    function error as `X-Amz-Function-Error: Unhandled` with `{errorType, errorMessage}`), for ops commands
 *    that invoke a function as they would in the cloud (`npm run -s stuck`, or `aws lambda invoke --endpoint-url`).
 * Both protocols are the ones @aws-sdk/client-sfn and @aws-sdk/client-sns (dist-cjs) are configured with.
 * Signatures are not checked: anything listening on loopback is already on this machine.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SfnServiceError, type ExecutionStatus, type LocalStepFunctions } from './stepfunctions/runner.js';

export interface PublishRequest {
  topicArn: string;
  subject?: string;
  message: string;
  /** String values of the message attributes (StringValue, or BinaryValue as base64). */
  attributes: Record<string, string>;
}

export interface AwsEndpointsOptions {
  /** 0 or absent: any free port. */
  port?: number;
  stepFunctions: LocalStepFunctions;
  /** Delivers a message; resolves its message id. An error named NotFound or InvalidParameter is a 400. */
  publish: (msg: PublishRequest) => Promise<string>;
  /** Runs a function by name with an event; undefined when there is no such function (a 404, as Lambda). */
  invoke?: (functionName: string, event: unknown) => Promise<unknown> | undefined;
}

export interface AwsEndpoints { url: string; close(): Promise<void> }

/** Above SNS's 256 KiB message and Step Functions' 256 KiB payload, with room for the envelope. */
const MAX_BODY_BYTES = 1024 * 1024;
const SNS_MAX_MESSAGE_BYTES = 256 * 1024;
const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const SFN_TARGET_PREFIX = 'AWSStepFunctions.';
const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'];

type Json = Record<string, unknown>;

/** An AWS error: its code (SFN `__type`, SNS `Code`) and HTTP status. */
class AwsError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
    this.name = code;
  }
}

export async function startAwsEndpoints(opts: AwsEndpointsOptions): Promise<AwsEndpoints> {
  const sfn = stepFunctionsApi(opts.stepFunctions);
  const server = createServer((req, res) => {
    const lambda = LAMBDA_INVOKE_PATH.exec(req.url ?? '');
    const handled = lambda ? invokeFunction(req, res, decodeURIComponent(lambda[1]!), opts.invoke) : handle(req, res, sfn, opts.publish);
    handled.catch(() => {
      // handle() answers every error itself; this only guards against a failure while answering.
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // The SDK keeps connections alive; without this close() waits for them to time out.
      server.closeAllConnections();
    }),
  };
}

async function handle(
  req: IncomingMessage, res: ServerResponse,
  sfn: Record<string, (input: Json) => Json>, publish: AwsEndpointsOptions['publish'],
): Promise<void> {
  const target = header(req, 'x-amz-target');
  const isSfn = target?.startsWith(SFN_TARGET_PREFIX) ?? false;
  try {
    if (req.method !== 'POST') throw new AwsError('UnknownOperationException', `${req.method ?? ''} is not an AWS API call`, 404);
    const body = await readBody(req);
    if (isSfn) {
      const operation = sfn[target!.slice(SFN_TARGET_PREFIX.length)];
      if (!operation) throw new AwsError('UnknownOperationException', `unsupported operation ${target!}`);
      let input: unknown;
      try { input = body.length === 0 ? {} : JSON.parse(body); } catch {
        throw new AwsError('SerializationException', 'the request body is not JSON');
      }
      if (!isRecord(input)) throw new AwsError('SerializationException', 'the request body is not a JSON object');
      send(res, 200, 'application/x-amz-json-1.0', JSON.stringify(operation(input)));
      return;
    }
    if ((header(req, 'content-type') ?? '').includes('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(body);
      const action = form.get('Action');
      if (action !== 'Publish') throw new AwsError('InvalidAction', `unsupported action ${action ?? '(none)'}`);
      const messageId = await publish(publishRequestOf(form)).catch((error: unknown) => {
        const name = (error as Error)?.name;
        if (name === 'NotFound' || name === 'InvalidParameter') throw new AwsError(name, (error as Error).message);
        throw error;
      });
      send(res, 200, 'text/xml', publishResponse(messageId));
      return;
    }
    throw new AwsError('UnknownOperationException', 'neither a Step Functions nor an SNS request');
  } catch (error) {
    const known = error instanceof AwsError ? error
      : error instanceof SfnServiceError ? new AwsError(error.code, error.message)
      : new AwsError(isSfn ? 'InternalFailure' : 'InternalError', 'internal error', 500);
    if (isSfn) {
      res.setHeader('x-amzn-errortype', known.code);
      send(res, known.status, 'application/x-amz-json-1.0', JSON.stringify({ __type: known.code, message: known.message }));
    } else {
      send(res, known.status, 'text/xml', errorResponse(known));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Lambda Invoke (restJson1)

const LAMBDA_INVOKE_PATH = /^\/2015-03-31\/functions\/([^/?]+)\/invocations(?:\?.*)?$/;

async function invokeFunction(req: IncomingMessage, res: ServerResponse, name: string, invoke: AwsEndpointsOptions['invoke']): Promise<void> {
  const fail = (status: number, type: string, message: string) => {
    res.setHeader('x-amzn-errortype', type);
    send(res, status, 'application/json', JSON.stringify({ Type: 'User', message }));
  };
  if (req.method !== 'POST') return fail(405, 'MethodNotAllowed', 'Invoke is a POST');
  const body = await readBody(req);
  let event: unknown;
  try { event = body.length === 0 ? {} : JSON.parse(body); } catch {
    return fail(400, 'InvalidRequestContentException', 'Could not parse request body into json');
  }
  const running = invoke?.(name, event);
  if (running === undefined) return fail(404, 'ResourceNotFoundException', `Function not found: ${name}`);
  res.setHeader('x-amz-executed-version', '$LATEST');
  try {
    const result = await running;
    send(res, 200, 'application/json', JSON.stringify(result ?? null));
  } catch (error) {
    res.setHeader('x-amz-function-error', 'Unhandled');
    const e = error instanceof Error ? error : new Error(String(error));
    send(res, 200, 'application/json', JSON.stringify({ errorType: e.name, errorMessage: e.message }));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Step Functions (awsJson1_0)

function stepFunctionsApi(sfn: LocalStepFunctions): Record<string, (input: Json) => Json> {
  const checkMachine = (arn: unknown) => {
    if (arn !== sfn.stateMachineArn) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
  };
  return {
    StartExecution: (input) => {
      checkMachine(required(input, 'stateMachineArn'));
      const name = optional(input, 'name') ?? randomUUID();
      let execInput: unknown;
      try { execInput = JSON.parse(optional(input, 'input') ?? '{}'); } catch {
        throw new AwsError('InvalidExecutionInput', 'Invalid execution input: not valid JSON');
      }
      const { executionArn, startDate } = sfn.startExecution(name, execInput);
      return { executionArn, startDate: epochSeconds(startDate) };
    },
    SendTaskSuccess: (input) => {
      sfn.sendTaskSuccess(required(input, 'taskToken'), required(input, 'output'));
      return {};
    },
    SendTaskFailure: (input) => {
      sfn.sendTaskFailure(required(input, 'taskToken'), optional(input, 'error'), optional(input, 'cause'));
      return {};
    },
    SendTaskHeartbeat: (input) => {
      sfn.sendTaskHeartbeat(required(input, 'taskToken'));
      return {};
    },
    DescribeExecution: (input) => {
      const d = sfn.describeExecution(required(input, 'executionArn'));
      return {
        ...d,
        startDate: epochSeconds(d.startDate),
        ...(d.stopDate ? { stopDate: epochSeconds(d.stopDate) } : {}),
        inputDetails: { included: true },
        ...(d.output !== undefined ? { outputDetails: { included: true } } : {}),
      };
    },
    StopExecution: (input) => {
      const reason = { ...optionalField(input, 'error'), ...optionalField(input, 'cause') };
      const { stopDate } = sfn.stopExecution(required(input, 'executionArn'), reason);
      return { stopDate: epochSeconds(stopDate) };
    },
    ListExecutions: (input) => {
      checkMachine(required(input, 'stateMachineArn'));
      const status = optional(input, 'statusFilter');
      if (status !== undefined && !STATUSES.includes(status as ExecutionStatus)) throw new AwsError('ValidationException', `statusFilter ${status} is not one of ${STATUSES.join(', ')}`);
      const max = typeof input.maxResults === 'number' && input.maxResults > 0 ? Math.min(input.maxResults, 1000) : 100;
      const from = pageStart(optional(input, 'nextToken'));
      const all = sfn.listExecutions(status ? { status: status as ExecutionStatus } : {});
      const page = all.slice(from, from + max).map((e) => ({
        ...e, startDate: epochSeconds(e.startDate), ...(e.stopDate ? { stopDate: epochSeconds(e.stopDate) } : {}),
      }));
      return { executions: page, ...(from + max < all.length ? { nextToken: Buffer.from(String(from + max)).toString('base64url') } : {}) };
    },
  };
}

function pageStart(token: string | undefined): number {
  if (token === undefined) return 0;
  const n = Number(Buffer.from(token, 'base64url').toString());
  if (!Number.isInteger(n) || n < 0) throw new AwsError('InvalidToken', 'Invalid nextToken');
  return n;
}

const epochSeconds = (d: Date): number => d.getTime() / 1000;

function required(input: Json, key: string): string {
  const v = input[key];
  if (typeof v !== 'string' || v === '') throw new AwsError('ValidationException', `${key} is required`);
  return v;
}

function optional(input: Json, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AwsError('ValidationException', `${key} must be a string`);
  return v;
}

const optionalField = (input: Json, key: string): Record<string, string> => {
  const v = optional(input, key);
  return v === undefined ? {} : { [key]: v };
};

// ---------------------------------------------------------------------------------------------------------
// SNS (awsQuery)

function publishRequestOf(form: URLSearchParams): PublishRequest {
  const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
  if (!topicArn) throw new AwsError('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn is required');
  const message = form.get('Message');
  if (message === null || message === '') throw new AwsError('InvalidParameter', 'Invalid parameter: Message is required');
  if (Buffer.byteLength(message) > SNS_MAX_MESSAGE_BYTES) throw new AwsError('InvalidParameter', 'Invalid parameter: Message too long');
  const attributes: Record<string, string> = {};
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    const prefix = `MessageAttributes.entry.${i}`;
    const name = form.get(`${prefix}.Name`)!;
    const value = form.get(`${prefix}.Value.StringValue`) ?? form.get(`${prefix}.Value.BinaryValue`);
    if (value === null) throw new AwsError('InvalidParameter', `Invalid parameter: message attribute ${name} has no value`);
    attributes[name] = value;
  }
  const subject = form.get('Subject');
  return { topicArn, message, attributes, ...(subject !== null ? { subject } : {}) };
}

const publishResponse = (messageId: string): string =>
  `<PublishResponse xmlns="${SNS_XMLNS}"><PublishResult><MessageId>${xml(messageId)}</MessageId></PublishResult>`
  + `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`;

const errorResponse = (e: AwsError): string =>
  `<ErrorResponse xmlns="${SNS_XMLNS}"><Error><Type>${e.status < 500 ? 'Sender' : 'Receiver'}</Type>`
  + `<Code>${xml(e.code)}</Code><Message>${xml(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;

const xml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

// ---------------------------------------------------------------------------------------------------------

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep reading (and dropping) so the 413 can still be written on this connection.
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(new AwsError('RequestEntityTooLarge', 'the request body is too large', 413));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() });
  res.end(body);
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
