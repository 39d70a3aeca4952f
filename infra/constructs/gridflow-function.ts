/**
 * Every Lambda function of gridflow, with every default in one place: Node.js 24 on arm64, an esbuild-minified
 * ESM bundle with source maps, X-Ray tracing where the partition offers it, explicit memory and timeout, a log
 * group with retention, and a role that holds nothing until a typed grant helper adds exactly what the handler
 * uses. The `gridflow:entry` metadata on the AWS::Lambda::Function lets the local runtime map the state
 * machine's Lambda ARNs back to in-process handlers.
 */
import { platform } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Charset, NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { INDEXES, type IndexName } from '#storage/table-design.js';
import { acknowledgeWildcards } from '../nag.js';
import { chinaCondition, partitionOf } from './partition.js';

/** The repository root: entries, the lock file and county files are resolved from here. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

/** CloudFormation metadata key naming a function's handler file, relative to the repository root. */
export const ENTRY_METADATA = 'gridflow:entry';

export const DEFAULT_MEMORY_MB = 512;
export const DEFAULT_TIMEOUT = Duration.seconds(10);

export type TableAccess = 'read' | 'write' | 'readwrite';

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

// Item-level actions only: no Scan, no table administration. TransactWriteItems is authorised per item
// through these same actions, so a transaction needs nothing more.
const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

export interface GridflowFunctionProps
  extends Omit<NodejsFunctionProps, 'entry' | 'runtime' | 'architecture' | 'bundling' | 'role' | 'logGroup' | 'logRetention' | 'handler' | 'tracing' | 'projectRoot' | 'depsLockFilePath'> {
  /** Handler file relative to the repository root, e.g. `functions/workflow/sync.ts`; it exports `handler`. */
  readonly entry: string;
  /**
   * County file copied next to the bundle as `county.json` (handlers read `${LAMBDA_TASK_ROOT}/county.json`).
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
      // Node 24 is the newest Lambda runtime (cdk-nag L1); the code itself also runs on the Node 20 used locally.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: passThrough.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: passThrough.timeout ?? DEFAULT_TIMEOUT,
      role,
      logGroup,
      // Lambda's X-Ray integration does not exist in the China regions.
      tracing: partition === 'china' ? lambda.Tracing.DISABLED : lambda.Tracing.ACTIVE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...passThrough.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
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
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => (countyFile ? [copyCommand(countyFile, join(outputDir, 'county.json'))] : []),
        },
      },
    });

    this.entryPath = entryPath;
    this.executionRole = role;
    const cfn = this.node.defaultChild as lambda.CfnFunction;
    cfn.addMetadata(ENTRY_METADATA, entryPath);
    if (partition === 'unknown') {
      // An environment-agnostic stack learns its partition only at deploy time.
      cfn.addPropertyOverride('TracingConfig.Mode', Fn.conditionIf(chinaCondition(stack).logicalId, 'PassThrough', 'Active'));
    }
    logGroup.grantWrite(role);

    acknowledgeWildcards(role, { resources: ['*'] },
      'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (the only wildcard of a function role).');
  }

  /**
   * Item-level access to the table. `read` covers the base table only unless `indexes` names the sparse
   * indexes the handler queries; `write` never covers indexes (DynamoDB writes through the base table).
   */
  grantTable(table: ITable, access: TableAccess, opts: { indexes?: readonly IndexName[] } = {}): void {
    if (access !== 'write') {
      this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: READ_ACTIONS,
        resources: [table.tableArn, ...(opts.indexes ?? []).map((i) => `${table.tableArn}/index/${INDEXES[i].name}`)],
      }));
    }
    if (access !== 'read') {
      this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: WRITE_ACTIONS, resources: [table.tableArn] }));
    }
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

  /** sns:Publish on the topics (and the KMS use their encryption needs, through the topic's own grant). */
  allowPublish(topics: readonly ITopic[]): void {
    for (const topic of topics) topic.grantPublish(this.executionRole);
    if (topics.some((t) => t.masterKey)) {
      acknowledgeWildcards(this.executionRole, { actions: ['kms:GenerateDataKey*'] },
        'Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* (SNS picks the data-key variant); the statement names only the topics\' keys.');
    }
  }
}

/** `functions/x.ts` from an absolute or relative path, with forward slashes on every platform. */
export function toRepoRelative(entry: string): string {
  const rel = isAbsolute(entry) ? relative(REPO_ROOT, entry) : entry;
  if (rel.startsWith('..')) throw new Error(`entry ${entry} is outside the repository ${REPO_ROOT}`);
  return rel.split(sep).join('/');
}

function copyCommand(from: string, to: string): string {
  return platform() === 'win32' ? `copy /Y "${from}" "${to}"` : `cp "${from}" "${to}"`;
}
