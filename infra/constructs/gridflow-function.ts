/**
 * Every Lambda function of gridflow, with every default in one place: Node.js on arm64 (the runtime per
 * partition, LAMBDA_RUNTIMES below), an esbuild-minified
 * ESM bundle with source maps (read only when a stack trace is formatted), X-Ray tracing where the partition offers it, explicit memory and timeout, a log
 * group with retention, and a role that holds nothing until a typed grant helper adds exactly what the handler
 * uses. The `gridflow:entry` metadata on the AWS::Lambda::Function lets the local runtime map the state
 * machine's Lambda ARNs back to in-process handlers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { platform, tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Charset, NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { loadCountyFile } from '#config/county-loader.js';
import { INDEXES, type IndexName } from '#storage/table-design.js';
import { acknowledge, acknowledgeWildcards } from '../nag.js';
import { chinaCondition, partitionOf, type PartitionKnowledge } from './partition.js';

/**
 * The Lambda runtime per partition, from what AWS documents. Outside China: nodejs24.x, the newest Node.js
 * runtime of the Lambda developer guide (cdk-nag L1 wants the newest). The China regions: nodejs22.x. The
 * China edition of the guide (docs.amazonaws.cn/lambda/latest/dg/lambda-nodejs.html) lists nodejs24.x too,
 * but it is the global guide translated, and "Getting Started with AWS in China" (Lambda, feature
 * differences) says the runtime release dates do not apply to the China regions; nodejs22.x has been there
 * long enough to be certain. Override with the context `chinaLambdaRuntime` once a China deploy proved 24.
 */
export const LAMBDA_RUNTIMES: Readonly<Record<Exclude<PartitionKnowledge, 'unknown'>, lambda.Runtime>> = {
  other: lambda.Runtime.NODEJS_24_X,
  china: lambda.Runtime.NODEJS_22_X,
};

/** The repository root: entries, the lock file and county files are resolved from here. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
/** The SDK's default credential provider, and what Lambda bundles take instead. */
export const SDK_CREDENTIAL_CHAIN = '@aws-sdk/credential-provider-node';
export const LAMBDA_CREDENTIALS = join(REPO_ROOT, 'functions/commons/lambda-credentials.ts');

/** CloudFormation metadata key naming a function's handler file, relative to the repository root. */
export const ENTRY_METADATA = 'gridflow:entry';

export const DEFAULT_MEMORY_MB = 512;
export const DEFAULT_TIMEOUT = Duration.seconds(10);


/** Step Functions actions a handler may be granted; each maps to the resource type IAM checks it on. */
export type StatesAction =
  | 'states:StartExecution'
  | 'states:ListExecutions'
  | 'states:DescribeExecution'
  | 'states:StopExecution'
  | 'states:SendTaskSuccess'
  | 'states:SendTaskFailure'
  | 'states:SendTaskHeartbeat';

const ON_EXECUTION: ReadonlySet<StatesAction> = new Set(['states:DescribeExecution', 'states:StopExecution']);

/**
 * Item-level DynamoDB actions a handler may be granted, each by name: no Scan, no table administration.
 * TransactWriteItems is authorised per item through PutItem/UpdateItem/DeleteItem/ConditionCheckItem, so a
 * transaction needs nothing more.
 */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';

export interface GridflowFunctionProps
  extends Omit<NodejsFunctionProps, 'entry' | 'runtime' | 'architecture' | 'bundling' | 'role' | 'logGroup' | 'logRetention' | 'handler' | 'tracing' | 'projectRoot' | 'depsLockFilePath'> {
  /** Handler file relative to the repository root, e.g. `functions/workflow/sync.ts`; it exports `handler`. */
  readonly entry: string;
  /**
   * County file validated when the function is bundled (a bad file fails the synth) and written next to the
   * bundle as `county.json`, as the validated county (defaults filled in): handlers read
   * `${LAMBDA_TASK_ROOT}/county.json` without validating it again (functions/commons/county.ts), which keeps
   * the county schema out of the bundle and its construction and parse out of the cold start.
   * Absolute, or relative to the repository root.
   * @default - none: the function does not read the county
   */
  readonly countyFile?: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default one year */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN: logs outlive a deleted stack, like the table */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export class GridflowFunction extends NodejsFunction {
  /** The handler file, relative to the repository root (also the `gridflow:entry` metadata). */
  public readonly entryPath: string;
  /** The county file copied next to the bundle as county.json (absolute), if any. */
  public readonly countyFile?: string;
  /** The execution role: holds only its own log group until a grant helper adds more. */
  public readonly executionRole: iam.Role;
  private statesPolicy?: iam.Policy;

  constructor(scope: Construct, id: string, props: GridflowFunctionProps) {
    // Our own props are consumed here; the rest (environment, description, ...) pass through to NodejsFunction.
    const { entry, countyFile: countyFileProp, logRetention, logRemovalPolicy, ...passThrough } = props;
    const entryPath = toRepoRelative(entry);
    // Created beside the function (not inside it) because NodejsFunction takes them as construction props.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `gridflow ${entryPath}`,
    });
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const stack = Stack.of(scope);
    const partition = partitionOf(stack);
    const countyFile = countyFileProp === undefined ? undefined : resolve(REPO_ROOT, countyFileProp);

    super(scope, id, {
      ...passThrough,
      entry: join(REPO_ROOT, entryPath),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      // The code itself also runs on the Node 20 used locally; an agnostic stack picks at deploy time (below).
      runtime: partition === 'china' ? chinaRuntime(stack) : LAMBDA_RUNTIMES.other,
      architecture: lambda.Architecture.ARM_64,
      memorySize: passThrough.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: passThrough.timeout ?? DEFAULT_TIMEOUT,
      role,
      logGroup,
      // Lambda's X-Ray integration does not exist in the China regions.
      tracing: partition === 'china' ? lambda.Tracing.DISABLED : lambda.Tracing.ACTIVE,
      // No NODE_OPTIONS=--enable-source-maps: Node would decode the whole source map at every cold start (tens
      // of ms of CPU, docs/performance.md); the bundle maps a stack trace itself when one is formatted
      // (functions/commons/stack-traces.ts, imported by the logger every handler uses).
      ...(passThrough.environment ? { environment: passThrough.environment } : {}),
      bundling: {
        format: OutputFormat.ESM,
        // The oldest runtime any partition runs (LAMBDA_RUNTIMES).
        target: 'node22',
        platform: 'node',
        mainFields: ['module', 'main'],
        // Some dependencies still call require(); ESM output has none unless we make one.
        banner: "import { createRequire as __gridflowCreateRequire } from 'node:module'; const require = __gridflowCreateRequire(import.meta.url);",
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Chinese message templates stay readable in the bundle instead of \u escapes.
        charset: Charset.UTF8,
        // The AWS SDK v3 is bundled, not taken from the runtime: the versions in package-lock.json are the ones
        // the tests ran against, whatever the region's runtime ships (the China regions lag), and tree-shaking
        // keeps the minified bundle small.
        bundleAwsSDK: true,
        externalModules: [],
        // A function's credentials are in its environment: the SDK's default chain without its other links
        // (functions/commons/lambda-credentials.ts), about 135 KiB less to parse at every cold start.
        esbuildArgs: { [`--alias:${SDK_CREDENTIAL_CHAIN}`]: LAMBDA_CREDENTIALS },
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => (countyFile ? [copyCommand(validatedCounty(countyFile), join(outputDir, 'county.json'))] : []),
        },
      },
    });

    this.entryPath = entryPath;
    this.executionRole = role;
    if (countyFile) this.countyFile = countyFile;
    const cfn = this.node.defaultChild as lambda.CfnFunction;
    cfn.addMetadata(ENTRY_METADATA, entryPath);
    if (partition === 'unknown') {
      // An environment-agnostic stack learns its partition only at deploy time.
      cfn.addPropertyOverride('TracingConfig.Mode', Fn.conditionIf(chinaCondition(stack).logicalId, 'PassThrough', 'Active'));
      cfn.addPropertyOverride('Runtime', Fn.conditionIf(chinaCondition(stack).logicalId, chinaRuntime(stack).name, LAMBDA_RUNTIMES.other.name));
    }
    logGroup.grantWrite(role);
    if (partition === 'china') {
      acknowledge(this, 'AwsSolutions-L1', 'The China regions run nodejs22.x by choice: AWS China documentation does not confirm nodejs24.x there (LAMBDA_RUNTIMES).');
    }

    acknowledgeWildcards(role, { resources: ['*'] },
      'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (the only wildcard of a function role).');
  }

  /** Exactly these item-level actions on the base table (never its indexes: writes go through the table). */
  grantTable(table: ITable, actions: readonly TableAction[]): void {
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: actions.map((a) => `dynamodb:${a}`), resources: [table.tableArn] }));
  }

  /** dynamodb:Query on the named sparse indexes only. */
  grantIndexQuery(table: ITable, indexes: readonly IndexName[]): void {
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: indexes.map((i) => `${table.tableArn}/index/${INDEXES[i].name}`),
    }));
  }

  /**
   * secretsmanager:GetSecretValue on secrets named in the county file. Secrets Manager appends six random
   * characters to a secret's ARN, so each name is matched as `<name>-??????`.
   */
  grantSecrets(names: readonly string[]): void {
    if (names.length === 0) return;
    const stack = Stack.of(this);
    const arns = [...new Set(names)].sort().map((name) => stack.formatArn({
      service: 'secretsmanager', resource: 'secret', resourceName: `${name}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }));
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: arns }));
    acknowledgeWildcards(this.executionRole, { resources: arns },
      'Secrets Manager suffixes every secret ARN with six random characters; "-??????" matches exactly that suffix of each secret the county file names.');
  }

  /**
   * Step Functions actions on one state machine, each on the resource IAM checks it against (executions for
   * Describe/Stop). Kept in a separate policy the function does not depend on: the state machine's definition
   * names this function, so a dependency the other way would be a cycle for the workflow's own tasks.
   */
  allowStates(actions: readonly StatesAction[], stateMachine: StateMachine): void {
    this.statesPolicy ??= new iam.Policy(this, 'StatesPolicy', { roles: [this.executionRole] });
    const onMachine = actions.filter((a) => !ON_EXECUTION.has(a));
    const onExecutions = actions.filter((a) => ON_EXECUTION.has(a));
    if (onMachine.length > 0) {
      this.statesPolicy.addStatements(new iam.PolicyStatement({ actions: [...onMachine], resources: [stateMachine.stateMachineArn] }));
    }
    if (onExecutions.length > 0) {
      const executions = Stack.of(this).formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${stateMachine.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      this.statesPolicy.addStatements(new iam.PolicyStatement({ actions: [...onExecutions], resources: [executions] }));
      acknowledgeWildcards(this.statesPolicy, { resources: [executions] },
        'DescribeExecution is authorised on execution ARNs, named per incident; the wildcard covers only executions of this county\'s state machine.');
    }
  }

  /** What Lambda needs to put a failed asynchronous event into a KMS-encrypted dead-letter queue (sqs:SendMessage comes with the DLQ). */
  allowFailureQueue(key: IKey): void {
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: [key.keyArn] }));
    acknowledgeWildcards(this.executionRole, { actions: ['kms:GenerateDataKey*'] },
      'Sending to the KMS-encrypted failure queue needs kms:GenerateDataKey* (SQS picks the data-key variant); the statement names only the county key.');
  }

  /** sns:Publish on the topics (and the KMS use their encryption needs, through the topic's own grant). */
  allowPublish(topics: readonly ITopic[]): void {
    for (const topic of topics) topic.grantPublish(this.executionRole);
    if (topics.some((t) => t.masterKey)) {
      acknowledgeWildcards(this.executionRole, { actions: ['kms:GenerateDataKey*'] },
        'Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* (SNS picks the data-key variant); the statement names only the topics\' keys.');
    }
  }
}

/** The China regions' runtime, or the one the context `chinaLambdaRuntime` names. */
function chinaRuntime(stack: Stack): lambda.Runtime {
  const name = stack.node.tryGetContext('chinaLambdaRuntime') as string | undefined;
  return name ? new lambda.Runtime(name, lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true }) : LAMBDA_RUNTIMES.china;
}

/** `functions/x.ts` from an absolute or relative path, with forward slashes on every platform. */
export function toRepoRelative(entry: string): string {
  const rel = isAbsolute(entry) ? relative(REPO_ROOT, entry) : entry;
  if (rel.startsWith('..')) throw new Error(`entry ${entry} is outside the repository ${REPO_ROOT}`);
  return rel.split(sep).join('/');
}

/** The county of `file` as the functions read it (validated, defaults filled in), in a file of its own. Bundling time only. */
function validatedCounty(file: string): string {
  const out = join(mkdtempSync(join(tmpdir(), 'gridflow-county-')), 'county.json');
  writeFileSync(out, JSON.stringify(loadCountyFile(file), null, 2));
  return out;
}

function copyCommand(from: string, to: string): string {
  return platform() === 'win32' ? `copy /Y "${from}" "${to}"` : `cp "${from}" "${to}"`;
}
